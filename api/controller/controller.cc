#include "api/controller/controller.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "api/controller/analysis_round.h"
#include "api/http/server_metrics.h"
#include "api/render/render.h"
#include "statemachine/analysis.h"

namespace dvs {

namespace {

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

const std::map<std::string, Service>& NoServices() {
  static const std::map<std::string, Service> none;
  return none;
}

}  // namespace

Controller::Controller(ReleaseService& svc, const SecretKey* key, ServerMetrics* metrics,
                       std::vector<std::unique_ptr<Router>> routers, Logger log,
                       std::function<void()> woken)
    : svc_(svc), key_(key), metrics_(metrics), log_(std::move(log)), woken_(std::move(woken)) {
  if (!routers.empty()) {
    routers_ = std::make_unique<RouterSet>(
        std::move(routers), metrics_, log_,
        [this](const std::string& spec, uint64_t table_seq, const RoutingTable& table) {
          return RecordConfirmation(spec, table_seq, table);
        });
  }
}

Controller::~Controller() {
  StopAnalysis();
  if (routers_) routers_->Stop();
  for (auto& n : notifiers_) n->Stop();
}

void Controller::AddNotifier(std::unique_ptr<Notifier> notifier) {
  notifier->Wake();
  notifiers_.push_back(std::move(notifier));
}

Result<std::vector<TickOutcome>> Controller::Evaluate(const std::vector<std::string>& services) {
  if (key_ == nullptr) {
    return Status::Refused("this server runs no controller (no controller key)");
  }
  if (!Leads()) {
    return Status::Refused("cluster: this node does not lead; the leader decides");
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto outcomes =
      svc_.Tick(*key_, services, routers_ ? routers_->Specs() : std::vector<std::string>{});
  metrics_->ObserveTick(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (!outcomes.ok()) return outcomes;
  {
    std::lock_guard<std::mutex> l(waiting_mu_);
    for (const TickOutcome& t : *outcomes) {
      if (t.waiting_for_routers) {
        waiting_.insert(t.service);
      } else {
        waiting_.erase(t.service);
      }
    }
  }
  bool committed = false;
  for (const TickOutcome& t : *outcomes) {
    if (!t.receipt) continue;
    committed = true;
    metrics_->CountAppends(1);
    if (t.decision.kind == Decision::Kind::kRollback) metrics_->CountRollback(true);
    log_("controller: " + t.service + " " + t.bundle + ": " +
         DecisionSummary(DecisionKindName(t.decision.kind), t.decision.to_pct, t.decision.reason,
                         t.receipt->seq));
  }
  if (committed) Advanced();
  return outcomes;
}

void Controller::OnTimer() {
  if (!Leads()) return;
  if (key_ != nullptr) {
    auto r = Evaluate({});
    if (!r.ok()) log_("controller: " + r.status().ToString());
  }
  OfferRoutes();
  if (routers_) routers_->Recheck();
}

void Controller::OnCommitted(std::vector<Receipt>& receipts) {
  // An observation never moves traffic by itself (the decision it leads to is committed, and
  // offered, by Evaluate below): the routing table is rebuilt only after other entries.
  bool may_route = false;
  for (const Receipt& r : receipts) may_route = may_route || !r.observation;
  if (may_route) OfferRoutes();
  if (woken_) woken_();
  if (key_ == nullptr || !Leads()) return;
  // An observation counts at once: evaluate its service now, not at the next tick.
  std::vector<std::string> services;
  auto state = svc_.Current();
  if (!state.ok()) return;
  for (const Receipt& r : receipts) {
    if (!r.observation) continue;
    const Bundle* b = (*state)->FindBundle(r.bundle);
    const Service* s = b ? (*state)->FindService(b->service) : nullptr;
    if (s != nullptr && s->canary && s->canary->bundle == b->id) services.push_back(s->name);
  }
  if (services.empty()) return;
  auto out = Evaluate(services);
  if (!out.ok()) {
    log_("controller: " + out.status().ToString());
    return;
  }
  for (Receipt& r : receipts) {
    if (!r.observation) continue;
    for (const TickOutcome& t : *out) {
      if (t.bundle != r.bundle) continue;
      r.decision = DecisionKindName(t.decision.kind);
      r.decision_reason = t.decision.reason;
      r.decision_to_pct = t.decision.to_pct;
      r.decision_seq = t.receipt ? t.receipt->seq : 0;
    }
  }
}

void Controller::OnLedgerGrew() { Advanced(); }

void Controller::OfferRoutes() {
  if (!routers_ || !Leads()) return;
  auto state = svc_.Current();
  if (!state.ok()) {
    log_("routes: " + state.status().ToString());
    return;
  }
  RoutingTable table;
  const int64_t now_ms = WallMs();
  for (const auto& [name, svc] : (*state)->services) table[name] = (*state)->Routes(name, now_ms);
  routers_->Offer(table, (*state)->size);
}

Status Controller::RecordConfirmation(const std::string& router, uint64_t table_seq,
                                      const RoutingTable& table) {
  if (key_ == nullptr) return Status::OK();  // nothing signs here: routers only follow
  if (!Leads()) return Status::OK();         // the leader records what its routers serve
  auto receipts = svc_.Confirm(*key_, router, table_seq, table);
  if (!receipts.ok()) return receipts.status();
  if (receipts->empty()) return Status::OK();
  metrics_->CountAppends(receipts->size());
  for (const Receipt& r : *receipts) {
    log_("controller: router " + router + " confirmed its table at seq " + std::to_string(r.seq));
  }
  // Only the services whose step was held for the routers: evaluating others here would take
  // decisions that an observation's own evaluation reports in its receipt.
  std::vector<std::string> services;
  {
    std::lock_guard<std::mutex> l(waiting_mu_);
    for (const auto& [name, routes] : table) {
      if (waiting_.count(name)) services.push_back(name);
    }
  }
  for (auto& n : notifiers_) n->Wake();
  if (woken_) woken_();
  // A step may have been waiting for this confirmation: evaluate now, not at the next tick.
  if (!services.empty()) {
    auto r = Evaluate(services);
    if (!r.ok()) log_("controller: " + r.status().ToString());
  }
  return Status::OK();
}

void Controller::Stop(int wait_ms) {
  StopAnalysis();
  if (!routers_) return;
  routers_->WaitInStep(wait_ms);
  routers_->Stop();
}

void Controller::StartAnalysis(const SecretKey* observer) {
  observer_ = observer;
  analysis_ = std::thread([this] { AnalysisLoop(); });
}

void Controller::StopAnalysis() {
  {
    std::lock_guard<std::mutex> l(analysis_mu_);
    analysis_stopping_ = true;
  }
  analysis_cv_.notify_all();
  if (analysis_.joinable()) analysis_.join();
}

// Each analyzed canary is measured when its interval has passed since its last round (the first
// round at once), rounds of several canaries one after another. A round that cannot be
// committed (the canary ended meanwhile) is logged and dropped.
void Controller::AnalysisLoop() {
  std::map<std::string, int64_t> next_round_ms;  // bundle -> wall time
  std::unique_lock<std::mutex> lock(analysis_mu_);
  while (!analysis_stopping_) {
    lock.unlock();
    int64_t wait_ms = 200;
    auto state = svc_.Current();
    if (!state.ok()) log_("analysis: " + state.status().ToString());
    const bool leads = Leads();
    for (const auto& [name, service] : state.ok() && leads ? (*state)->services : NoServices()) {
      if (!service.canary || service.canary->paused) continue;
      const Bundle& canary = (*state)->bundles.at(service.canary->bundle);
      if (!canary.manifest.has_analysis()) continue;
      const int64_t now = WallMs();
      auto due = next_round_ms.find(canary.id);
      if (due != next_round_ms.end() && due->second > now) {
        wait_ms = std::min(wait_ms, due->second - now);
        continue;
      }
      next_round_ms[canary.id] = now + canary.manifest.analysis().interval_ms();
      AnalyzeOnce(**state, service);
    }
    lock.lock();
    analysis_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait_ms, 10)),
                          [this] { return analysis_stopping_; });
  }
}

void Controller::AnalyzeOnce(const State& state, const Service& service) {
  const std::string& bundle = service.canary->bundle;
  sm::Transition t = MeasureRound(state, bundle, WallMs());
  const Bundle& stable = state.bundles.at(service.stable);
  const RoundVerdict verdict = JudgeRound(state.bundles.at(bundle).manifest,
                                          ObservationOf(t.observe()),
                                          stable.latest ? &stable.latest->metrics : nullptr);
  auto receipt = svc_.Submit(*observer_, std::move(t));
  if (!receipt.ok()) {
    log_("analysis: " + bundle + ": " + receipt.status().ToString());
    return;
  }
  metrics_->CountAppends(1);
  log_("analysis: " + bundle + ": " + VerdictName(verdict.verdict) + " (" + verdict.reason +
       ") at seq " + std::to_string(receipt->seq));
  Advanced();
  if (key_ == nullptr) return;
  auto out = Evaluate({service.name});
  if (!out.ok()) log_("controller: " + out.status().ToString());
}

void Controller::Advanced() {
  OfferRoutes();
  if (Leads()) {
    for (auto& n : notifiers_) n->Wake();  // never waits for a receiver
  }
  if (woken_) woken_();
}

}  // namespace dvs
