// Corruption and tampering, after LevelDB's corruption_test: change stored bytes behind the log's
// back and assert exactly which seq VerifyChain reports, and that it never crashes.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "ledger/log.h"
#include "ledger/verify_chain.h"
#include "tests/ledger/raw_ledger.h"
#include "tests/test_util.h"

namespace dvs {
namespace {

constexpr int kEntries = 12;

class TamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log = Log::Create(dir_.path(), {});
    ASSERT_TRUE(log.ok());
    std::vector<SignedBody> bodies;
    for (int i = 0; i < kEntries; ++i) {
      bodies.push_back(
          SignedBody::Sign(test::KeyFromNumber(i % 3), "transition " + std::to_string(i)));
    }
    ASSERT_TRUE((*log)->AppendBatch(bodies).ok());
  }

  // Verifies with a fresh Log, as an auditor would.
  ChainReport Verify() {
    auto log = Log::Open(dir_.path(), {});
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    auto r = VerifyChain(**log, {.chunk = 5});  // small chunks: problems across chunk borders
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return *r;
  }

  test::TempDir dir_;
};

TEST_F(TamperTest, UntouchedLedgerVerifies) {
  ChainReport r = Verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.entries, static_cast<uint64_t>(kEntries));
}

TEST_F(TamperTest, EverySingleByteFlipIsDetectedAndLocated) {
  int flips = 0;
  for (uint64_t seq = 0; seq < kEntries; ++seq) {
    std::string original;
    {
      test::RawLedger raw(dir_.path());
      original = *raw.Entry(seq);
    }
    for (size_t pos = 0; pos < original.size(); ++pos) {
      for (uint8_t mask : {0x01, 0x80}) {
        std::string bad = original;
        bad[pos] ^= mask;
        { test::RawLedger(dir_.path()).PutEntry(seq, bad); }
        ChainReport r = Verify();
        ASSERT_FALSE(r.ok()) << "flip at seq " << seq << " byte " << pos << " went unnoticed";
        EXPECT_EQ(r.problem->seq, seq) << "byte " << pos << ": " << r.problem->ToString();
        EXPECT_EQ(r.entries, seq);
        ++flips;
      }
    }
    { test::RawLedger(dir_.path()).PutEntry(seq, original); }
  }
  EXPECT_GT(flips, kEntries * 100);
  EXPECT_TRUE(Verify().ok());
}

TEST_F(TamperTest, TruncatedValueIsReportedNotCrashedOn) {
  for (uint64_t seq : {0ul, 5ul, static_cast<uint64_t>(kEntries - 1)}) {
    std::string original = *test::RawLedger(dir_.path()).Entry(seq);
    for (size_t len : {size_t{0}, size_t{1}, original.size() / 2, original.size() - 1}) {
      { test::RawLedger(dir_.path()).PutEntry(seq, original.substr(0, len)); }
      ChainReport r = Verify();
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.problem->seq, seq) << r.problem->ToString();
    }
    { test::RawLedger(dir_.path()).PutEntry(seq, original); }
  }
}

// A copy of data.mdb that did not finish: LMDB would map pages past the file's end and die of
// SIGBUS on the first read of one. The open refuses it by name instead.
TEST(TruncatedFile, ADataFileCutShortIsRefusedAtOpenNotCrashedOn) {
  test::TempDir dir;
  {
    auto log = Log::Create(dir.path(), {});
    ASSERT_TRUE(log.ok());
    std::vector<SignedBody> bodies;
    for (int i = 0; i < 3000; ++i) {
      bodies.push_back(SignedBody::Sign(test::KeyFromNumber(i % 3), std::string(200, 'a' + i % 26)));
    }
    ASSERT_TRUE((*log)->AppendBatch(bodies).ok());
  }
  const std::string file = dir.Sub("data.mdb");
  auto write = [&](const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
  };
  std::ifstream in(file, std::ios::binary);
  const std::string whole{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(whole.size(), 64u * 4096);
  int refused = 0;
  for (size_t cut : {size_t{2 * 4096}, whole.size() / 2, whole.size() - 4096}) {
    write(whole.substr(0, cut));
    for (bool read_only : {true, false}) {
      auto log = Log::Open(dir.path(), {.read_only = read_only});
      if (!log.ok()) {
        EXPECT_TRUE(log.status().IsCorruption()) << log.status().ToString();
        EXPECT_NE(log.status().message().find("data.mdb is cut short: it holds " +
                                              std::to_string(cut) + " bytes"),
                  std::string::npos)
            << log.status().ToString();
        ++refused;
        continue;
      }
      // Only pages past what is in use were cut: everything reads.
      auto r = VerifyChain(**log, {});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_TRUE(r->ok());
    }
  }
  EXPECT_GE(refused, 4) << "the cuts at two pages and at half must be refused";
  write(whole);
  EXPECT_TRUE(Log::Open(dir.path(), {}).ok());
}

TEST_F(TamperTest, DeletedEntryIsReportedAsMissing) {
  { test::RawLedger(dir_.path()).Del("entries", lmdb::BigEndian64(4)); }
  ChainReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->seq, 4u);
  EXPECT_NE(r.problem->reason.find("missing"), std::string::npos) << r.problem->ToString();
}

TEST_F(TamperTest, SwappedEntriesAreLocatedAtTheFirst) {
  {
    test::RawLedger raw(dir_.path());
    std::string a = *raw.Entry(3), b = *raw.Entry(4);
    raw.PutEntry(3, b);
    raw.PutEntry(4, a);
  }
  ChainReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->seq, 3u);
}

TEST_F(TamperTest, RewrittenEntryWithRecomputedHashesIsCaughtByItsSignature) {
  // The attacker rewrites a body and repairs every hash behind it (chain link and leaf check),
  // as log_test in LevelDB recomputes checksums: the signature is the check behind the hashes.
  auto log = Log::Open(dir_.path(), {});
  auto e = *(*log)->Get(7);
  log->reset();
  e.body = "transition 7, rewritten";
  test::RawLedger raw(dir_.path());
  raw.PutEntry(7, e.Encode());
  std::string checks_key = std::string(1, '\0') + lmdb::BigEndian64(0);  // entries 0..15
  std::string checks = *raw.Get("merkle", checks_key);
  checks.replace(7 * kLeafCheckBytes, kLeafCheckBytes,
                 AsBytes(LeafHash(e.Encode())).substr(0, kLeafCheckBytes));
  raw.Put("merkle", checks_key, checks);
  auto next = Entry::Decode(*raw.Entry(8));
  next->prev_hash = LeafHash(e.Encode());
  raw.PutEntry(8, next->Encode());
  ChainReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->seq, 7u);
  EXPECT_NE(r.problem->reason.find("signature"), std::string::npos) << r.problem->ToString();
}

TEST_F(TamperTest, TamperedStoredMerkleNodeIsCaught) {
  {
    auto log = Log::Open(dir_.path(), {});
    ASSERT_TRUE(log.ok());
    std::vector<SignedBody> more;
    for (int i = kEntries; i < 20; ++i) {
      more.push_back(
          SignedBody::Sign(test::KeyFromNumber(i % 3), "transition " + std::to_string(i)));
    }
    ASSERT_TRUE((*log)->AppendBatch(more).ok());
  }
  {
    test::RawLedger(dir_.path())
        .Put("merkle",
             std::string(1, static_cast<char>(kLowestStoredMerkleLevel)) + lmdb::BigEndian64(0),
             std::string(32, 'x'));
  }
  ChainReport r = Verify();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problem->seq, 15u);  // the leaf that completes node (level 4, index 0)
  EXPECT_NE(r.problem->reason.find("Merkle node"), std::string::npos);
}

}  // namespace
}  // namespace dvs
