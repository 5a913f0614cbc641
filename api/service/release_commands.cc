// ReleaseService's write commands: each builds its transition (api/service/transitions.h) against
// the caught-up state.
#include <algorithm>

#include "api/service/release_service.h"
#include "api/service/transitions.h"
#include "statemachine/confirm.h"
#include "statemachine/manifest_rules.h"

namespace dvs {

namespace {

using Transitions = Result<std::vector<sm::Transition>>;

Transitions Just(sm::Transition t) { return std::vector<sm::Transition>{std::move(t)}; }

}  // namespace

Result<Receipt> ReleaseService::Submit(const SecretKey& key, sm::Transition t) {
  return One(WriteBuilt(key, [&](const State&, int64_t) { return Just(t); }));
}

Result<Receipt> ReleaseService::GrantKey(const SecretKey& key, const std::string& name,
                                         const PublicKey& pub,
                                         const std::vector<std::string>& roles) {
  return Submit(key, make::GrantKey(name, pub, roles));
}

Result<Receipt> ReleaseService::RevokeKey(const SecretKey& key, const std::string& name,
                                          const std::string& reason) {
  return Submit(key, make::RevokeKey(name, reason));
}

Result<Receipt> ReleaseService::SetPolicy(const SecretKey& key,
                                          const sm::GovernancePolicy& policy) {
  return Submit(key, make::SetPolicy(policy));
}

Result<std::string> ReleaseService::Package(const SecretKey& key, const sm::Manifest& manifest) {
  DVS_ASSIGN_OR_RETURN(Receipt r, PackageReceipt(key, manifest));
  return r.bundle;
}

// Through the path of any signed request, which answers identical content already packaged with
// the receipt of the entry that holds it and appends nothing (SubmitVerified).
Result<Receipt> ReleaseService::PackageReceipt(const SecretKey& key, const sm::Manifest& manifest) {
  DVS_RETURN_IF_ERROR(ValidateManifest(manifest));
  DVS_ASSIGN_OR_RETURN(std::vector<Receipt> r,
                       WriteSigned({SignTransition(key, make::Package(EncodeManifest(manifest)))}));
  DVS_ASSERT(r.size() == 1);
  return std::move(r[0]);
}

Result<Receipt> ReleaseService::Approve(const SecretKey& key, const std::string& bundle) {
  return Submit(key, make::Approve(bundle));
}

Result<Receipt> ReleaseService::Reject(const SecretKey& key, const std::string& bundle,
                                       const std::string& reason) {
  return Submit(key, make::Reject(bundle, reason));
}

Result<Receipt> ReleaseService::Deploy(const SecretKey& key, const std::string& bundle,
                                       uint32_t canary_pct) {
  return Submit(key, make::Deploy(bundle, canary_pct));
}

Result<Receipt> ReleaseService::Observe(const SecretKey& key, const std::string& bundle,
                                        const Metrics& metrics, uint64_t samples) {
  return Submit(key, make::Observe(bundle, metrics, samples));
}

Result<std::vector<TickOutcome>> ReleaseService::Tick(const SecretKey& controller,
                                                      const std::vector<std::string>& services,
                                                      const std::vector<std::string>& routers) {
  std::vector<TickOutcome> outcomes;
  auto r = WriteBuilt(controller, [&](const State& s, int64_t now_ms) -> Transitions {
    outcomes.clear();
    // Refused whether or not a decision is due now: a cron job with the wrong key must not look
    // healthy until the first step.
    DVS_RETURN_IF_ERROR(s.RequireRole(controller.public_key(), Role::kController,
                                      "key " + controller.public_key().Id()));
    for (const std::string& name : services) {
      if (s.FindService(name) == nullptr) return Status::Refused("no service '" + name + "'");
    }
    std::vector<sm::Transition> ts;
    for (const auto& [name, svc] : s.services) {
      if (!services.empty() &&
          std::find(services.begin(), services.end(), name) == services.end()) {
        continue;
      }
      if (!svc.canary) continue;
      Decision d = DecideForService(s, svc, now_ms);
      bool waiting = false;
      if (d.kind == Decision::Kind::kStep || d.kind == Decision::Kind::kPromote) {
        if (auto wait = StepWaitsForRouter(s, svc, routers)) {
          d = Decision{Decision::Kind::kHold, 0, "waiting: " + *wait};
          waiting = true;
        }
      }
      outcomes.push_back(TickOutcome{name, svc.canary->bundle, d, std::nullopt, waiting});
      if (auto t = ControllerTransition(svc, d)) ts.push_back(std::move(*t));
    }
    return ts;
  });
  if (!r.ok()) return r.status();
  size_t next = 0;
  for (TickOutcome& o : outcomes) {
    if (o.decision.kind != Decision::Kind::kHold) o.receipt = (*r)[next++];
  }
  return outcomes;
}

Result<std::vector<Receipt>> ReleaseService::Confirm(
    const SecretKey& controller, const std::string& router, uint64_t table_seq,
    const std::map<std::string, std::vector<Route>>& served) {
  return WriteBuilt(controller, [&](const State& s, int64_t) -> Transitions {
    std::vector<sm::Transition> ts;
    for (const auto& [name, routes] : served) {
      const Service* svc = s.FindService(name);
      if (svc == nullptr) continue;
      std::map<std::string, uint32_t> weights;
      for (const Route& r : routes) {
        if (r.weight > 0) weights[r.bundle] = r.weight;
      }
      if (weights != WeightsWithTraffic(s, *svc)) continue;  // the table moved on
      auto it = svc->confirmed.find(router);
      if (it != svc->confirmed.end() && it->second.weights == weights) continue;  // known
      ts.push_back(make::Confirm(name, router, table_seq, weights));
    }
    return ts;
  });
}

Result<Receipt> ReleaseService::Promote(const SecretKey& key, const std::string& bundle,
                                        bool full) {
  return One(WriteBuilt(key, [&](const State& s, int64_t) -> Transitions {
    const Bundle* b = s.FindBundle(bundle);
    const Service* svc = b ? s.FindService(b->service) : nullptr;
    const bool canary = svc != nullptr && svc->canary && svc->canary->bundle == bundle;
    return Just(make::Promote(bundle, full, canary, canary ? svc->canary->weight : 0,
                              b ? b->manifest.rollout().step_pct() : 0));
  }));
}

Result<Receipt> ReleaseService::Pause(const SecretKey& key, const std::string& bundle,
                                      const std::string& reason) {
  return Submit(key, make::Pause(bundle, reason));
}

Result<Receipt> ReleaseService::Resume(const SecretKey& key, const std::string& bundle) {
  return Submit(key, make::Resume(bundle));
}

Result<Receipt> ReleaseService::Rollback(const SecretKey& key, const std::string& bundle,
                                         const std::string& reason) {
  return Submit(key, make::Rollback(bundle, reason));
}

Result<Receipt> ReleaseService::Retire(const SecretKey& key, const std::string& bundle,
                                       const std::string& reason) {
  return Submit(key, make::Retire(bundle, reason));
}

}  // namespace dvs
