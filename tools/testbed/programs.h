// The real servers the tests and benchmarks start (nginx, HAProxy, Prometheus) come from Debian's
// packages (tools/run installs them): where each one's program is.
#ifndef DVS_TOOLS_TESTBED_PROGRAMS_H_
#define DVS_TOOLS_TESTBED_PROGRAMS_H_

#include <unistd.h>

#include <string>

namespace dvs::test {

// The first executable `name` in /usr/sbin, /usr/bin, /usr/local/sbin or /usr/local/bin, else "".
inline std::string FindProgram(const std::string& name) {
  for (const char* dir : {"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/"}) {
    const std::string path = dir + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

}  // namespace dvs::test

#endif  // DVS_TOOLS_TESTBED_PROGRAMS_H_
