#include "api/controller/controller.h"

#include <chrono>

#include "api/http/server_metrics.h"

namespace dvs {

namespace {

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
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
    std::string what = DecisionKindName(t.decision.kind);
    if (t.decision.kind == Decision::Kind::kStep)
      what += " to " + std::to_string(t.decision.to_pct) + " %";
    log_("controller: " + t.service + " " + t.bundle + ": " + what + " (" + t.decision.reason +
         ") at seq " + std::to_string(t.receipt->seq));
  }
  if (committed) Advanced();
  return outcomes;
}

void Controller::OnTimer() {
  if (key_ != nullptr) {
    auto r = Evaluate({});
    if (!r.ok()) log_("controller: " + r.status().ToString());
  }
  OfferRoutes();
  if (routers_) routers_->Recheck();
}

void Controller::OnCommitted(std::vector<Receipt>& receipts) {
  Advanced();
  if (key_ == nullptr) return;
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
  if (!routers_) return;
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
  if (!routers_) return;
  routers_->WaitInStep(wait_ms);
  routers_->Stop();
}

void Controller::Advanced() {
  OfferRoutes();
  for (auto& n : notifiers_) n->Wake();  // never waits for a receiver
  if (woken_) woken_();
}

}  // namespace dvs
