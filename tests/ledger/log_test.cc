#include "ledger/log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "ledger/merkle.h"
#include "ledger/verify_chain.h"
#include "tests/ledger/memory_tree.h"
#include "tests/test_util.h"

namespace dvs {
namespace {

std::vector<SignedBody> Bodies(const SecretKey& key, int n, int from = 0) {
  std::vector<SignedBody> out;
  for (int i = from; i < from + n; ++i)
    out.push_back(SignedBody::Sign(key, "body " + std::to_string(i)));
  return out;
}

TEST(Log, OpeningWhereNoLedgerIsGivesClearErrors) {
  test::TempDir dir;
  auto missing = Log::Open(dir.Sub("nope"), {});
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("no such directory"), std::string::npos);
  auto empty = Log::Open(dir.path(), {});
  EXPECT_TRUE(empty.status().IsNotFound());
  EXPECT_NE(empty.status().message().find("holds no ledger"), std::string::npos);
  std::ofstream(dir.Sub("data.mdb")) << "this is not an LMDB file, only some text";
  auto junk = Log::Open(dir.path(), {});
  EXPECT_FALSE(junk.ok());
}

TEST(Log, CreateRefusesADirectoryThatHoldsALedger) {
  test::TempDir dir;
  ASSERT_TRUE(Log::Create(dir.path(), {}).ok());
  auto again = Log::Create(dir.path(), {});
  EXPECT_TRUE(again.status().IsRefused());
}

TEST(Log, AppendChainsEntriesAndSurvivesReopen) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(1);
  Hash head_hash;
  {
    auto log = Log::Create(dir.path(), {});
    ASSERT_TRUE(log.ok());
    auto e0 = (*log)->Append(SignedBody::Sign(key, "first"));
    ASSERT_TRUE(e0.ok()) << e0.status().ToString();
    EXPECT_EQ(e0->seq, 0u);
    EXPECT_EQ(e0->prev_hash, Hash{});
    auto e1 = (*log)->Append(SignedBody::Sign(key, "second"));
    ASSERT_TRUE(e1.ok());
    EXPECT_EQ(e1->seq, 1u);
    EXPECT_EQ(e1->prev_hash, LeafHash(*(*log)->GetRaw(0)));
    EXPECT_GE(e1->append_time_ms, e0->append_time_ms);
    head_hash = (*log)->GetHead()->hash;
  }
  auto log = Log::Open(dir.path(), {});
  ASSERT_TRUE(log.ok());
  auto head = (*log)->GetHead();
  EXPECT_EQ(head->size, 2u);
  EXPECT_EQ(head->hash, head_hash);
  EXPECT_EQ((*log)->Get(1)->body, "second");
  EXPECT_TRUE((*log)->Get(2).status().IsNotFound());
}

TEST(Log, BadSignatureRefusesTheWholeBatchAndWritesNothing) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(1);
  auto log = Log::Create(dir.path(), {});
  ASSERT_TRUE((*log)->AppendBatch(Bodies(key, 3)).ok());
  auto bodies = Bodies(key, 5, 3);
  bodies[2].body += "!";  // altered after signing
  auto r = (*log)->AppendBatch(bodies);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("batch item 2"), std::string::npos) << r.status().ToString();
  EXPECT_EQ((*log)->GetHead()->size, 3u);
}

TEST(Log, AFailingWriteFunctionWritesNothing) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(1);
  auto log = Log::Create(dir.path(), {.derived = {"snapshots"}});
  ASSERT_TRUE((*log)->AppendBatch(Bodies(key, 2)).ok());
  auto before = *(*log)->GetHead();
  auto vb = *VerifiedBody::Verify(SignedBody::Sign(key, "x"));
  auto r = (*log)->Write([&](WriteTxn& w) -> Status {
    DVS_RETURN_IF_ERROR(w.Add(vb).status());
    DVS_RETURN_IF_ERROR(w.PutDerived("snapshots", "k", "v"));
    return Status::Refused("the state machine said no");
  });
  EXPECT_TRUE(r.status().IsRefused());
  EXPECT_EQ((*log)->GetHead()->size, before.size);
  EXPECT_EQ((*log)->GetHead()->hash, before.hash);
  EXPECT_FALSE((*(*log)->GetDerived("snapshots", "k")).has_value());
}

TEST(Log, LogTimeNeverDecreasesEvenWhenTheClockGoesBack) {
  test::TempDir dir;
  int64_t now = 5000;
  auto log = Log::Create(dir.path(), {.clock = [&] { return now; }});
  SecretKey key = test::KeyFromNumber(1);
  ASSERT_TRUE((*log)->Append(SignedBody::Sign(key, "a")).ok());
  now = 1000;
  auto e = (*log)->Append(SignedBody::Sign(key, "b"));
  EXPECT_EQ(e->append_time_ms, 5000);
}

TEST(Log, RootsAndProofsOverStoredNodesMatchTheNaiveTree) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(2);
  auto log = Log::Create(dir.path(), {});
  ASSERT_TRUE((*log)->AppendBatch(Bodies(key, 260)).ok());
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 260; ++i) leaves.push_back(LeafHash(*(*log)->GetRaw(i)));
  for (uint64_t n = 0; n <= 260; ++n) {
    ASSERT_EQ(*(*log)->Root(n), test::NaiveRoot(leaves, n)) << n;
  }
  test::MemoryTree naive(leaves);
  for (uint64_t n : {1, 2, 7, 64, 100, 255, 256, 259, 260}) {
    for (uint64_t i = 0; i < n; i += 3) {
      EXPECT_EQ(*(*log)->InclusionProof(i, n), *InclusionProof(naive, i, n)) << i << "/" << n;
    }
    for (uint64_t m = 1; m <= n; m += 5) {
      EXPECT_EQ(*(*log)->ConsistencyProof(m, n), *ConsistencyProof(naive, m, n)) << m << "->" << n;
    }
  }
  EXPECT_TRUE((*log)->Root(261).status().IsInvalidArgument());
}

TEST(Log, VerifyChainAcceptsAnUntouchedLedger) {
  test::TempDir dir;
  auto log = Log::Create(dir.path(), {});
  SecretKey a = test::KeyFromNumber(1), b = test::KeyFromNumber(2);
  ASSERT_TRUE((*log)->AppendBatch(Bodies(a, 500)).ok());
  ASSERT_TRUE((*log)->AppendBatch(Bodies(b, 37)).ok());
  uint64_t last_progress = 0;
  auto report = VerifyChain(
      **log, {.chunk = 100, .progress = [&](uint64_t d, uint64_t) { last_progress = d; }});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->ToString();
  EXPECT_EQ(report->entries, 537u);
  EXPECT_EQ(last_progress, 537u);
  EXPECT_EQ(report->head_hash, (*log)->GetHead()->hash);
}

TEST(Log, ReadOnlyLedgerRefusesWrites) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(1);
  { ASSERT_TRUE((*Log::Create(dir.path(), {}))->Append(SignedBody::Sign(key, "a")).ok()); }
  auto ro = Log::Open(dir.path(), {.read_only = true});
  ASSERT_TRUE(ro.ok()) << ro.status().ToString();
  EXPECT_EQ((*ro)->GetHead()->size, 1u);
  auto r = (*ro)->Append(SignedBody::Sign(key, "b"));
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied);
}

}  // namespace
}  // namespace dvs
