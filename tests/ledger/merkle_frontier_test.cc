// The Merkle frontier: the root of every prefix, from O(log n) hashes, equals RFC 6962's.
#include "ledger/merkle_frontier.h"

#include <gtest/gtest.h>

#include "tests/ledger/memory_tree.h"

namespace dvs {
namespace {

TEST(MerkleFrontier, RootOfEveryPrefixEqualsTheNaiveRoot) {
  std::vector<Hash> leaves;
  MerkleFrontier f;
  EXPECT_EQ(f.Root(), EmptyRoot());
  for (int i = 0; i < 300; ++i) {
    leaves.push_back(LeafHash("leaf " + std::to_string(i)));
    f.Append(leaves.back());
    ASSERT_EQ(f.size(), leaves.size());
    ASSERT_EQ(f.Root(), test::NaiveRoot(leaves, leaves.size())) << "size " << leaves.size();
    auto back = MerkleFrontier::Decode(f.Encode());
    ASSERT_TRUE(back.ok());
    ASSERT_EQ(*back, f);
  }
}

TEST(MerkleFrontier, DecodeRefusesAWrongNumberOfHashes) {
  MerkleFrontier f;
  for (int i = 0; i < 5; ++i) f.Append(LeafHash(std::to_string(i)));  // 5 = 101b: two hashes
  std::string bytes = f.Encode();
  EXPECT_TRUE(MerkleFrontier::Decode(bytes.substr(0, bytes.size() - 1)).status().IsCorruption());
  EXPECT_TRUE(MerkleFrontier::Decode(bytes + std::string(32, 'x')).status().IsCorruption());
  EXPECT_TRUE(MerkleFrontier::Decode("short").status().IsCorruption());
  bytes[7] = 7;  // size 7 needs three hashes
  EXPECT_TRUE(MerkleFrontier::Decode(bytes).status().IsCorruption());
}

}  // namespace
}  // namespace dvs
