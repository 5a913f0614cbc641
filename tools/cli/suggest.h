// "Did you mean ...?": the closest known name to a mistyped command or option.
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

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_SUGGEST_H_
