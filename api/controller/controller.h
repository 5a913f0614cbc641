// The release controller: what `dvs serve` decides and does by itself, without sockets.
//   - Evaluate: Decide on the active rollouts of some services (all when none are named) and
//     append every decision other than hold, signed by the controller's key, in one transaction;
//   - OnTimer: an evaluation of every service, then the routing table again (warm windows end by
//     the clock, not by entries);
//   - OnCommitted: after entries committed through this process, the routers get the new table,
//     event streams are woken, and each observation's service is evaluated at once; each
//     observation's receipt then says what it led to;
//   - OnLedgerGrew: another process appended: routers and streams catch up;
//   - StartAnalysis: measures each active canary whose manifest has an `analysis:` section every
//     analysis interval (api/controller/analysis_round.h), signs each round as an Observe with an
//     observer key, and evaluates its service at once.
//   - each router's confirmation (it applied a table and read it back) becomes a signed Confirm
//     entry, and the services it concerns are evaluated at once: an automatic step waits for
//     every router to confirm the previous one (the manifest's rollout.wait_for_routers), a
//     rollback never waits.
// Observations are recognised by the transition's type (Receipt::observation).
//
// Thread safety: every method may be called from any thread (ReleaseService serialises writers;
// RouterSet has its own lock). The controller key and the service must outlive the controller.
#ifndef DVS_API_CONTROLLER_CONTROLLER_H_
#define DVS_API_CONTROLLER_CONTROLLER_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/controller/notifiers.h"
#include "api/controller/routers.h"
#include "api/service/release_service.h"

namespace dvs {

class ServerMetrics;

class Controller {
 public:
  using Logger = std::function<void(const std::string&)>;
  // `key` may be null: then nothing is decided (Evaluate answers FailedPrecondition) but routers
  // and streams still follow the ledger. `woken` is called after every commit (event streams).
  Controller(ReleaseService& svc, const SecretKey* key, ServerMetrics* metrics,
             std::vector<std::unique_ptr<Router>> routers, Logger log, std::function<void()> woken);
  ~Controller();

  bool decides() const { return key_ != nullptr; }
  // Cluster mode: act (decide, analyze, drive the routers, notify) only while `leads` returns
  // true; a follower's controller only wakes event streams. Call before the controller runs.
  void SetLeadership(std::function<bool()> leads) { leads_ = std::move(leads); }
  bool Leads() const { return !leads_ || leads_(); }

  Result<std::vector<TickOutcome>> Evaluate(const std::vector<std::string>& services);
  void OnTimer();
  void OnCommitted(std::vector<Receipt>& receipts);
  void OnLedgerGrew();
  // Offers the current routing table to the routers (level-triggered; cheap when unchanged).
  void OfferRoutes();
  // Lets a decision just committed reach the routers (up to wait_ms), then stops them and the
  // analysis.
  void Stop(int wait_ms);
  // Starts the analysis thread, signing with `observer` (observer role; must outlive the
  // controller). Call at most once.
  void StartAnalysis(const SecretKey* observer);
  // Delivers every deploy event from now on (notifiers.h). Call before the controller runs.
  void AddNotifier(std::unique_ptr<Notifier> notifier);

 private:
  void Advanced();
  void AnalysisLoop();
  // Measures `service`'s canary once, commits the Observe, and evaluates the service.
  void AnalyzeOnce(const State& state, const Service& service);
  void StopAnalysis();
  // RouterSet's callback (router thread): records `router`'s confirmation of `table`.
  Status RecordConfirmation(const std::string& router, uint64_t table_seq,
                            const RoutingTable& table);

  ReleaseService& svc_;
  const SecretKey* key_;
  ServerMetrics* metrics_;
  std::unique_ptr<RouterSet> routers_;
  std::vector<std::unique_ptr<Notifier>> notifiers_;
  std::mutex waiting_mu_;
  std::set<std::string> waiting_;  // GUARDED_BY(waiting_mu_): steps held for the routers
  Logger log_;
  std::function<void()> woken_;
  std::function<bool()> leads_;  // cluster mode; empty: always

  const SecretKey* observer_ = nullptr;
  std::thread analysis_;
  std::mutex analysis_mu_;
  std::condition_variable analysis_cv_;
  bool analysis_stopping_ = false;  // GUARDED_BY(analysis_mu_)
};

}  // namespace dvs

#endif  // DVS_API_CONTROLLER_CONTROLLER_H_
