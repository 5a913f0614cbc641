// The library API's contracts, on a real LMDB ledger in a temporary directory.
#include "api/service/release_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/render/render.h"
#include "api/service/transitions.h"
#include "ledger/lmdb_util.h"
#include "statemachine/replay.h"
#include "tests/ledger/raw_ledger.h"
#include "tests/statemachine/harness.h"
#include "tests/test_util.h"

namespace dvs {
namespace {

class ReleaseServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { Make({}); }

  void Make(ServiceOptions opt) {
    svc_.reset();
    path_ = dir_.Sub("ledger" + std::to_string(++made_));
    auto s = ReleaseService::Init(path_, h_.root, "test", opt);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(*s);
    for (auto [name, key, role] :
         std::vector<std::tuple<std::string, const SecretKey*, std::string>>{
             {"governance", &h_.governance, "governance"},
             {"publisher", &h_.publisher, "publisher"},
             {"admin", &h_.admin, "release_admin"},
             {"observer", &h_.observer, "observer"},
             {"controller", &h_.controller, "controller"}}) {
      ASSERT_TRUE(svc_->GrantKey(h_.root, name, key->public_key(), {role}).ok());
    }
    if (opt.log_key) {
      ASSERT_TRUE(svc_->GrantKey(h_.root, "log", opt.log_key->public_key(), {"log"}).ok());
    }
    sm::GovernancePolicy p;
    p.add_allowed_licenses("Apache-2.0");
    ASSERT_TRUE(svc_->SetPolicy(h_.root, p).ok());
  }
  static ServiceOptions Checkpointing(uint64_t every) {
    ServiceOptions o;
    o.log_key = std::make_shared<const SecretKey>(test::KeyFromNumber(7));
    o.checkpoint_every = every;
    return o;
  }

  std::string Release(const std::string& version) {
    sm::Manifest m = test::Manifest("svc", version);
    m.mutable_rollout()->set_interval_ms(0);
    auto id = svc_->Package(h_.publisher, m);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(svc_->Approve(h_.governance, *id).ok());
    EXPECT_TRUE(svc_->Deploy(h_.admin, *id).ok());
    return *id;
  }

  std::string StateBytes() { return EncodeSnapshot(**svc_->Current(), Hash{}); }

  test::Harness h_;  // for its keys and manifests
  // The current canary of "svc"; REQUIRES: one flies.
  std::string Canary() { return (*svc_->Current())->services.at("svc").canary->bundle; }

  test::TempDir dir_;
  std::string path_;
  int made_ = 0;
  std::unique_ptr<ReleaseService> svc_;
};

TEST_F(ReleaseServiceTest, ARefusedCallWritesNothing) {
  std::string id = Release("1.0");
  Head before = *svc_->log().GetHead();
  auto r = svc_->Rollback(h_.admin, id, "no previous good");
  EXPECT_TRUE(r.status().IsRefused());
  Head after = *svc_->log().GetHead();
  EXPECT_EQ(after.size, before.size);
  EXPECT_EQ(after.hash, before.hash);
}

TEST_F(ReleaseServiceTest, ATickThatHoldsAppendsNothing) {
  Release("1.0");
  std::string v2 = Release("2.0");
  uint64_t size = svc_->log().GetHead()->size;
  auto outcomes = svc_->Tick(h_.controller);
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 1u);
  EXPECT_EQ((*outcomes)[0].decision.kind, Decision::Kind::kHold);
  EXPECT_FALSE((*outcomes)[0].receipt.has_value());
  EXPECT_EQ(svc_->log().GetHead()->size, size);
  ASSERT_TRUE(svc_->Observe(h_.observer, v2, {{"error_rate", 0.0}, {"latency_ms", 50}}, 500).ok());
  outcomes = svc_->Tick(h_.controller);
  EXPECT_EQ((*outcomes)[0].decision.kind, Decision::Kind::kStep);
  EXPECT_EQ((*outcomes)[0].receipt->seq, size + 1);
  EXPECT_TRUE(svc_->Tick(h_.controller, {"nope"}).status().IsRefused());
}

TEST_F(ReleaseServiceTest, ManualPromoteStepsThenGoesFull) {
  Release("1.0");
  std::string v2 = Release("2.0");
  ASSERT_TRUE(svc_->Promote(h_.admin, v2, false).ok());
  EXPECT_EQ(svc_->StatusOf(v2)->weight, 25u);
  ASSERT_TRUE(svc_->Promote(h_.admin, v2, true).ok());
  EXPECT_EQ(svc_->StatusOf(v2)->state, "stable");
}

TEST_F(ReleaseServiceTest, AStateHeldByAReaderDoesNotChangeUnderIt) {
  std::string v1 = Release("1.0");
  auto held = *svc_->Current();
  EXPECT_EQ(held->bundles.at(v1).state, BundleState::kStable);
  Release("2.0");
  EXPECT_EQ(held->bundles.size(), 1u);  // the old version, unchanged
  EXPECT_EQ((*svc_->Current())->bundles.size(), 2u);
}

TEST_F(ReleaseServiceTest, ReopeningRestoresFromTheLatestSnapshotPlusTheSuffix) {
  Make(Checkpointing(8));
  Release("1.0");
  for (int i = 2; i < 8; ++i) {
    Release(std::to_string(i) + ".0");
    ASSERT_TRUE(svc_->Rollback(h_.admin, Canary(), "regression").ok());
  }
  const std::string want = StateBytes();
  auto snap = svc_->log().LastDerived("snapshots");
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(snap->has_value()) << "no snapshot was written";
  const uint64_t snap_size = lmdb::ReadBigEndian64(snap->value().first);
  EXPECT_LT(snap_size, svc_->log().GetHead()->size);  // so the reopen replays a suffix
  svc_.reset();
  auto reopened = ReleaseService::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  svc_ = std::move(*reopened);
  EXPECT_EQ(StateBytes(), want);
  EXPECT_EQ(svc_->load_report().snapshot_size, snap_size);
  EXPECT_TRUE(svc_->load_report().rejected.empty());
}

TEST_F(ReleaseServiceTest, ASnapshotThatDoesNotMatchTheLogIsIgnored) {
  Make(Checkpointing(8));
  Release("1.0");
  for (int i = 2; i < 6; ++i) {
    Release(std::to_string(i) + ".0");
    ASSERT_TRUE(svc_->Promote(h_.admin, Canary(), true).ok());
  }
  const std::string want = StateBytes();
  auto snap = *svc_->log().LastDerived("snapshots");
  ASSERT_TRUE(snap.has_value());
  svc_.reset();
  {
    // Forge a snapshot: the state with a bundle retired, under the right key and head hash.
    auto decoded = DecodeSnapshot(snap->second);
    ASSERT_TRUE(decoded.ok());
    decoded->state.bundles.begin()->second.state = BundleState::kRetired;
    test::RawLedger raw(path_);
    raw.Put("snapshots", snap->first,
            EncodeSnapshot(decoded->state, decoded->head_hash, &*decoded->frontier));
  }
  auto reopened = ReleaseService::Open(path_);
  ASSERT_TRUE(reopened.ok());
  svc_ = std::move(*reopened);
  EXPECT_EQ(StateBytes(), want);
  ASSERT_EQ(svc_->load_report().rejected.size(), 1u);
  EXPECT_NE(svc_->load_report().rejected[0].find("not the one the checkpoint commits to"),
            std::string::npos)
      << svc_->load_report().rejected[0];
}

TEST_F(ReleaseServiceTest, ACheckpointNeedsTheLogRoleAndTheTrueRoot) {
  const uint64_t head = svc_->log().GetHead()->size;
  auto refused = svc_->AppendCheckpoint(h_.observer);
  EXPECT_TRUE(refused.status().IsForbidden()) << refused.status().ToString();
  // A checkpoint signed elsewhere over a wrong root is refused by the write path.
  SecretKey log = test::KeyFromNumber(7);
  ASSERT_TRUE(svc_->GrantKey(h_.root, "log", log.public_key(), {"log"}).ok());
  auto s = *svc_->Current();
  sm::Transition t;
  t.mutable_checkpoint()->set_size(s->size);
  t.mutable_checkpoint()->set_root(std::string(32, 'r'));
  t.mutable_checkpoint()->set_state_digest(std::string(AsBytes(StateDigest(*s))));
  auto wrong_root = svc_->SubmitSigned(SignTransition(log, t));
  EXPECT_TRUE(wrong_root.status().IsRefused()) << wrong_root.status().ToString();
  EXPECT_NE(wrong_root.status().message().find("is not the root"), std::string::npos);
  // And over a wrong state digest, by Apply.
  t.mutable_checkpoint()->set_root(std::string(AsBytes(*svc_->TrustedRoot(s->size))));
  t.mutable_checkpoint()->set_state_digest(std::string(32, 'd'));
  auto wrong_state = svc_->SubmitSigned(SignTransition(log, t));
  EXPECT_FALSE(wrong_state.ok());
  EXPECT_NE(wrong_state.status().message().find("state digest"), std::string::npos);
  EXPECT_EQ(svc_->log().GetHead()->size, head + 1);  // only the grant
  EXPECT_TRUE(svc_->AppendCheckpoint(log).ok());
}

TEST_F(ReleaseServiceTest, RequestsSignedOutsideTheReplayWindowAreRefused) {
  const uint64_t head = svc_->log().GetHead()->size;
  sm::Transition t;
  t.mutable_revoke_key()->set_name("observer");
  t.mutable_revoke_key()->set_reason("old");
  t.set_request_id("r-old");
  const int64_t now = (*svc_->Current())->last_time_ms;
  t.set_actor_time_ms(now - RequestIdWindow::kWindowMs - 60'000);
  auto old = svc_->SubmitSigned(SignedBody::Sign(h_.root, t.SerializeAsString()));
  EXPECT_TRUE(old.status().IsRefused());
  EXPECT_NE(old.status().message().find("before the log time it would be applied at; a request must be applied within 1 h"), std::string::npos)
      << old.status().ToString();
  t.set_actor_time_ms(now + RequestIdWindow::kWindowMs + 60'000);
  EXPECT_FALSE(svc_->SubmitSigned(SignedBody::Sign(h_.root, t.SerializeAsString())).ok());
  EXPECT_EQ(svc_->log().GetHead()->size, head);
}

// Group commit: concurrent callers share transactions, yet each gets its own receipt or its own
// refusal, and a refused caller (or a refused batch) never fails its neighbours.
TEST_F(ReleaseServiceTest, ConcurrentWritersEachGetTheirOwnOutcome) {
  const std::string v1 = Release("1.0");
  const uint64_t head = svc_->log().GetHead()->size;
  constexpr int kThreads = 16, kEach = 20;
  std::atomic<int> accepted{0}, refused{0}, batches_refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (i % 5 == 4) {
          // A batch whose second item the observer may not sign: all of it is refused.
          std::vector<SignedBody> batch;
          batch.push_back(SignTransition(h_.observer, make::Observe(v1, {{"x", 1}}, 10)));
          batch.push_back(SignTransition(h_.observer, make::Approve(v1)));
          if (!svc_->SubmitBatch(std::move(batch)).ok()) ++batches_refused;
        } else if ((t + i) % 3 == 0) {
          if (!svc_->Approve(h_.observer, v1).ok()) ++refused;  // no governance role
        } else {
          auto r = svc_->Observe(h_.observer, v1, {{"latency_ms", double(t * 100 + i)}}, 10);
          if (r.ok()) ++accepted;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(batches_refused.load(), kThreads * kEach / 5);
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(accepted.load() + refused.load() + batches_refused.load(), kThreads * kEach);
  EXPECT_EQ(svc_->log().GetHead()->size, head + accepted.load());
  // Nothing of a refused batch is in the ledger: every appended entry is a single observation.
  auto rows = svc_->Log(head, UINT64_MAX);
  ASSERT_TRUE(rows.ok());
  for (const LogRow& r : *rows) EXPECT_EQ(r.kind, "observe");
}

TEST_F(ReleaseServiceTest, PackagingIsIdempotentForIdenticalContent) {
  sm::Manifest m = test::Manifest("svc", "1.0");
  auto a = svc_->Package(h_.publisher, m);
  uint64_t size = svc_->log().GetHead()->size;
  auto b = svc_->Package(h_.publisher, m);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(svc_->log().GetHead()->size, size);
}

// Two clients that package one manifest at once each sign their own entry: the second to commit
// appends nothing and answers the receipt of the entry that holds the bundle.
TEST_F(ReleaseServiceTest, ASignedRepackageOfIdenticalContentAppendsNothing) {
  sm::Manifest m = test::Manifest("svc", "1.0");
  const std::string bytes = EncodeManifest(m);
  const SignedBody original = SignTransition(h_.publisher, make::Package(bytes));
  auto first = svc_->SubmitSigned(original);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const uint64_t size = svc_->log().GetHead()->size;
  // The same signed request again is a replay, refused as any replay is.
  auto replayed = svc_->SubmitSigned(original);
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.status().message().find("replayed"), std::string::npos)
      << replayed.status().ToString();
  auto again = svc_->SubmitSigned(SignTransition(h_.publisher, make::Package(bytes)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(svc_->log().GetHead()->size, size);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->hash, first->hash);
  EXPECT_EQ(again->request_id, first->request_id);
  EXPECT_EQ(again->bundle, first->bundle);
  EXPECT_EQ(again->state, "packaged");
  EXPECT_TRUE(first->appended);
  EXPECT_FALSE(again->appended);
  EXPECT_NE(RenderReceipt(*again, Format::kText).find("already committed (nothing appended)"),
            std::string::npos);
  // In a batch beside a new entry: one receipt per item, in order, one entry appended.
  std::vector<SignedBody> batch;
  batch.push_back(SignTransition(h_.publisher, make::Package(bytes)));
  batch.push_back(
      SignTransition(h_.publisher, make::Package(EncodeManifest(test::Manifest("svc", "1.1")))));
  auto both = svc_->SubmitBatch(std::move(batch));
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[0].seq, first->seq);
  EXPECT_EQ((*both)[1].seq, size);
  EXPECT_EQ(svc_->log().GetHead()->size, size + 1);
}

TEST_F(ReleaseServiceTest, HistoryAndLogDecodeEntriesForPeople) {
  std::string v1 = Release("1.0");
  auto hist = svc_->History("svc");
  ASSERT_TRUE(hist.ok());
  ASSERT_EQ(hist->size(), 3u);
  EXPECT_EQ((*hist)[0].kind, "package");
  EXPECT_EQ((*hist)[0].actor, "publisher");
  EXPECT_EQ((*hist)[2].detail, "first release, 100 %");
  EXPECT_TRUE(svc_->History("nope").status().IsNotFound());
}

}  // namespace
}  // namespace dvs
