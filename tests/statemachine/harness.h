// A ledger in memory for state-machine tests: keys for every role, a log clock the test moves,
// and helpers that build, sign and apply transitions. Accepted entries are kept for replay.
#ifndef DVS_TESTS_STATEMACHINE_HARNESS_H_
#define DVS_TESTS_STATEMACHINE_HARNESS_H_

#include <string>
#include <vector>

#include "statemachine/apply.h"
#include "statemachine/decide.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/state.h"
#include "tests/test_util.h"

namespace dvs::test {

// The seed's manifest with DESIGN.md's defaults; interval 60 s.
inline sm::Manifest Manifest(const std::string& name, const std::string& version) {
  sm::Manifest m;
  m.set_name(name);
  m.set_version(version);
  m.set_code("registry.gov/" + name + ":" + version);
  m.set_model("s3://models/" + name + "_v" + version + ".onnx");
  (*m.mutable_config())["brackets"] = "2024";
  (*m.mutable_governance())["license"] = "Apache-2.0";
  (*m.mutable_governance())["ethics_review"] = "passed";
  (*m.mutable_governance())["fedramp"] = "moderate";
  m.set_canary_pct(5);
  sm::RolloutPolicy* r = m.mutable_rollout();
  r->set_step_pct(20);
  r->set_interval_ms(60'000);
  r->set_min_samples(100);
  r->set_warm_for_ms(30 * 60'000);
  r->add_promote_when("error_rate < 0.1");
  r->add_promote_when("latency_ms < 200");
  r->add_rollback_when("error_rate > 1");
  r->add_rollback_when("latency_ms > 400");
  return m;
}

class Harness {
 public:
  Harness()
      : root(KeyFromNumber(1)),
        governance(KeyFromNumber(2)),
        publisher(KeyFromNumber(3)),
        admin(KeyFromNumber(4)),
        observer(KeyFromNumber(5)),
        controller(KeyFromNumber(6)) {}

  SecretKey root, governance, publisher, admin, observer, controller;
  State state;
  std::vector<Entry> log;
  int64_t now = 1'717'545'600'000;  // 2024-06-05T00:00:00Z

  Entry MakeEntry(const SecretKey& key, sm::Transition t) {
    if (t.request_id().empty()) t.set_request_id("req-" + std::to_string(next_request_++));
    t.set_actor_time_ms(now);
    Entry e;
    e.seq = state.size;
    e.append_time_ms = now;
    e.body = t.SerializeAsString();
    e.signer = key.public_key();
    e.signature = key.Sign(kEntryBodyContext, e.body);
    return e;
  }

  Status Submit(const SecretKey& key, const sm::Transition& t) {
    return SubmitEntry(MakeEntry(key, t));
  }
  Status SubmitEntry(const Entry& e) {
    Status s = ApplyEntry(&state, e);
    if (s.ok()) log.push_back(e);
    return s;
  }

  // Genesis, a key per role, and a policy that the default manifest satisfies.
  void Bootstrap() {
    sm::Transition g;
    g.mutable_genesis()->set_ledger_name("irs-prod");
    g.mutable_genesis()->set_root_name("root");
    g.mutable_genesis()->set_root_key(std::string(root.public_key().bytes()));
    Must(Submit(root, g));
    Must(Grant("governance", governance, {"governance"}));
    Must(Grant("publisher", publisher, {"publisher"}));
    Must(Grant("release-admin", admin, {"release_admin"}));
    Must(Grant("observer", observer, {"observer"}));
    Must(Grant("controller", controller, {"controller"}));
    sm::Transition p;
    auto* pol = p.mutable_set_governance_policy()->mutable_policy();
    pol->add_allowed_licenses("Apache-2.0");
    pol->add_allowed_licenses("MIT");
    pol->add_required_reviews("ethics_review");
    (*pol->mutable_required_tags())["fedramp"].add_allowed("moderate");
    (*pol->mutable_required_tags())["fedramp"].add_allowed("high");
    Must(Submit(root, p));
  }

  Status Grant(const std::string& name, const SecretKey& key, std::vector<std::string> roles) {
    sm::Transition t;
    t.mutable_grant_key()->set_name(name);
    t.mutable_grant_key()->set_public_key(std::string(key.public_key().bytes()));
    for (auto& r : roles) t.mutable_grant_key()->add_roles(r);
    return Submit(root, t);
  }

  Result<std::string> Package(const sm::Manifest& m) {
    sm::Transition t;
    t.mutable_package()->set_manifest(EncodeManifest(m));
    DVS_RETURN_IF_ERROR(Submit(publisher, t));
    return BundleId(m, Sha256(EncodeManifest(m)));
  }
  Status Approve(const std::string& id) {
    sm::Transition t;
    t.mutable_approve()->set_bundle(id);
    return Submit(governance, t);
  }
  Status Deploy(const std::string& id, uint32_t pct = 0) {
    sm::Transition t;
    t.mutable_deploy()->set_bundle(id);
    t.mutable_deploy()->set_canary_pct(pct);
    return Submit(admin, t);
  }
  // package + approve + deploy
  std::string Release(const std::string& name, const std::string& version) {
    auto id = Package(Manifest(name, version));
    Must(id.status());
    Must(Approve(*id));
    Must(Deploy(*id));
    return *id;
  }
  Status Observe(const std::string& id, double error_rate, double latency_ms,
                 uint64_t samples = 200) {
    sm::Transition t;
    t.mutable_observe()->set_bundle(id);
    (*t.mutable_observe()->mutable_metrics())["error_rate"] = error_rate;
    (*t.mutable_observe()->mutable_metrics())["latency_ms"] = latency_ms;
    t.mutable_observe()->set_samples(samples);
    return Submit(observer, t);
  }

  // What the controller does on a tick: Decide on the pending observations and, unless it holds,
  // submit the signed decision citing them. Returns the decision. With must=false a refused
  // submission (a revoked controller key, say) is reported through *refusal instead of thrown.
  Decision Tick(const std::string& service, bool must = true, Status* refusal = nullptr) {
    const Service& svc = state.services.at(service);
    // DecideForService requires a canary: a test that ticks without one (a mutant let its
    // canary go) fails here instead of reading past an empty optional.
    if (!svc.canary) throw std::runtime_error("tick on " + service + ", which has no canary");
    Decision d = DecideForService(state, svc, now);
    auto t = ControllerTransition(svc, d);
    if (!t) return d;
    Status st = Submit(controller, *t);
    if (must) Must(st);
    if (refusal != nullptr) *refusal = st;
    return d;
  }

  static void Must(const Status& s) {
    if (!s.ok()) throw std::runtime_error("harness step refused: " + s.ToString());
  }

 private:
  int next_request_ = 0;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_STATEMACHINE_HARNESS_H_
