// The Apply rules that apply_test.cc's stories do not reach: one test per guard, written so that
// deleting the guard (tools/mutants/mutants.txt) fails it. Every refusal asserts its message and
// that the state is unchanged.
#include <gtest/gtest.h>

#include "statemachine/invariants.h"
#include "statemachine/limits.h"
#include "statemachine/replay.h"
#include "tests/statemachine/expect_refused.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

class ApplyGuards : public ::testing::Test {
 protected:
  void SetUp() override { h.Bootstrap(); }

  void ExpectRefused(const SecretKey& key, const sm::Transition& t, const std::string& want) {
    test::ExpectRefused(h, key, t, want);
  }
  static sm::Transition Pause(const std::string& id, const std::string& reason = "") {
    sm::Transition t;
    t.mutable_pause()->set_bundle(id);
    if (!reason.empty()) t.mutable_pause()->set_reason(reason);
    return t;
  }
  static sm::Transition Resume(const std::string& id) {
    sm::Transition t;
    t.mutable_resume()->set_bundle(id);
    return t;
  }
  static sm::Transition Promote(const std::string& id) {
    sm::Transition t;
    t.mutable_promote()->set_bundle(id);
    return t;
  }
  static sm::Transition Rollback(const std::string& id, const std::string& reason) {
    sm::Transition t;
    t.mutable_rollback()->set_bundle(id);
    t.mutable_rollback()->set_reason(reason);
    return t;
  }
  static sm::Transition Retire(const std::string& id, const std::string& reason) {
    sm::Transition t;
    t.mutable_retire()->set_bundle(id);
    t.mutable_retire()->set_reason(reason);
    return t;
  }
  static sm::Transition Reject(const std::string& id, const std::string& reason) {
    sm::Transition t;
    t.mutable_reject()->set_bundle(id);
    t.mutable_reject()->set_reason(reason);
    return t;
  }

  test::Harness h;
};

TEST_F(ApplyGuards, ParseTransitionRefusesGarbageAndEmptyBodies) {
  auto garbage = ParseTransition("\xff\xff\xff garbage");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("does not parse"), std::string::npos);
  auto empty = ParseTransition(sm::Transition().SerializeAsString());
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("carries no transition"), std::string::npos);
  sm::Transition t;
  t.mutable_approve()->set_bundle("b");
  ASSERT_TRUE(ParseTransition(t.SerializeAsString()).ok());
}

TEST_F(ApplyGuards, AnEmptyBodyIsNamedAsSuchBeforeAnyOtherCheck) {
  Entry e = h.MakeEntry(h.root, sm::Transition());
  e.body.clear();  // parses as a transition with no kind and no request id
  Status s = ApplyEntry(&h.state, e);
  EXPECT_EQ(s.message(), "body carries no transition") << s.ToString();
}

TEST_F(ApplyGuards, RequestIdsAreRequiredBoundedAndRemembered) {
  sm::Transition t;
  t.mutable_package()->set_manifest(EncodeManifest(test::Manifest("svc", "1.0")));
  Entry e = h.MakeEntry(h.publisher, t);
  sm::Transition body = *ParseTransition(e.body);
  body.clear_request_id();
  e.body = body.SerializeAsString();
  e.signature = h.publisher.Sign(kEntryBodyContext, e.body);
  const std::string before = EncodeSnapshot(h.state, Hash{});
  EXPECT_NE(ApplyEntry(&h.state, e).message().find("request_id is required"), std::string::npos);
  t.set_request_id(std::string(kMaxRequestIdLength + 1, 'r'));
  ExpectRefused(h.publisher, t, "request_id is longer than 128 characters");
  t.set_request_id(std::string(kMaxRequestIdLength, 'r'));
  ASSERT_TRUE(h.Submit(h.publisher, t).ok());
  EXPECT_TRUE(h.state.request_ids.Contains(RequestIdSet::DigestOf(t.request_id()), h.now));
  EXPECT_NE(before, EncodeSnapshot(h.state, Hash{}));
}

TEST_F(ApplyGuards, GenesisNamesAndKeyAreChecked) {
  struct Case {
    std::string ledger, root, key, want;
  };
  test::Harness fresh;
  const std::string key(fresh.root.public_key().bytes());
  for (const Case& c : {Case{"", "root", key, "ledger_name: is required"},
                        Case{"irs", "9root", key, "root_name: '9root' must start with a letter"},
                        Case{"irs", "root", "short", "root_key: public key must be 32 bytes"}}) {
    sm::Transition g;
    g.mutable_genesis()->set_ledger_name(c.ledger);
    g.mutable_genesis()->set_root_name(c.root);
    g.mutable_genesis()->set_root_key(c.key);
    Status s = fresh.Submit(fresh.root, g);
    EXPECT_NE(s.message().find(c.want), std::string::npos) << s.ToString();
    EXPECT_EQ(fresh.state.size, 0u);
  }
}

TEST_F(ApplyGuards, GrantChecksTheNameAndTheKeyBytes) {
  EXPECT_NE(h.Grant("bad name", test::KeyFromNumber(70), {"observer"})
                .message()
                .find("key name: 'bad name' has the character ' '"),
            std::string::npos);
  sm::Transition t;
  t.mutable_grant_key()->set_name("shorty");
  t.mutable_grant_key()->set_public_key("0123456789");
  t.mutable_grant_key()->add_roles("observer");
  ExpectRefused(h.root, t, "public_key: public key must be 32 bytes, got 10");
}

TEST_F(ApplyGuards, RevokeNeedsRootAKnownNameAndAReason) {
  sm::Transition t;
  t.mutable_revoke_key()->set_name("observer");
  t.mutable_revoke_key()->set_reason("rotation");
  ExpectRefused(h.admin, t, "revoking a key needs the root role");
  t.mutable_revoke_key()->set_name("nobody");
  ExpectRefused(h.root, t, "no key named 'nobody'");
  t.mutable_revoke_key()->set_name("observer");
  t.mutable_revoke_key()->set_reason("");
  ExpectRefused(h.root, t, "reason: is required");
  // A second root key can be revoked; the last one cannot (the count sees only live roots).
  ASSERT_TRUE(h.Grant("root2", test::KeyFromNumber(71), {"root"}).ok());
  t.mutable_revoke_key()->set_name("root2");
  t.mutable_revoke_key()->set_reason("rotation");
  ASSERT_TRUE(h.Submit(h.root, t).ok());
  // Revoking a non-root key is never stopped by the last-root rule, even with one root left.
  t.mutable_revoke_key()->set_name("observer");
  ASSERT_TRUE(h.Submit(h.root, t).ok());
}

TEST_F(ApplyGuards, PolicyNeedsRootAndStaysWithinItsLimits) {
  sm::Transition t;
  t.mutable_set_governance_policy()->mutable_policy()->add_allowed_licenses("MIT");
  ExpectRefused(h.admin, t, "setting the governance policy needs the root role");
  t.mutable_set_governance_policy()->mutable_policy()->add_required_reviews("not a name");
  ExpectRefused(h.root, t, "required_reviews: 'not a name' has the character ' '");
}

TEST_F(ApplyGuards, ARequiredTagNeedsAllowedValuesOrAnyValueNeverAnEmptyList) {
  sm::Transition t;
  auto& tags = *t.mutable_set_governance_policy()->mutable_policy()->mutable_required_tags();
  tags["fedramp"];  // no values, and any_value unset: it would allow anything
  ExpectRefused(h.root, t, "required_tags.fedramp: lists no allowed values");
  tags["fedramp"].set_any_value(true);
  tags["fedramp"].add_allowed("high");
  ExpectRefused(h.root, t, "required_tags.fedramp: lists allowed values and also allows any value");
  tags["fedramp"].clear_allowed();
  ASSERT_TRUE(h.Submit(h.root, t).ok());  // present, any value
  tags["fedramp"].set_any_value(false);
  tags["fedramp"].add_allowed("high");
  ASSERT_TRUE(h.Submit(h.root, t).ok());
}

// Wire encoding by hand: what a client other than ours could sign.
std::string Varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
  return out;
}
std::string Tag(uint32_t number, uint32_t wire_type) { return Varint(number << 3 | wire_type); }
std::string Delimited(uint32_t number, const std::string& payload) {
  return Tag(number, 2) + Varint(payload.size()) + payload;
}

// A signed body whose bytes are `t`'s followed by `extra` (a repeated singular message merges).
Entry WithExtraBytes(test::Harness& h, const SecretKey& key, const sm::Transition& t,
                     const std::string& extra) {
  Entry e = h.MakeEntry(key, t);
  e.body += extra;
  e.signature = key.Sign(kEntryBodyContext, e.body);
  return e;
}

void ExpectEntryRefused(test::Harness& h, const Entry& e, const std::string& want) {
  ASSERT_TRUE(sm::Transition().ParseFromString(e.body)) << "the bytes must parse, else it is moot";
  auto parsed = ParseTransition(e.body);
  ASSERT_FALSE(parsed.ok()) << "accepted, expected: " << want;
  EXPECT_EQ(parsed.status().message(), want);
  const std::string before = EncodeSnapshot(h.state, Hash{});
  Status s = h.SubmitEntry(e);
  EXPECT_EQ(s.message(), want) << s.ToString();
  EXPECT_EQ(EncodeSnapshot(h.state, Hash{}), before) << "a refused entry changed the state";
}

TEST_F(ApplyGuards, UnknownFieldsAreRefusedInsideMapEntriesAndAtEveryDepth) {
  const std::string id = h.Release("svc", "1.0");
  sm::Transition t;
  t.mutable_observe()->set_bundle(id);
  t.mutable_observe()->set_samples(200);
  // observe (18) > metrics (2) > one entry {key 1, value 2, and an unknown field 3}: the parser
  // drops field 3 of a map entry, so only the bytes can tell.
  const std::string metric = Delimited(1, "error_rate") + Tag(2, 1) + std::string(8, '\0');
  ASSERT_TRUE(
      h.SubmitEntry(WithExtraBytes(h, h.observer, t, Delimited(18, Delimited(2, metric)))).ok());
  ExpectEntryRefused(
      h,
      WithExtraBytes(h, h.observer, t, Delimited(18, Delimited(2, metric + Tag(3, 0) + Varint(1)))),
      "unknown field 3 in transition.observe.metrics: not part of the signed format");
  // Inside the observe message itself.
  ExpectEntryRefused(h, WithExtraBytes(h, h.observer, t, Delimited(18, Tag(99, 0) + Varint(7))),
                     "unknown field 99 in transition.observe: not part of the signed format");
  // At the top, and a known number with another wire type (request_id as a number).
  ExpectEntryRefused(h, WithExtraBytes(h, h.observer, t, Tag(77, 0) + Varint(1)),
                     "unknown field 77 in transition: not part of the signed format");
  ExpectEntryRefused(h, WithExtraBytes(h, h.observer, t, Tag(1, 0) + Varint(5)),
                     "unknown field 1 in transition: not part of the signed format");
}

TEST_F(ApplyGuards, EveryKindNeedsItsRole) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  auto v3 = *h.Package(test::Manifest("svc", "3.0"));
  sm::Transition observe;
  observe.mutable_observe()->set_bundle(v2);
  (*observe.mutable_observe()->mutable_metrics())["error_rate"] = 0;
  observe.mutable_observe()->set_samples(1);
  sm::Transition ramp;
  ramp.mutable_ramp()->set_bundle(v2);
  ramp.mutable_ramp()->set_to_pct(50);
  ExpectRefused(h.admin, Reject(v3, "no"), "rejecting needs the governance role");
  ExpectRefused(h.publisher, observe, "reporting metrics needs the observer role");
  ExpectRefused(h.observer, Pause(v2), "pausing needs the release_admin role");
  ExpectRefused(h.observer, ramp, "ramping needs the release_admin role");
  ExpectRefused(h.observer, Promote(v2), "promoting needs the release_admin role");
  ExpectRefused(h.observer, Rollback(v2, "r"), "rolling back needs the release_admin role");
  ExpectRefused(h.observer, Retire(v3, "r"), "retiring needs the release_admin role");
  ASSERT_TRUE(h.Submit(h.admin, Pause(v2)).ok());
  ExpectRefused(h.observer, Resume(v2), "resuming needs the release_admin role");
}

TEST_F(ApplyGuards, PackageRefusesOversizedUnparsableAndInvalidManifests) {
  sm::Transition t;
  t.mutable_package()->set_manifest(std::string(kMaxManifestBytes + 1, '\x01'));
  ExpectRefused(h.publisher, t, "at most 65536");
  t.mutable_package()->set_manifest("\xff\xff\xff\xff");
  ExpectRefused(h.publisher, t, "manifest bytes do not parse");
  sm::Manifest m = test::Manifest("svc", "01.0");
  t.mutable_package()->set_manifest(EncodeManifest(m));
  ExpectRefused(h.publisher, t, "version: invalid version '01.0'");
}

TEST_F(ApplyGuards, ApproveOnlyOnceAndRejectOnlyBeforeTraffic) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  sm::Transition approve;
  approve.mutable_approve()->set_bundle(v2);
  ExpectRefused(h.governance, approve, "bundle " + v2 + " is already canary");
  ExpectRefused(h.governance, Reject(v2, "late"),
                "only a bundle that never carried traffic can be rejected");
  auto v3 = *h.Package(test::Manifest("svc", "3.0"));
  ExpectRefused(h.governance, Reject(v3, ""), "reason: is required");
  ASSERT_TRUE(h.Submit(h.governance, Reject(v3, "no")).ok());
  ExpectRefused(h.governance, Reject(v3, "again"), "rejected, which is final");
}

TEST_F(ApplyGuards, OnlyWhatCarriesNoTrafficRetiresAndWithAReason) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ExpectRefused(h.admin, Retire(v2, "r"), "is canary and carries 5 % of traffic");
  ASSERT_TRUE(h.Submit(h.admin, Pause(v2)).ok());
  ExpectRefused(h.admin, Retire(v2, "r"), "is paused and carries 5 % of traffic");
  auto v3 = *h.Package(test::Manifest("svc", "3.0"));
  ExpectRefused(h.admin, Retire(v3, ""), "reason: is required");
  ASSERT_TRUE(h.Submit(h.admin, Retire(v3, "never shipped")).ok());
}

TEST_F(ApplyGuards, OnlyTheCanaryIsPromotedOrPaused) {
  auto v1 = h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ExpectRefused(h.admin, Promote(v1), "promoting needs a canary; bundle " + v1 + " is stable");
  ExpectRefused(h.admin, Pause(v1), "pausing needs a canary; bundle " + v1 + " is stable");
  (void)v2;
}

TEST_F(ApplyGuards, TheControllerDoesNotActOnAPausedCanary) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v2, 5.0, 100).ok());
  const uint64_t seq = h.state.size - 1;
  ASSERT_TRUE(h.Submit(h.admin, Pause(v2)).ok());
  sm::Transition t = Rollback(v2, "error spike");
  t.mutable_rollback()->mutable_evidence()->add_observation_seqs(seq);
  ExpectRefused(h.controller, t, "is paused; the controller does not act on it");
}

TEST_F(ApplyGuards, ObservationsAreBoundedAndOnlyTheCanarysAreItsEvidence) {
  auto v1 = h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  sm::Transition t;
  t.mutable_observe()->set_bundle(v2);
  t.mutable_observe()->set_samples(10);
  for (size_t i = 0; i <= kMaxMapEntries; ++i)
    (*t.mutable_observe()->mutable_metrics())["m" + std::to_string(i)] = 1;
  ExpectRefused(h.observer, t, "at most 64 metrics");
  ASSERT_TRUE(h.Observe(v1, 0.01, 100).ok());  // the stable's: a baseline, not evidence
  EXPECT_TRUE(h.state.services.at("svc").canary->pending.empty());
  ASSERT_TRUE(h.Observe(v2, 0.01, 100).ok());
  EXPECT_EQ(h.state.services.at("svc").canary->pending.size(), 1u);
}

TEST_F(ApplyGuards, PauseReasonIsBounded) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ExpectRefused(h.admin, Pause(v2, std::string(kMaxFieldLength + 1, 'x')),
                "reason: is 1025 characters, at most 1024");
  ASSERT_TRUE(h.Submit(h.admin, Pause(v2, "looking into latency")).ok());
}

TEST_F(ApplyGuards, RollbacksGiveAReasonAndAPausedCanaryCanBeRolledBack) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  ExpectRefused(h.admin, Rollback(v2, ""), "reason: is required");
  ASSERT_TRUE(h.Submit(h.admin, Pause(v2)).ok());
  ASSERT_TRUE(h.Submit(h.admin, Rollback(v2, "paused, then given up")).ok());
  EXPECT_EQ(h.state.bundles.at(v2).state, BundleState::kRolledBack);
  auto v3 = h.Release("svc", "3.0");
  ASSERT_TRUE(h.Submit(h.admin, Promote(v3)).ok());
  ExpectRefused(h.admin, Rollback(v3, ""), "reason: is required");
  ASSERT_TRUE(h.Submit(h.admin, Rollback(v3, "bad")).ok());
  EXPECT_TRUE(CheckInvariants(h.state).ok());
}

TEST_F(ApplyGuards, AnAutomaticRampToAnotherWeightThanDecidesIsRefused) {
  h.Release("svc", "1.0");
  auto v2 = h.Release("svc", "2.0");
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v2, 0.01, 100).ok());  // healthy: Decide steps to 25 %
  sm::Transition t;
  t.mutable_ramp()->set_bundle(v2);
  t.mutable_ramp()->set_to_pct(45);
  t.mutable_ramp()->mutable_evidence()->add_observation_seqs(h.state.size - 1);
  ExpectRefused(h.controller, t, "the policy decides step to 25 %");
  t.mutable_ramp()->set_to_pct(25);
  ASSERT_TRUE(h.Submit(h.controller, t).ok());
}

}  // namespace
}  // namespace dvs
