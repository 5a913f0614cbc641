// Apply's rules for Checkpoint entries and for the request-id replay window.
#include <gtest/gtest.h>

#include "statemachine/apply.h"
#include "statemachine/decide.h"
#include "statemachine/replay.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

class CheckpointAndWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Bootstrap();
    ASSERT_TRUE(h.Grant("log", log, {"log"}).ok());
  }

  // An entry whose body was signed at `actor_ms`, applied at the harness's log time.
  Entry SignedAt(const SecretKey& key, sm::Transition t, int64_t actor_ms,
                 const std::string& request_id) {
    t.set_request_id(request_id);
    t.set_actor_time_ms(actor_ms);
    Entry e;
    e.seq = h.state.size;
    e.append_time_ms = h.now;
    e.body = t.SerializeAsString();
    e.signer = key.public_key();
    e.signature = key.Sign(kEntryBodyContext, e.body);
    return e;
  }
  sm::Transition CheckpointOf(uint64_t size, const Hash& digest) {
    sm::Transition t;
    t.mutable_checkpoint()->set_size(size);
    t.mutable_checkpoint()->set_root(std::string(32, 'r'));
    t.mutable_checkpoint()->set_state_digest(std::string(AsBytes(digest)));
    return t;
  }
  sm::Transition Revoke(const std::string& name) {
    sm::Transition t;
    t.mutable_revoke_key()->set_name(name);
    t.mutable_revoke_key()->set_reason("test");
    return t;
  }
  void ExpectRefused(const Entry& e, const std::string& want) {
    const std::string before = EncodeSnapshot(h.state, Hash{});
    Status s = ApplyEntry(&h.state, e);
    ASSERT_FALSE(s.ok()) << "accepted, expected: " << want;
    EXPECT_NE(s.message().find(want), std::string::npos) << s.ToString();
    EXPECT_EQ(EncodeSnapshot(h.state, Hash{}), before);
  }

  test::Harness h;
  SecretKey log = test::KeyFromNumber(7);
};

TEST_F(CheckpointAndWindow, ACheckpointCommitsToTheStateItsEntriesReplayTo) {
  const Hash digest = StateDigest(h.state);
  ExpectRefused(SignedAt(h.observer, CheckpointOf(h.state.size, digest), h.now, "c1"),
                "needs the log role");
  ExpectRefused(SignedAt(log, CheckpointOf(h.state.size - 1, digest), h.now, "c2"),
                "must commit to the");
  ExpectRefused(SignedAt(log, CheckpointOf(h.state.size, Sha256("another state")), h.now, "c3"),
                "is not the digest of the state");
  sm::Transition short_root = CheckpointOf(h.state.size, digest);
  short_root.mutable_checkpoint()->set_root("short");
  ExpectRefused(SignedAt(log, short_root, h.now, "c4"), "root must be 32 bytes");
  sm::Transition short_digest = CheckpointOf(h.state.size, digest);
  short_digest.mutable_checkpoint()->set_state_digest("short");
  ExpectRefused(SignedAt(log, short_digest, h.now, "c5"), "state_digest must be 32 bytes");
  const uint64_t at = h.state.size;
  ASSERT_TRUE(ApplyEntry(&h.state, SignedAt(log, CheckpointOf(at, digest), h.now, "c6")).ok());
  EXPECT_EQ(h.state.last_checkpoint_size, at + 1);
}

// A state loader that has just derived the digest (checking a snapshot) hands it to Apply, which
// then checks the checkpoint against it: the rule is the same, only the derivation is skipped.
TEST_F(CheckpointAndWindow, ADigestTheCallerDerivedIsTheOneTheCheckpointIsCheckedAgainst) {
  const Hash digest = StateDigest(h.state);
  const Hash other = Sha256("another state");
  const Entry e = SignedAt(log, CheckpointOf(h.state.size, digest), h.now, "k1");
  State copy = h.state;
  Status s = ApplyEntry(&copy, e, nullptr, &other);
  EXPECT_NE(s.message().find("is not the digest of the state"), std::string::npos) << s.ToString();
  EXPECT_TRUE(ApplyEntry(&h.state, e, nullptr, &digest).ok());
}

TEST_F(CheckpointAndWindow, ARequestMustBeAppliedWithinTheWindowOfItsSigning) {
  const int64_t w = RequestIdWindow::kWindowMs;
  ExpectRefused(SignedAt(h.root, Revoke("observer"), h.now - w - 1000, "old"),
                "before the log time it would be applied at");
  ExpectRefused(SignedAt(h.root, Revoke("observer"), h.now + w + 1000, "ahead"),
                "check the signer's clock");
  ASSERT_TRUE(
      ApplyEntry(&h.state, SignedAt(h.root, Revoke("observer"), h.now - w + 1000, "edge")).ok());
}

TEST_F(CheckpointAndWindow, AReplayIsRefusedInsideTheWindowAndTooOldAfterIt) {
  const Entry first = SignedAt(h.root, Revoke("observer"), h.now, "once");
  ASSERT_TRUE(ApplyEntry(&h.state, first).ok());
  Entry again = first;
  again.seq = h.state.size;
  ExpectRefused(again, "was already applied");
  // Two windows later the id is forgotten, and the replay is refused as too old instead.
  h.now += 2 * RequestIdWindow::kWindowMs;
  again.append_time_ms = h.now;
  ExpectRefused(again, "before the log time");
}

TEST_F(CheckpointAndWindow, TheWindowHoldsOnlyRecentIds) {
  for (int i = 0; i < 200; ++i) {
    h.now += 60'000;  // one entry a minute for 200 minutes
    sm::Transition t;
    t.mutable_set_governance_policy()->mutable_policy()->add_allowed_licenses("MIT");
    ASSERT_TRUE(ApplyEntry(&h.state, SignedAt(h.root, t, h.now, "p" + std::to_string(i))).ok());
  }
  // One hour of ids, give or take a bucket: not all 200.
  EXPECT_LE(h.state.request_ids.size(), 70u);
  EXPECT_GE(h.state.request_ids.size(), 60u);
}

}  // namespace
}  // namespace dvs

namespace dvs {
namespace {

// The reason of an automatic rollback is what people read as "why": it must be the policy's own,
// re-derived from the cited evidence, not free text that could contradict it.
TEST(AutomaticRollbackReason, MustBeThePolicysOwn) {
  test::Harness h;
  h.Bootstrap();
  h.Release("svc", "1.0");
  const std::string canary = h.Release("svc", "2.0");
  ASSERT_TRUE(h.Observe(canary, 2.5, 150, 500).ok());  // error_rate over the rollback threshold
  const Service& svc = h.state.services.at("svc");
  const Decision d = DecideForService(h.state, svc, h.now);
  ASSERT_EQ(d.kind, Decision::Kind::kRollback);
  auto t = ControllerTransition(svc, d);
  ASSERT_TRUE(t.has_value());
  sm::Transition lying = *t;
  lying.mutable_rollback()->set_reason("routine maintenance, all metrics healthy");
  const std::string before = EncodeSnapshot(h.state, Hash{});
  Status refused = h.Submit(h.controller, lying);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("must be the policy's own"), std::string::npos)
      << refused.ToString();
  EXPECT_EQ(EncodeSnapshot(h.state, Hash{}), before);
  ASSERT_TRUE(h.Submit(h.controller, *t).ok());  // the honest one, same evidence
  EXPECT_EQ(h.state.bundles.at(canary).reason, d.reason);
}

}  // namespace
}  // namespace dvs
