// A tiny HTTP backend for router tests: answers every request on 127.0.0.1:PORT with 200 and its
// name as the body, one request per connection. Runs on its own thread until destroyed.
#ifndef DVS_TESTS_SERVE_BACKEND_SERVER_H_
#define DVS_TESTS_SERVE_BACKEND_SERVER_H_

#include <string>

#include "tools/testbed/loopback_listener.h"

namespace dvs::test {

class BackendServer {
 public:
  explicit BackendServer(const std::string& name)
      : reply_("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
               std::to_string(name.size()) + "\r\nConnection: close\r\n\r\n" + name) {}
  int port() const { return listener_.port(); }

 private:
  void Serve(int c) {
    if (!ReadHttpRequest(c, 1000).empty()) SendAll(c, reply_);
    ::shutdown(c, SHUT_WR);
  }

  const std::string reply_;
  LoopbackListener listener_{[this](int c) { Serve(c); }};  // last: destroyed first
};

}  // namespace dvs::test

#endif  // DVS_TESTS_SERVE_BACKEND_SERVER_H_
