// Shared pieces of the dvs command line: global options, opening the ledger, loading keys, exit
// codes, and formatting. Exit codes are the contract of DESIGN.md: 0 done; 1 refused or failed,
// with one line on stderr naming what and why; 2 usage error.
#ifndef DVS_TOOLS_CLI_CLI_H_
#define DVS_TOOLS_CLI_CLI_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "dvs/json.h"
#include "dvs/release_service.h"

namespace dvs::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string ledger;  // --ledger, $DVS_LEDGER, ./dvs-ledger
  bool json = false;   // --json on read commands
  int exit_code = kExitOk;
};

// Prints "dvs: <what>: <message>" to stderr and returns kExitFailed.
int Fail(const std::string& what, const Status& s);
// For a failed LoadSigningKey: a usage error (exit 2) when no key was given at all, else Fail.
int KeyFail(const std::string& what, const Status& s);
// Prints "dvs: <message>" to stderr and returns kExitUsage.
int Usage(const std::string& message);

Result<std::unique_ptr<ReleaseService>> OpenLedger(const Globals& g);
// The signing key: --key FILE, else $DVS_KEY. Usage error when neither is given.
Result<SecretKey> LoadSigningKey(const std::string& flag);

// Adds `--key FILE` to a signing subcommand.
void AddKeyOption(CLI::App* sub, std::string* key);
// Adds `--json` to a read subcommand.
void AddJsonOption(CLI::App* sub, Globals* g);

// 2026-11-26T02:20:01.123Z
std::string FormatTime(int64_t ms);
// RFC 3339 (2026-11-26T02:20:01Z, fractional seconds and offsets allowed) or unix milliseconds.
Result<int64_t> ParseTime(const std::string& text);
// "%g" of a double.
std::string Num(double v);

void PrintReceipt(const Globals& g, const Receipt& r);

// A signing command: loads the key (--key or $DVS_KEY), opens the ledger, runs the action, prints
// the receipt. Exit codes as above; `what` names the command in errors.
using Action = std::function<Result<Receipt>(ReleaseService&, const SecretKey&)>;
int Signed(const Globals& g, const std::string& what, const std::string& key_flag,
           const Action& act);
// Entry rows as a table, JSON ({"entries": [...]}) or CSV.
int PrintRows(const Globals& g, const std::vector<LogRow>& rows, bool csv);

// Registration of each group of subcommands.
void AddKeyCommands(CLI::App& app, Globals& g);
void AddReleaseCommands(CLI::App& app, Globals& g);
void AddReadCommands(CLI::App& app, Globals& g);
void AddLedgerCommands(CLI::App& app, Globals& g);

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_CLI_H_
