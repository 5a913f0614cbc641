// Traffic-router adapters: they make the world's routers agree with the derived routing table.
//
//   file:PATH   writes the table as JSON (what `dvs routes --json` prints), atomically
//   exec:CMD    runs `/bin/sh -c CMD` with that JSON on stdin; exit 0 means applied
//   nginx:CONF  writes one weighted `upstream dvs_<service>` per service into CONF, then runs the
//               reload command; addresses come from a backends file (service -> version or
//               bundle id -> HOST:PORT), read again at every apply
//
// Routers are level-triggered: RouterSet hands each the latest table, re-applies it at start, and
// retries a failed apply with exponential backoff until it succeeds or a newer table replaces it.
// Every failure is logged and counted. Warm bundles stay in the table until their window ends
// (nginx gets them as comments: weight 0 is not an nginx weight).
#ifndef DVS_API_CONTROLLER_ROUTERS_H_
#define DVS_API_CONTROLLER_ROUTERS_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http/server_metrics.h"
#include "ledger/status.h"
#include "statemachine/state.h"

namespace dvs {

using RoutingTable = std::map<std::string, std::vector<Route>>;

class Router {
 public:
  virtual ~Router() = default;
  virtual const std::string& spec() const = 0;
  // Makes the router carry `table`. Idempotent.
  virtual Status Apply(const RoutingTable& table) = 0;
};

struct RouterOptions {
  std::string nginx_backends;                    // YAML: service: {version|bundle: HOST:PORT}
  std::string nginx_reload = "nginx -s reload";  // run after the upstreams file changed
  int exec_timeout_ms = 10'000;
};

// One router from its spec; InvalidArgument naming what is wrong with the spec.
Result<std::unique_ptr<Router>> MakeRouter(const std::string& spec, const RouterOptions& options);

// The nginx upstreams for `table`, or NotFound naming a route without a backend address.
Result<std::string> NginxUpstreams(const RoutingTable& table, const std::string& backends_yaml);

// Runs `/bin/sh -c command` with `input` on stdin; OK on exit 0, else an error naming the exit
// status and the start of its stderr. Killed after timeout_ms.
Status RunCommand(const std::string& command, const std::string& input, int timeout_ms);

// A thread that keeps every router in step with the latest offered table.
class RouterSet {
 public:
  using Logger = std::function<void(const std::string&)>;
  RouterSet(std::vector<std::unique_ptr<Router>> routers, ServerMetrics* metrics, Logger log);
  ~RouterSet();  // stops the thread

  // The table routers should carry from now on. Cheap when unchanged.
  void Offer(const RoutingTable& table);
  // Blocks until every router carries the latest offered table, or timeout; true when in step.
  bool WaitInStep(int timeout_ms);
  void Stop();

 private:
  void Loop();

  std::vector<std::unique_ptr<Router>> routers_;
  ServerMetrics* metrics_;
  Logger log_;
  std::mutex mu_;
  std::condition_variable cv_;
  RoutingTable desired_;
  uint64_t desired_version_ = 0;
  std::vector<uint64_t> applied_;  // per router: the version it carries (0: none yet)
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace dvs

#endif  // DVS_API_CONTROLLER_ROUTERS_H_
