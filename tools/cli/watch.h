// `dvs status TARGET --watch`.
#ifndef DVS_TOOLS_CLI_WATCH_H_
#define DVS_TOOLS_CLI_WATCH_H_

#include <string>

#include "tools/cli/cli.h"

namespace dvs::cli {

// Prints the status of `target` (a bundle or a service) with its service's latest decision, and
// again each time the ledger grows, until SIGINT or SIGTERM (exit 0). On a terminal each frame
// replaces the last; elsewhere frames follow each other, separated by a blank line.
int StatusWatch(const Globals& g, const std::string& target);

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_WATCH_H_
