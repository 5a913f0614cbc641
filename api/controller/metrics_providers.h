// Metrics providers: how the controller asks for one number. Each ask yields a Measurement (what
// was asked, where, over which time range, the SHA-256 of the raw answer, and the outcome), the
// provenance an Observe entry carries into the ledger.
//   - prometheus: GET ADDRESS/api/v1/query?query=Q&time=T (instant), or /api/v1/query_range over
//     the last `range` averaged; the answer must be one series (or a scalar).
//   - web: GET (or POST) URL; the number at `json_path` (dots; array indexes as numbers) of the
//     JSON answer, a JSON number or a string holding one.
//   - exec: /bin/sh -c COMMAND; its standard output, trimmed, must be one number; killed (its
//     whole process group) after the timeout.
// Outcomes: VALUE; NO_DATA for an empty answer or NaN; ERROR for unreachable, timeout, an HTTP or
// PromQL error, a non-numeric answer, several series where one was expected, a failed command.
//
// Thread safety: the functions share nothing; call them from any thread.
#ifndef DVS_API_CONTROLLER_METRICS_PROVIDERS_H_
#define DVS_API_CONTROLLER_METRICS_PROVIDERS_H_

#include <optional>
#include <string>
#include <string_view>

#include "statemachine/transition.pb.h"

namespace dvs {

// What the templates of a source are filled with: the bundle under test and the stable beside it.
struct AnalysisTarget {
  std::string bundle, version, service, stable_bundle, stable_version;
};

// `text` with {{bundle}}, {{version}}, {{service}}, {{stable_bundle}}, {{stable_version}}
// replaced (manifest validation refuses any other name).
std::string ExpandTemplate(std::string_view text, const AnalysisTarget& t);

struct Measured {
  sm::Measurement measurement;  // its metric, provider, address, query, range, digest, outcome
  std::optional<double> value;  // set exactly when the outcome is VALUE; always finite
};

// Asks `source` once for `metric` of `target` at wall time `now_ms`. Never fails: whatever goes
// wrong is an ERROR (or NO_DATA) measurement whose detail says what.
Measured Measure(const sm::MetricSource& source, const std::string& metric,
                 const AnalysisTarget& target, int64_t now_ms);

}  // namespace dvs

#endif  // DVS_API_CONTROLLER_METRICS_PROVIDERS_H_
