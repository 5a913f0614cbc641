#include "api/service/transitions.h"

#include <algorithm>

namespace dvs::make {

sm::Transition GrantKey(const std::string& name, const PublicKey& pub,
                        const std::vector<std::string>& roles) {
  sm::Transition t;
  t.mutable_grant_key()->set_name(name);
  t.mutable_grant_key()->set_public_key(std::string(pub.bytes()));
  for (const auto& r : roles) t.mutable_grant_key()->add_roles(r);
  return t;
}

sm::Transition RevokeKey(const std::string& name, const std::string& reason) {
  sm::Transition t;
  t.mutable_revoke_key()->set_name(name);
  t.mutable_revoke_key()->set_reason(reason);
  return t;
}

sm::Transition SetPolicy(const sm::GovernancePolicy& policy) {
  sm::Transition t;
  *t.mutable_set_governance_policy()->mutable_policy() = policy;
  return t;
}

sm::Transition Package(const std::string& manifest_bytes) {
  sm::Transition t;
  t.mutable_package()->set_manifest(manifest_bytes);
  return t;
}

sm::Transition Approve(const std::string& bundle) {
  sm::Transition t;
  t.mutable_approve()->set_bundle(bundle);
  return t;
}

sm::Transition Reject(const std::string& bundle, const std::string& reason) {
  sm::Transition t;
  t.mutable_reject()->set_bundle(bundle);
  t.mutable_reject()->set_reason(reason);
  return t;
}

sm::Transition Deploy(const std::string& bundle, uint32_t canary_pct) {
  sm::Transition t;
  t.mutable_deploy()->set_bundle(bundle);
  t.mutable_deploy()->set_canary_pct(canary_pct);
  return t;
}

sm::Transition Observe(const std::string& bundle, const Metrics& metrics, uint64_t samples) {
  sm::Transition t;
  t.mutable_observe()->set_bundle(bundle);
  for (const auto& [k, v] : metrics) (*t.mutable_observe()->mutable_metrics())[k] = v;
  t.mutable_observe()->set_samples(samples);
  return t;
}

sm::Transition Promote(const std::string& bundle, bool full, bool is_canary, uint32_t weight,
                       uint32_t step_pct) {
  sm::Transition t;
  if (!full && is_canary && weight < 100) {
    t.mutable_ramp()->set_bundle(bundle);
    t.mutable_ramp()->set_to_pct(std::min<uint32_t>(100, weight + step_pct));
  } else {
    t.mutable_promote()->set_bundle(bundle);
  }
  return t;
}

sm::Transition Pause(const std::string& bundle, const std::string& reason) {
  sm::Transition t;
  t.mutable_pause()->set_bundle(bundle);
  t.mutable_pause()->set_reason(reason);
  return t;
}

sm::Transition Resume(const std::string& bundle) {
  sm::Transition t;
  t.mutable_resume()->set_bundle(bundle);
  return t;
}

sm::Transition Rollback(const std::string& bundle, const std::string& reason) {
  sm::Transition t;
  t.mutable_rollback()->set_bundle(bundle);
  t.mutable_rollback()->set_reason(reason);
  return t;
}

sm::Transition Retire(const std::string& bundle, const std::string& reason) {
  sm::Transition t;
  t.mutable_retire()->set_bundle(bundle);
  t.mutable_retire()->set_reason(reason);
  return t;
}

sm::Transition Confirm(const std::string& service, const std::string& router, uint64_t table_seq,
                       const std::map<std::string, uint32_t>& weights) {
  sm::Transition t;
  sm::Confirm* c = t.mutable_confirm();
  c->set_service(service);
  c->set_router(router);
  c->set_table_seq(table_seq);
  for (const auto& [bundle, weight] : weights) {
    sm::ConfirmedRoute* r = c->add_routes();
    r->set_bundle(bundle);
    r->set_weight(weight);
  }
  return t;
}

}  // namespace dvs::make
