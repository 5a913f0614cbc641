// One test per rule of Apply. Every refusal asserts its message and that the state is unchanged.
#include <gtest/gtest.h>

#include <cmath>

#include "statemachine/invariants.h"
#include "statemachine/replay.h"
#include "tests/statemachine/expect_refused.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

class ApplyRules : public ::testing::Test {
 protected:
  void SetUp() override { h.Bootstrap(); }

  // Submits and expects a refusal whose message contains `want`; the state must not change.
  void ExpectRefused(const SecretKey& key, const sm::Transition& t, const std::string& want) {
    test::ExpectRefused(h, key, t, want);
  }
  sm::Transition RollbackOf(const std::string& id, const std::string& reason = "bad") {
    sm::Transition t;
    t.mutable_rollback()->set_bundle(id);
    t.mutable_rollback()->set_reason(reason);
    return t;
  }
  sm::Transition PromoteOf(const std::string& id) {
    sm::Transition t;
    t.mutable_promote()->set_bundle(id);
    return t;
  }

  test::Harness h;
};

TEST_F(ApplyRules, FirstEntryMustBeGenesisSignedByItsRoot) {
  test::Harness fresh;
  sm::Transition g;
  g.mutable_genesis()->set_ledger_name("x");
  g.mutable_genesis()->set_root_name("root");
  g.mutable_genesis()->set_root_key(std::string(fresh.root.public_key().bytes()));
  EXPECT_NE(fresh.Submit(fresh.governance, g).message().find("must be signed by the root key"),
            std::string::npos);
  sm::Transition p;
  p.mutable_approve()->set_bundle("b");
  EXPECT_NE(fresh.Submit(fresh.root, p).message().find("entry 0 must be genesis"),
            std::string::npos);
  EXPECT_TRUE(fresh.Submit(fresh.root, g).ok());
  ExpectRefused(h.root, g, "genesis is only allowed as entry 0");
}

TEST_F(ApplyRules, EachTransitionNeedsItsRole) {
  auto id = *h.Package(test::Manifest("svc", "1.0"));
  sm::Transition approve;
  approve.mutable_approve()->set_bundle(id);
  ExpectRefused(h.publisher, approve,
                "approving needs the governance role; key 'publisher' holds publisher");
  sm::Transition deploy;
  deploy.mutable_deploy()->set_bundle(id);
  ASSERT_TRUE(h.Approve(id).ok());
  ExpectRefused(h.governance, deploy, "deploying needs the release_admin role");
  sm::Transition pkg;
  pkg.mutable_package()->set_manifest(EncodeManifest(test::Manifest("svc", "2.0")));
  ExpectRefused(h.admin, pkg, "packaging needs the publisher role");
  sm::Transition grant;
  grant.mutable_grant_key()->set_name("x");
  grant.mutable_grant_key()->set_public_key(
      std::string(test::KeyFromNumber(50).public_key().bytes()));
  grant.mutable_grant_key()->add_roles("observer");
  ExpectRefused(h.admin, grant, "granting a key needs the root role");
}

TEST_F(ApplyRules, UnregisteredAndRevokedKeysAreRefused) {
  sm::Transition obs;
  obs.mutable_package()->set_manifest(EncodeManifest(test::Manifest("svc", "1.0")));
  ExpectRefused(test::KeyFromNumber(78), obs, "is not registered");
  sm::Transition revoke;
  revoke.mutable_revoke_key()->set_name("publisher");
  revoke.mutable_revoke_key()->set_reason("laptop stolen");
  ASSERT_TRUE(h.Submit(h.root, revoke).ok());
  ExpectRefused(h.publisher, obs, "key 'publisher' was revoked at seq");
  ExpectRefused(h.root, revoke, "already revoked");
}

TEST_F(ApplyRules, KeyNamesAndKeysAreUniqueAndTheLastRootStays) {
  EXPECT_NE(
      h.Grant("observer", test::KeyFromNumber(60), {"observer"}).message().find("already taken"),
      std::string::npos);
  EXPECT_NE(
      h.Grant("again", h.observer, {"observer"}).message().find("already registered as 'observer'"),
      std::string::npos);
  EXPECT_NE(
      h.Grant("x", test::KeyFromNumber(61), {"wizard"}).message().find("unknown role 'wizard'"),
      std::string::npos);
  EXPECT_NE(h.Grant("x", test::KeyFromNumber(61), {}).message().find("at least one role"),
            std::string::npos);
  sm::Transition revoke;
  revoke.mutable_revoke_key()->set_name("root");
  revoke.mutable_revoke_key()->set_reason("rotation");
  ExpectRefused(h.root, revoke, "last root key");
}

TEST_F(ApplyRules, AReplayedSignedRequestIsRefused) {
  auto id = *h.Package(test::Manifest("svc", "1.0"));
  sm::Transition t;
  t.set_request_id("approve-once");
  t.mutable_approve()->set_bundle(id);
  Entry e = h.MakeEntry(h.governance, t);
  ASSERT_TRUE(h.SubmitEntry(e).ok());
  Entry replayed = e;
  replayed.seq = h.state.size;
  Status s = ApplyEntry(&h.state, replayed);
  EXPECT_NE(s.message().find("already applied (a replayed signed request)"), std::string::npos)
      << s.ToString();
}

TEST_F(ApplyRules, LogTimeMustNotDecrease) {
  h.now -= 1;
  sm::Transition t;
  t.mutable_package()->set_manifest(EncodeManifest(test::Manifest("svc", "1.0")));
  ExpectRefused(h.publisher, t, "earlier than the previous entry");
}

TEST_F(ApplyRules, AVersionMapsToOneManifestForeverAndIdenticalRepackageIsIdempotent) {
  auto id = *h.Package(test::Manifest("svc", "1.0"));
  auto again = h.Package(test::Manifest("svc", "1.0"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, id);
  EXPECT_EQ(h.state.bundles.size(), 1u);
  sm::Manifest other = test::Manifest("svc", "1.0");
  other.set_model("s3://models/other.onnx");
  sm::Transition t;
  t.mutable_package()->set_manifest(EncodeManifest(other));
  ExpectRefused(h.publisher, t, "is already packaged as " + id + " with other content");
}

TEST_F(ApplyRules, ApproveChecksTheGovernancePolicyAndNamesTheFailedCheck) {
  struct Case {
    const char* key;
    const char* value;
    const char* want;
  };
  for (const Case& c : {Case{"license", "GPL-3.0", "license 'GPL-3.0' is not in the policy"},
                        Case{"ethics_review", "pending", "review 'ethics_review' is 'pending'"},
                        Case{"fedramp", "low", "compliance tag fedramp='low'"}}) {
    sm::Manifest m = test::Manifest(std::string("svc-") + c.key, "1.0");
    (*m.mutable_governance())[c.key] = c.value;
    auto id = *h.Package(m);
    sm::Transition t;
    t.mutable_approve()->set_bundle(id);
    ExpectRefused(h.governance, t, c.want);
  }
  sm::Manifest m = test::Manifest("svc-nolicense", "1.0");
  m.mutable_governance()->erase("license");
  sm::Transition t;
  t.mutable_approve()->set_bundle(*h.Package(m));
  ExpectRefused(h.governance, t, "declares no license");

  // Several failures at once: all of them, in one refusal.
  sm::Manifest both = test::Manifest("svc-both", "1.0");
  (*both.mutable_governance())["ethics_review"] = "pending";
  (*both.mutable_governance())["fedramp"] = "low";
  sm::Transition t2;
  t2.mutable_approve()->set_bundle(*h.Package(both));
  ExpectRefused(h.governance, t2,
                "governance: review 'ethics_review' is 'pending', not 'passed'; compliance tag "
                "fedramp='low' is not one the policy allows");
}

TEST_F(ApplyRules, NothingCarriesTrafficWithoutApproval) {
  auto id = *h.Package(test::Manifest("svc", "1.0"));
  sm::Transition t;
  t.mutable_deploy()->set_bundle(id);
  ExpectRefused(h.admin, t, "is not approved");
  sm::Transition rej;
  rej.mutable_reject()->set_bundle(id);
  rej.mutable_reject()->set_reason("model card missing");
  ASSERT_TRUE(h.Submit(h.governance, rej).ok());
  ExpectRefused(h.admin, t, "rejected, which is final");
  sm::Transition approve;
  approve.mutable_approve()->set_bundle(id);
  ExpectRefused(h.governance, approve, "rejected, which is final");
}

TEST_F(ApplyRules, FirstReleaseGoesStraightToOneHundredPercent) {
  auto id = h.Release("svc", "1.0");
  EXPECT_EQ(h.state.bundles.at(id).state, BundleState::kStable);
  auto routes = h.state.Routes("svc", h.now);
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].weight, 100u);
}

TEST_F(ApplyRules, OneCanaryPerServiceAndOnlyNewerVersions) {
  h.Release("svc", "2.0");
  auto v21 = h.Release("svc", "2.1");
  EXPECT_EQ(h.state.bundles.at(v21).state, BundleState::kCanary);
  auto v22 = *h.Package(test::Manifest("svc", "2.2"));
  ASSERT_TRUE(h.Approve(v22).ok());
  sm::Transition t;
  t.mutable_deploy()->set_bundle(v22);
  ExpectRefused(h.admin, t, "already has a canary, " + v21 + " (one canary per service)");
  auto v19 = *h.Package(test::Manifest("svc", "1.9"));
  ASSERT_TRUE(h.Approve(v19).ok());
  ASSERT_TRUE(h.Submit(h.admin, RollbackOf(v21)).ok());
  sm::Transition old;
  old.mutable_deploy()->set_bundle(v19);
  ExpectRefused(h.admin, old, "version 1.9 is not newer than the stable 2.0");
}

TEST_F(ApplyRules, CanaryPercentFromFlagOrManifestWithinRange) {
  h.Release("svc", "1.0");
  auto id = *h.Package(test::Manifest("svc", "1.1"));
  ASSERT_TRUE(h.Approve(id).ok());
  sm::Transition t;
  t.mutable_deploy()->set_bundle(id);
  t.mutable_deploy()->set_canary_pct(101);
  ExpectRefused(h.admin, t, "canary_pct 101 is outside 1..100");
  ASSERT_TRUE(h.Deploy(id, 10).ok());
  EXPECT_EQ(h.state.WeightOf(h.state.bundles.at(id)), 10u);
}

TEST_F(ApplyRules, RollbackWithNoPreviousGoodIsRefused) {
  auto v1 = h.Release("svc", "1.0");
  ExpectRefused(h.admin, RollbackOf(v1), "no previous good bundle for svc");
}

TEST_F(ApplyRules, PreviousGoodComesFromHistoryNotVersionStrings) {
  auto v1 = h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ASSERT_TRUE(h.Submit(h.admin, PromoteOf(v2)).ok());
  auto v3 = h.Release("svc", "3.0");
  ASSERT_TRUE(h.Submit(h.admin, PromoteOf(v3)).ok());
  sm::Transition retire;
  retire.mutable_retire()->set_bundle(v2);
  retire.mutable_retire()->set_reason("license expired");
  ASSERT_TRUE(h.Submit(h.admin, retire).ok());
  ASSERT_TRUE(h.Submit(h.admin, RollbackOf(v3)).ok());  // 2.0 is retired: back to 1.0
  EXPECT_EQ(h.state.services.at("svc").stable, v1);
  EXPECT_EQ(h.state.bundles.at(v3).state, BundleState::kRolledBack);
  ExpectRefused(h.admin, RollbackOf(v1), "no previous good bundle");
}

TEST_F(ApplyRules, RollbackOfAStableWhileACanaryFliesIsRefused) {
  auto v1 = h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ASSERT_TRUE(h.Submit(h.admin, PromoteOf(v2)).ok());
  auto v3 = h.Release("svc", "3.0");
  ExpectRefused(h.admin, RollbackOf(v2), "has a canary in flight, " + v3);
  (void)v1;
}

TEST_F(ApplyRules, FinalStatesAreFinal) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ASSERT_TRUE(h.Submit(h.admin, RollbackOf(v2)).ok());
  ExpectRefused(h.admin, PromoteOf(v2),
                "promoting needs a canary; bundle " + v2 + " is rolled_back");
  ExpectRefused(h.admin, RollbackOf(v2), "only a canary or the stable bundle can be rolled back");
  sm::Transition retire;
  retire.mutable_retire()->set_bundle(v2);
  retire.mutable_retire()->set_reason("cleanup");
  ExpectRefused(h.admin, retire, "rolled_back, which is final");
  ExpectRefused(
      h.observer,
      [&] {
        sm::Transition t;
        t.mutable_observe()->set_bundle(v2);
        (*t.mutable_observe()->mutable_metrics())["error_rate"] = 0;
        t.mutable_observe()->set_samples(1);
        return t;
      }(),
      "carries no traffic");
}

TEST_F(ApplyRules, OnlyBundlesWithoutTrafficRetire) {
  auto v1 = h.Release("svc", "1.0");
  sm::Transition retire;
  retire.mutable_retire()->set_bundle(v1);
  retire.mutable_retire()->set_reason("old");
  ExpectRefused(h.admin, retire, "carries 100 % of traffic");
}

TEST_F(ApplyRules, PauseStopsTheControllerAndResumeRestartsIt) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  sm::Transition pause;
  pause.mutable_pause()->set_bundle(v2);
  ASSERT_TRUE(h.Submit(h.admin, pause).ok());
  EXPECT_EQ(h.state.bundles.at(v2).state, BundleState::kPaused);
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v2, 0.01, 100).ok());
  EXPECT_EQ(h.Tick("svc").kind, Decision::Kind::kHold);
  ExpectRefused(h.admin, pause, "already paused");
  sm::Transition resume;
  resume.mutable_resume()->set_bundle(v2);
  ASSERT_TRUE(h.Submit(h.admin, resume).ok());
  EXPECT_EQ(h.Tick("svc").kind, Decision::Kind::kStep);
  ExpectRefused(h.admin, resume, "is not paused");
}

TEST_F(ApplyRules, ManualRampMustGoUp) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  sm::Transition t;
  t.mutable_ramp()->set_bundle(v2);
  t.mutable_ramp()->set_to_pct(5);
  ExpectRefused(h.admin, t, "must be above the current 5 %");
  t.mutable_ramp()->set_to_pct(50);
  ASSERT_TRUE(h.Submit(h.admin, t).ok());
  EXPECT_EQ(h.state.WeightOf(h.state.bundles.at(v2)), 50u);
}

TEST_F(ApplyRules, ARampOutsideOneToOneHundredIsRefusedWhoeverSignsIt) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v2, 0.01, 100).ok());
  for (uint32_t pct : {0u, 101u, 150u}) {
    SCOPED_TRACE(pct);
    sm::Transition t;
    t.mutable_ramp()->set_bundle(v2);
    t.mutable_ramp()->set_to_pct(pct);
    const std::string want = "to " + std::to_string(pct) + " % is outside 1..100";
    ExpectRefused(h.admin, t, want);  // by hand, as an entry made with the library
    t.mutable_ramp()->mutable_evidence()->add_observation_seqs(h.state.size - 1);
    ExpectRefused(h.controller, t, want);  // and as an automatic decision citing evidence
  }
  sm::Transition full;
  full.mutable_ramp()->set_bundle(v2);
  full.mutable_ramp()->set_to_pct(100);
  ASSERT_TRUE(h.Submit(h.admin, full).ok());
  auto routes = h.state.Routes("svc", h.now);
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].weight, 0u);
  EXPECT_EQ(routes[1].weight, 100u);
  EXPECT_TRUE(CheckInvariants(h.state).ok());
}

TEST_F(ApplyRules, InvariantTwoFailsOnAWeightOutsideItsRange) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ASSERT_TRUE(CheckInvariants(h.state).ok());
  // What a wrapped 100 - canary would hide: 150 % on the canary, 2^32 - 50 % on the stable.
  for (uint32_t bad : {0u, 101u, 150u}) {
    SCOPED_TRACE(bad);
    State s = h.state;
    s.services.at("svc").canary->weight = bad;
    Status st = CheckInvariants(s);
    EXPECT_TRUE(st.IsCorruption()) << st.ToString();
    EXPECT_NE(st.message().find("invariant 2 broken"), std::string::npos) << st.ToString();
    EXPECT_NE(st.message().find(std::to_string(bad) + " %, outside 1..100"), std::string::npos)
        << st.ToString();
    EXPECT_FALSE(CheckServiceInvariants(s, "svc").ok());
  }
  (void)v2;
}

TEST_F(ApplyRules, AHandRampOfAPausedCanaryIsRefused) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  sm::Transition pause;
  pause.mutable_pause()->set_bundle(v2);
  ASSERT_TRUE(h.Submit(h.admin, pause).ok());
  sm::Transition t;
  t.mutable_ramp()->set_bundle(v2);
  t.mutable_ramp()->set_to_pct(50);
  ExpectRefused(h.admin, t, "bundle " + v2 + " is paused; resume it first");
  EXPECT_EQ(h.state.WeightOf(h.state.bundles.at(v2)), 5u);
}

TEST_F(ApplyRules, ARollbackOfTheStableThatCitesEvidenceIsRefused) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ASSERT_TRUE(h.Submit(h.admin, PromoteOf(v2)).ok());  // 1.0 is now a previous good
  ASSERT_TRUE(h.Observe(v2, 5.0, 900).ok());           // a stable is observed too
  sm::Transition t = RollbackOf(v2, "error spike");
  t.mutable_rollback()->mutable_evidence()->add_observation_seqs(h.state.size - 1);
  // There is no rollout to check the evidence against: the refusal must come before any use.
  ExpectRefused(h.controller, t, "rolling back of a stable bundle is never automatic");
  ExpectRefused(h.admin, t, "rolling back of a stable bundle is never automatic");
  EXPECT_EQ(h.state.bundles.at(v2).state, BundleState::kStable);
}

TEST_F(ApplyRules, AutomaticDecisionsMustMatchDecideOnExactlyTheirEvidence) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v2, 0.01, 100).ok());
  const uint64_t good = h.state.size - 1;
  ASSERT_TRUE(h.Observe(v2, 5.0, 100).ok());  // bad: the combined metrics roll back
  const uint64_t bad = h.state.size - 1;

  sm::Transition ramp;  // cherry-picks the good observation
  ramp.mutable_ramp()->set_bundle(v2);
  ramp.mutable_ramp()->set_to_pct(25);
  ramp.mutable_ramp()->mutable_evidence()->add_observation_seqs(good);
  ExpectRefused(h.controller, ramp, "is not exactly the observations of " + v2);

  ramp.mutable_ramp()->mutable_evidence()->add_observation_seqs(bad);
  ExpectRefused(h.controller, ramp, "the policy decides rollback");
  ExpectRefused(h.admin, ramp, "an automatic decision needs the controller role");

  sm::Transition promote = PromoteOf(v2);
  *promote.mutable_promote()->mutable_evidence() = ramp.ramp().evidence();
  ExpectRefused(h.controller, promote, "the policy decides rollback");
  EXPECT_EQ(h.Tick("svc").kind, Decision::Kind::kRollback);
}

TEST_F(ApplyRules, ControllerCannotActWithoutEvidence) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ExpectRefused(h.controller, PromoteOf(v2),
                "promoting needs the release_admin role; key 'controller'");
}

TEST_F(ApplyRules, ObservationsAreValidated) {
  auto v1 = h.Release("svc", "1.0");
  sm::Transition t;
  t.mutable_observe()->set_bundle(v1);
  t.mutable_observe()->set_samples(10);
  ExpectRefused(h.observer, t, "at least one metric");
  (*t.mutable_observe()->mutable_metrics())["bad name!"] = 1;
  ExpectRefused(h.observer, t, "metric name 'bad name!' is not valid");
  t.mutable_observe()->mutable_metrics()->clear();
  (*t.mutable_observe()->mutable_metrics())["latency_ms"] = std::nan("");
  ExpectRefused(h.observer, t, "not a finite number");
  (*t.mutable_observe()->mutable_metrics())["latency_ms"] = 12;
  t.mutable_observe()->set_samples(0);
  ExpectRefused(h.observer, t, "samples must be at least 1");
}

TEST_F(ApplyRules, MalformedBodiesAreRefusedNotCrashedOn) {
  Entry e = h.MakeEntry(h.root, sm::Transition());
  EXPECT_NE(ApplyEntry(&h.state, e).message().find("carries no transition"), std::string::npos);
  e.body = "\xff\xff\xff garbage";
  EXPECT_NE(ApplyEntry(&h.state, e).message().find("does not parse"), std::string::npos);
  e = h.MakeEntry(h.root, sm::Transition());
  e.seq += 3;
  EXPECT_TRUE(ApplyEntry(&h.state, e).IsCorruption());
}

TEST_F(ApplyRules, WarmBundleLeavesTheTableWhenItsWindowEnds) {
  auto v1 = h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ASSERT_TRUE(h.Submit(h.admin, PromoteOf(v2)).ok());
  EXPECT_EQ(h.state.Routes("svc", h.now + 30 * 60'000 - 1).size(), 2u);
  EXPECT_EQ(h.state.Routes("svc", h.now + 30 * 60'000).size(), 1u);
  // Rolling back after the window still finds 1.0: previous good is history, not warmth.
  h.now += 60 * 60'000;
  ASSERT_TRUE(h.Submit(h.admin, RollbackOf(v2)).ok());
  EXPECT_EQ(h.state.services.at("svc").stable, v1);
}

}  // namespace
}  // namespace dvs
