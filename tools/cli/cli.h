// Shared pieces of the dvs command line: global options, opening the ledger or reaching a server,
// loading keys, exit codes, and formatting. Exit codes are the contract of DESIGN.md: 0 done; 1
// refused or failed, with one line on stderr naming what and why; 2 usage error.
#ifndef DVS_TOOLS_CLI_CLI_H_
#define DVS_TOOLS_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/client/client.h"
#include "api/http/http_client.h"
#include "api/render/json.h"
#include "api/render/render.h"
#include "api/service/release_service.h"

namespace dvs::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string ledger;  // --ledger, $DVS_LEDGER, ./dvs-ledger
  std::string server;  // --server URL, $DVS_SERVER: talk to `dvs serve` instead of a ledger
  std::optional<uint64_t> min_seq;  // --min-seq SEQ: reads through --server wait for entry SEQ
  bool json = false;   // --json on read commands
  std::string out_request;  // --out-request FILE on signing commands: sign offline, submit nothing
  int exit_code = kExitOk;
};

// Prints "dvs: <what>: <message>" to stderr and returns kExitFailed.
int Fail(const std::string& what, const Status& s);
// For a failed LoadSigningKey: a usage error (exit 2) when no key was given at all, else Fail.
int KeyFail(const std::string& what, const Status& s);
// Prints "dvs: <message>" to stderr and returns kExitUsage.
int Usage(const std::string& message);

// Opens --ledger. With a log key (`log_key`, else $DVS_LOG_KEY) writes also append a signed
// checkpoint whenever one is due. `replica` (cluster mode): an empty ledger is created when
// --ledger holds none, to be filled from the cluster.
Result<std::unique_ptr<ReleaseService>> OpenLedger(const Globals& g,
                                                   const std::string& log_key = "",
                                                   uint64_t checkpoint_every = 1000,
                                                   bool replica = false);
// The signing key: --key FILE, else $DVS_KEY. Usage error when neither is given.
Result<SecretKey> LoadSigningKey(const std::string& flag);

// Adds `--key FILE` to a signing subcommand.
void AddKeyOption(CLI::App* sub, std::string* key);
// Adds `--out-request FILE` to a signing subcommand whose transition needs no state (Signed):
// the signed request is written to FILE for `dvs submit FILE` elsewhere; no ledger is opened.
void AddOutRequestOption(CLI::App* sub, Globals* g);
// Writes `body` as a request `dvs submit` reads (a serialized dvs.ledger.Entry with body,
// signer_key and signature) to g.out_request, and prints what was written.
int WriteRequest(const Globals& g, const std::string& what, const SignedBody& body);
// Adds `--json` to a subcommand that prints data (a read, or a write's receipt).
void AddJsonOption(CLI::App* sub, Globals* g,
                   const std::string& help = "print JSON instead of a table");
inline constexpr const char* kReceiptJson = "print the receipt as JSON";
// For a subcommand whose output is always JSON (events, proofs): `--json` is accepted and
// changes nothing, so that scripts can pass it to every command that prints data.
void AddJsonAlways(CLI::App* sub);

// Validators: a value outside them is a usage error (exit 2) naming the option.
// A whole number in min..max, decimal digits only: "-1", "+3", "1e3", "0x10" and values past max
// are refused rather than wrapped.
CLI::Option* WholeNumber(CLI::Option* opt, uint64_t min, uint64_t max);
// The largest seq or size a command takes (seqs are stored as int64 in places).
inline constexpr uint64_t kMaxSeq = INT64_MAX;
// Text that will be signed (reasons): no control or escape characters (CheckPrintable).
CLI::Option* PrintableText(CLI::Option* opt);
// A time ParseTime accepts (RFC 3339 or unix ms); the empty string is refused.
CLI::Option* TimeValue(CLI::Option* opt);

// 2026-11-26T02:20:01.123Z
std::string FormatTime(int64_t ms);

void PrintReceipt(const Globals& g, const Receipt& r);
// --json: JSON, else text.
Format OutputFormat(const Globals& g);
// The width tables wrap to: $COLUMNS when set, else the terminal's when stdout is one, else 0
// (no limit: pipes and files get whole lines).
size_t TerminalWidth();

// A signing command whose transition needs no state: loads the key (--key or $DVS_KEY), signs
// `t`, submits it to the ledger or the server, prints the receipt; with --out-request, writes the
// signed request to that file instead (WriteRequest). `what` names the command in errors.
int Signed(const Globals& g, const std::string& what, const std::string& key_flag,
           const sm::Transition& t);

// ---- --server mode: the commands not yet written once against Client ----
// A usage error for commands that work on a local ledger only.
int LocalOnly(const Globals& g, const std::string& what);
// Sends a request to the server; an HTTP error becomes a Status carrying the server's message.
Result<HttpReply> Call(const Globals& g, const std::string& method, const std::string& target,
                       const std::string& body = "");
// How long a server may take to answer: $DVS_TIMEOUT seconds, else 30 s; InvalidArgument naming
// a value that is not a number of seconds in (0, 3600].
Result<int> ServerTimeoutMs();
// The ledger (--ledger) or the server (--server) as one client (api/client/client.h).
Result<std::unique_ptr<Client>> OpenClient(const Globals& g);
// Answers `q` through OpenClient and prints it; an InvalidArgument is a usage error (exit 2).
int PrintQuery(const Globals& g, const std::string& what, const Query& q, Format f);
// Commits a signed body through OpenClient and prints its receipt.
int SubmitBody(const Globals& g, const std::string& what, const SignedBody& body);

// Registration of each group of subcommands.
void AddKeyCommands(CLI::App& app, Globals& g);
void AddReleaseCommands(CLI::App& app, Globals& g);
void AddReadCommands(CLI::App& app, Globals& g);
void AddLedgerCommands(CLI::App& app, Globals& g);
void AddServeCommand(CLI::App& app, Globals& g);
void AddAnalyzeCommand(CLI::App& app, Globals& g);

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_CLI_H_
