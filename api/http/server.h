// `dvs serve`: the release controller. One process holds the ledger open and
//   - answers the HTTP API (api/http_api.h) on Boost.Asio/Beast, HTTP/1.1 with keep-alive;
//   - streams committed entries as Server-Sent Events from any seq (Last-Event-ID honoured),
//     whichever process appended them;
//   - evaluates every active rollout on a timer and appends the signed decision (step, promote,
//     rollback); an observation posted over HTTP is evaluated at once;
//   - with an observer key, measures each canary's metrics itself (manifest `analysis:`);
//   - keeps the traffic routers (api/routers.h) in step with the routing table: at start, after
//     every commit (a rollback reaches them right after it commits) and on every tick (warm
//     windows end by the clock).
//
// Clients sign their own requests: the server holds no user key, only the controller's.
// Stop() (or SIGTERM/SIGINT inside Run) stops accepting, lets in-flight requests finish, ends
// event streams, and returns from Run.
#ifndef DVS_API_SERVER_H_
#define DVS_API_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/service/release_service.h"

namespace dvs {

struct ServeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                 // 0: any free port (see Server::port)
  bool allow_remote = false;         // listening on a non-loopback address must be asked for
  int64_t tick_ms = 1000;            // controller period
  std::vector<std::string> routers;  // file:PATH, exec:CMD, nginx:CONF, haproxy:SOCKET
  std::string nginx_backends;        // for nginx: routers
  std::string haproxy_backends;      // for haproxy: routers
  // webhook:URL, exec:CMD: every deploy event as a signed CloudEvent (needs a controller key).
  std::vector<std::string> notify;
  std::string nginx_reload = "nginx -s reload";
  int threads = 2;
  int idle_timeout_ms = 30'000;  // a request must arrive whole within this; idle keep-alive too
  int max_connections = 1024;
  // Event streams (GET /v1/events) held open at once; more are refused with 503, so that
  // followers can never take the connections that requests and the controller's clients need.
  int max_streams = 256;
  std::function<void(const std::string&)> log;  // one line per notable event; stderr if unset
  // A key with the observer role: measure each canary whose manifest has an `analysis:` section
  // every analysis interval and sign each round as an observation. Must outlive the server.
  const SecretKey* observer = nullptr;
  // Cluster mode (api/cluster/cluster.h): decide, analyze, drive routers and notify only while
  // `leads` returns true; GET /v1/cluster answers `cluster_status`.
  std::function<bool()> leads;
  std::function<std::string()> cluster_status;
};

class Server {
 public:
  // What Start refuses before it does anything: InvalidArgument for an address that is not an IP
  // (or not loopback without allow_remote), a tick, thread count or timeout out of range, or a
  // router spec MakeRouter refuses (NotFound: a file: router's folder is not there). Binds
  // nothing, starts nothing: for callers that must check their arguments before taking a lock.
  static Status CheckOptions(const ServeOptions& options);
  // Binds the listening socket and starts the routers. `controller` may be null (no timer, no
  // automatic decisions, POST /v1/tick answers 503); it must outlive the server.
  static Result<std::unique_ptr<Server>> Start(ReleaseService& svc, const SecretKey* controller,
                                               const ServeOptions& options);
  ~Server();

  uint16_t port() const;
  // Serves until Stop(), or SIGTERM/SIGINT when `handle_signals`.
  void Run(bool handle_signals);
  // Thread-safe; Run returns once in-flight requests finished.
  void Stop();

  struct Impl;  // the implementation's, in server.cc

 private:
  Server() = default;
  std::shared_ptr<Impl> impl_;
};

}  // namespace dvs

#endif  // DVS_API_SERVER_H_
