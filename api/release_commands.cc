// ReleaseService's write commands: each builds its transition against the caught-up state.
#include <algorithm>

#include "dvs/release_service.h"
#include "statemachine/manifest_rules.h"

namespace dvs {

namespace {

using Transitions = Result<std::vector<sm::Transition>>;

Transitions Just(sm::Transition t) { return std::vector<sm::Transition>{std::move(t)}; }

}  // namespace

Result<Receipt> ReleaseService::GrantKey(const SecretKey& key, const std::string& name,
                                         const PublicKey& pub,
                                         const std::vector<std::string>& roles) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_grant_key()->set_name(name);
    t.mutable_grant_key()->set_public_key(std::string(pub.bytes()));
    for (const auto& r : roles) t.mutable_grant_key()->add_roles(r);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::RevokeKey(const SecretKey& key, const std::string& name,
                                          const std::string& reason) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_revoke_key()->set_name(name);
    t.mutable_revoke_key()->set_reason(reason);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::SetPolicy(const SecretKey& key,
                                          const sm::GovernancePolicy& policy) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    *t.mutable_set_governance_policy()->mutable_policy() = policy;
    return Just(t);
  }));
}

Result<std::string> ReleaseService::Package(const SecretKey& key, const sm::Manifest& manifest) {
  DVS_RETURN_IF_ERROR(ValidateManifest(manifest));
  const std::string bytes = EncodeManifest(manifest);
  const std::string id = BundleId(manifest, Sha256(bytes));
  auto r = WriteBuilt(key, [&](const State& s, int64_t) -> Transitions {
    if (const Bundle* b = s.FindBundle(id); b != nullptr && b->digest == Sha256(bytes)) {
      return std::vector<sm::Transition>{};  // identical content: idempotent, nothing to append
    }
    sm::Transition t;
    t.mutable_package()->set_manifest(bytes);
    return Just(t);
  });
  if (!r.ok()) return r.status();
  return id;
}

Result<Receipt> ReleaseService::Approve(const SecretKey& key, const std::string& bundle) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_approve()->set_bundle(bundle);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Reject(const SecretKey& key, const std::string& bundle,
                                       const std::string& reason) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_reject()->set_bundle(bundle);
    t.mutable_reject()->set_reason(reason);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Deploy(const SecretKey& key, const std::string& bundle,
                                       uint32_t canary_pct) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_deploy()->set_bundle(bundle);
    t.mutable_deploy()->set_canary_pct(canary_pct);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Observe(const SecretKey& key, const std::string& bundle,
                                        const Metrics& metrics, uint64_t samples) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_observe()->set_bundle(bundle);
    for (const auto& [k, v] : metrics) (*t.mutable_observe()->mutable_metrics())[k] = v;
    t.mutable_observe()->set_samples(samples);
    return Just(t);
  }));
}

Result<std::vector<TickOutcome>> ReleaseService::Tick(const SecretKey& controller,
                                                      const std::vector<std::string>& services) {
  std::vector<TickOutcome> outcomes;
  auto r = WriteBuilt(controller, [&](const State& s, int64_t now_ms) -> Transitions {
    outcomes.clear();
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
      outcomes.push_back(TickOutcome{name, svc.canary->bundle, d, std::nullopt});
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

Result<Receipt> ReleaseService::Promote(const SecretKey& key, const std::string& bundle,
                                        bool full) {
  return One(WriteBuilt(key, [&](const State& s, int64_t) -> Transitions {
    const Bundle* b = s.FindBundle(bundle);
    const Service* svc = b ? s.FindService(b->service) : nullptr;
    sm::Transition t;
    if (!full && svc != nullptr && svc->canary && svc->canary->bundle == bundle &&
        svc->canary->weight < 100) {
      t.mutable_ramp()->set_bundle(bundle);
      t.mutable_ramp()->set_to_pct(
          std::min<uint32_t>(100, svc->canary->weight + b->manifest.rollout().step_pct()));
    } else {
      t.mutable_promote()->set_bundle(bundle);  // Apply refuses what is not a canary
    }
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Pause(const SecretKey& key, const std::string& bundle,
                                      const std::string& reason) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_pause()->set_bundle(bundle);
    t.mutable_pause()->set_reason(reason);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Resume(const SecretKey& key, const std::string& bundle) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_resume()->set_bundle(bundle);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Rollback(const SecretKey& key, const std::string& bundle,
                                         const std::string& reason) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_rollback()->set_bundle(bundle);
    t.mutable_rollback()->set_reason(reason);
    return Just(t);
  }));
}

Result<Receipt> ReleaseService::Retire(const SecretKey& key, const std::string& bundle,
                                       const std::string& reason) {
  return One(WriteBuilt(key, [&](const State&, int64_t) {
    sm::Transition t;
    t.mutable_retire()->set_bundle(bundle);
    t.mutable_retire()->set_reason(reason);
    return Just(t);
  }));
}

}  // namespace dvs
