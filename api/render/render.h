// What users read: the text, JSON and CSV renderings of statuses, routes, entries, receipts and
// controller decisions. The CLI prints these for a local ledger, and the server answers with the
// very same bytes, so `dvs --server URL CMD` prints exactly what `dvs CMD` prints.
//
// Every function returns whole lines, each ending in '\n'. Tables have a header row and columns
// as wide as their data; `width` is the terminal's: the last column wraps to fit it (0: never).
#ifndef DVS_API_RENDER_H_
#define DVS_API_RENDER_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/service/release_service.h"

namespace dvs {

enum class Format { kText, kJson, kCsv };

// "text", "json", "csv" -> Format; InvalidArgument naming the word otherwise.
Result<Format> ParseFormat(const std::string& name);

// `dvs status BUNDLE`.
std::string RenderBundleStatus(const BundleStatus& s, Format f);
// `dvs status SERVICE`: its bundles with traffic or kept warm, stable first.
std::string RenderServiceStatus(const std::string& service, const std::vector<BundleStatus>& list,
                                Format f, size_t width = 0);
// `dvs routes`; JSON is {"services": {NAME: [{"bundle","version","weight","role"}]}}.
std::string RenderRoutes(const std::map<std::string, std::vector<Route>>& routes, Format f,
                         size_t width = 0);
// `dvs log`, `dvs history`, `dvs audit`: a table, {"entries": [...]}, or CSV with a header.
std::string RenderRows(const std::vector<LogRow>& rows, Format f, size_t width = 0);
// What a signing command prints once its transition committed (CSV renders as text).
std::string RenderReceipt(const Receipt& r, Format f);
// `dvs key list`: every key, its roles, and when it was granted or revoked.
std::string RenderKeys(const State& s, Format f, size_t width = 0);
// `dvs state --at`: the routing table and every bundle's state as of `s`.
std::string RenderStateAt(const State& s, Format f, size_t width = 0);
// `dvs tick`: one line per evaluated service (CSV renders as text).
std::string RenderTick(const std::vector<TickOutcome>& outcomes, Format f);

// A controller decision in one phrase: "step to 25 % at seq 15 (all promote_when conditions
// hold)". `kind` is DecisionKindName's; `seq` 0 when nothing was appended (a hold). The signed
// reason of a step ends by naming the step again ("...; step to 25 %"): that tail is left out.
std::string DecisionSummary(std::string_view kind, uint32_t to_pct, std::string_view reason,
                            uint64_t seq);

// `text` made safe to print on a terminal: control characters (C0, DEL, C1 incl. ESC and the
// 8-bit CSI) and bytes that are not UTF-8 become \xNN, so text signed into an old ledger cannot
// move the cursor, recolour or rewrite what is shown. Printable text, UTF-8 included, is kept.
std::string TerminalSafe(std::string_view text);

}  // namespace dvs

#endif  // DVS_API_RENDER_H_
