// A loopback TCP port that was free a moment ago, for the real servers the tests and benchmarks
// start (nginx, HAProxy, Prometheus). Another process could take it before it is bound again;
// the callers start their server right away.
#ifndef DVS_TOOLS_TESTBED_FREE_PORT_H_
#define DVS_TOOLS_TESTBED_FREE_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace dvs::test {

inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace dvs::test

#endif  // DVS_TOOLS_TESTBED_FREE_PORT_H_
