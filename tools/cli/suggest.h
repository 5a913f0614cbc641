// Our phrasing for the command-line parser's errors: "did you mean ...?" for a mistyped command
// or option, and what is missing when a required argument is not given.
#ifndef DVS_TOOLS_CLI_SUGGEST_H_
#define DVS_TOOLS_CLI_SUGGEST_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace dvs::cli {

// The candidate closest to `word` (edit distance, a swap of two neighbouring letters counting as
// one edit), or "" when none is close enough to be a likely typo of it.
std::string ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

// Walks the command line as `app` would and names the first word it does not know:
//   "unknown command 'stauts'; did you mean 'status'?"
//   "status: unknown option '--jsn'; did you mean '--json'?"
// Returns "" when every command and option name is known (the error is about something else).
std::string UnknownName(const CLI::App& app, int argc, const char* const* argv);

// After a parse of `app` failed with CLI::RequiredError: what was missing, in the deepest
// subcommand given, with the help command that shows an example:
//   "status: TARGET is missing (bundle id or service name); dvs status --help shows an example"
//   "key: a command is needed: grant, revoke, list"
// Returns "" when no required argument is missing (the error is about something else).
std::string MissingArgument(const CLI::App& app);

// Any other parse error in our phrasing: the deepest subcommand given, CLI11's message, and the
// help command, on one line ("deploy: --canary-pct: 0 is outside 1..100; dvs deploy --help
// shows the options"), instead of CLI11's message and its "Run with --help" line.
std::string Rephrased(const CLI::App& app, const std::string& message);

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_SUGGEST_H_
