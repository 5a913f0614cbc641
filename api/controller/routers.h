// Traffic-router adapters: they make the world's routers agree with the derived routing table.
//
//   file:PATH   writes the table as JSON (what `dvs routes --json` prints), atomically
//   exec:CMD    runs `/bin/sh -c CMD` with that JSON on stdin; exit 0 means applied
//   nginx:CONF  writes one weighted `upstream dvs_<service>` per service into CONF, then runs the
//               reload command; addresses come from a backends file (service -> version or
//               bundle id -> HOST:PORT), read again at every apply
//   haproxy:SOCKET  sets each server's weight over HAProxy's admin socket (`set weight`, no
//               reload); servers come from a backends file (service -> backend, and version or
//               bundle id -> server), read again at every apply
//
// After applying, each router confirms: it reads back what it serves (the file, the rendered
// upstreams, HAProxy's `get weight`; for exec and nginx's reload, the exit status), and RouterSet
// reports the confirmed table so that the controller can record it in the ledger.
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
  // Makes the router carry `table`. Idempotent. On error the router keeps what it carried.
  virtual Status Apply(const RoutingTable& table) = 0;
  // After a successful Apply(table): reads back what the router serves; OK when it is `table`,
  // else an error naming the first difference.
  virtual Status Confirm(const RoutingTable& table) = 0;
};

struct RouterOptions {
  std::string nginx_backends;                    // YAML: service: {version|bundle: HOST:PORT}
  std::string nginx_reload = "nginx -s reload";  // run after the upstreams file changed
  // YAML: service: {backend: NAME, servers: {version|bundle: SERVER}}
  std::string haproxy_backends;
  int exec_timeout_ms = 10'000;
  int haproxy_timeout_ms = 2'000;  // per admin-socket exchange
};

// One router from its spec; InvalidArgument naming what is wrong with the spec, NotFound when a
// file: router's folder does not exist.
Result<std::unique_ptr<Router>> MakeRouter(const std::string& spec, const RouterOptions& options);

// The nginx upstreams for `table`, or NotFound naming a route without a backend address.
Result<std::string> NginxUpstreams(const RoutingTable& table, const std::string& backends_yaml);

// The haproxy:SOCKET router (haproxy_router.cc).
Result<std::unique_ptr<Router>> MakeHaproxyRouter(const std::string& spec,
                                                  const std::string& socket,
                                                  const RouterOptions& options);

// The weight each HAProxy server must have for `table`, keyed "BACKEND/SERVER": a route's
// weight on its server (warm bundles 0), and 0 for every other server the backends file names,
// so a rolled-back or retired bundle's server gets nothing. NotFound naming a route without a
// server; InvalidArgument naming what is wrong with the file.
Result<std::map<std::string, uint32_t>> HaproxyWeights(const RoutingTable& table,
                                                       const std::string& backends_yaml);

// Sends `commands` (separated by "; ") to HAProxy's admin socket at `socket` and returns one
// answer per command. IOError naming the socket when it cannot be reached or does not answer.
Result<std::vector<std::string>> HaproxyExchange(const std::string& socket,
                                                 const std::vector<std::string>& commands,
                                                 int timeout_ms);

// Runs `/bin/sh -c command` with `input` on stdin; OK on exit 0, else an error naming the exit
// status and the start of its stderr. Killed after timeout_ms.
Status RunCommand(const std::string& command, const std::string& input, int timeout_ms);

// A thread that keeps every router in step with the latest offered table.
class RouterSet {
 public:
  using Logger = std::function<void(const std::string&)>;
  // Called on the router thread after router `spec` applied and confirmed `table` (derived from
  // the first `table_seq` entries). May block (it appends to the ledger); an error is retried
  // with the router's backoff, like a failed apply.
  using Confirmed =
      std::function<Status(const std::string& spec, uint64_t table_seq, const RoutingTable& table)>;
  RouterSet(std::vector<std::unique_ptr<Router>> routers, ServerMetrics* metrics, Logger log,
            Confirmed confirmed = nullptr);
  ~RouterSet();  // stops the thread

  // The routers' names, as given on the command line.
  std::vector<std::string> Specs() const;
  // The table routers should carry from now on, derived from the first `table_seq` entries.
  // Cheap when unchanged; ignored when an offer from a newer state (larger table_seq) came first.
  void Offer(const RoutingTable& table, uint64_t table_seq = 0);
  // Asks each router that carries the latest table to read it back again (Confirm); one that no
  // longer serves it (HAProxy restarted without its state file, someone edited the file) is
  // applied again. Level-triggered: the controller calls it on every tick.
  void Recheck();
  // Blocks until every router carries the latest offered table, or timeout; true when in step.
  bool WaitInStep(int timeout_ms);
  void Stop();

 private:
  void Loop();

  std::vector<std::unique_ptr<Router>> routers_;
  ServerMetrics* metrics_;
  Logger log_;
  Confirmed confirmed_;
  std::mutex mu_;
  std::condition_variable cv_;
  RoutingTable desired_;
  uint64_t desired_version_ = 0;
  uint64_t desired_table_seq_ = 0;
  uint64_t offered_seq_ = 0;  // the newest state any offer was derived from
  std::vector<uint64_t> applied_;  // per router: the version it carries (0: none yet)
  bool stop_ = false;
  bool recheck_ = false;
  std::thread thread_;
};

}  // namespace dvs

#endif  // DVS_API_CONTROLLER_ROUTERS_H_
