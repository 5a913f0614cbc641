// A TCP listener on 127.0.0.1, on a port the kernel picks, for the small HTTP servers the tests
// and benchmarks start (backends behind nginx and HAProxy, a webhook receiver, a metrics
// exporter). It accepts until destroyed and hands each connection to a function, on its accept
// thread or on a thread per connection; the listener closes the connection when the function
// returns.
//
// Thread safety: `serve` runs on the listener's threads; whatever it touches must be safe to use
// from them. The destructor stops accepting and joins every thread, so an owner declares its
// listener last (destroyed first) when `serve` uses the owner's other members.
#ifndef DVS_TOOLS_TESTBED_LOOPBACK_LISTENER_H_
#define DVS_TOOLS_TESTBED_LOOPBACK_LISTENER_H_

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dvs::test {

class LoopbackListener {
 public:
  enum class Threads {
    kOne,            // connections are served one at a time, on the accept thread
    kPerConnection,  // each on a thread of its own (a slow one holds up no other)
  };

  explicit LoopbackListener(std::function<void(int fd)> serve, Threads threads = Threads::kOne)
      : serve_(std::move(serve)), threads_(threads) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    ::listen(fd_, 128);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_ = std::thread([this] { AcceptLoop(); });
  }
  ~LoopbackListener() {
    stop_ = true;
    accept_.join();
    for (auto& t : handlers_) t.join();
    ::close(fd_);
  }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      if (threads_ == Threads::kOne) {
        Serve(c);
      } else {
        handlers_.emplace_back([this, c] { Serve(c); });
      }
    }
  }
  void Serve(int c) {
    serve_(c);
    ::close(c);
  }

  std::function<void(int)> serve_;
  Threads threads_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_;
  std::vector<std::thread> handlers_;  // only the accept thread adds; joined at the end
};

// A header's value in an HTTP head (the name compared without case), else `otherwise`.
inline std::string HeaderValue(const std::string& head, const std::string& name,
                               const std::string& otherwise = "") {
  std::string lower;
  for (char ch : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return otherwise;
  size_t from = at + 3 + name.size();
  while (from < head.size() && head[from] == ' ') ++from;
  return head.substr(from, head.find("\r\n", from) - from);
}

// One HTTP request read from `fd`: its head and, when it has a Content-Length, its body. "" when
// the peer closes or stays silent for `timeout_ms` before the request is whole.
inline std::string ReadHttpRequest(int fd, int timeout_ms) {
  std::string req;
  char buf[4096];
  size_t need = std::string::npos;
  while (need == std::string::npos || req.size() < need) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return "";
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return "";
    req.append(buf, static_cast<size_t>(n));
    const size_t end = req.find("\r\n\r\n");
    if (need == std::string::npos && end != std::string::npos) {
      need = end + 4 + std::stoul(HeaderValue(req.substr(0, end), "content-length", "0"));
    }
  }
  return req;
}

// Writes all of `bytes` to `fd`, or as much as the peer takes before it goes.
inline void SendAll(int fd, const std::string& bytes) {
  for (size_t off = 0; off < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace dvs::test

#endif  // DVS_TOOLS_TESTBED_LOOPBACK_LISTENER_H_
