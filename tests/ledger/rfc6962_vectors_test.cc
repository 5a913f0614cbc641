// Every public RFC 6962 vector: wantErr cases are refused, the others accepted; and the reference
// tree's roots and happy-path proofs are what our generator produces.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ledger/merkle.h"
#include "tests/ledger/memory_tree.h"
#include "tests/ledger/rfc6962_vector.pb.h"

namespace dvs {
namespace {

namespace fs = std::filesystem;
const fs::path kVectors = fs::path(DVS_TESTDATA_DIR) / "rfc6962";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename Msg>
std::vector<std::pair<fs::path, Msg>> LoadAll(const std::string& kind) {
  std::vector<std::pair<fs::path, Msg>> out;
  for (const auto& f : fs::recursive_directory_iterator(kVectors / kind)) {
    if (f.path().extension() != ".json") continue;
    Msg m;
    auto st = google::protobuf::util::JsonStringToMessage(ReadFile(f.path()), &m);
    EXPECT_TRUE(st.ok()) << f.path() << ": " << st.ToString();
    out.emplace_back(f.path(), m);
  }
  return out;
}

std::vector<std::string> Proof(const google::protobuf::RepeatedPtrField<std::string>& p) {
  return {p.begin(), p.end()};
}

std::vector<Hash> ReferenceLeaves() {
  std::vector<Hash> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(LeafHash(*FromHex(hex)));
  }
  return leaves;
}

TEST(Rfc6962Vectors, InclusionVectorsAcceptedOrRefusedAsPublished) {
  auto vectors = LoadAll<test::InclusionVector>("inclusion");
  ASSERT_GT(vectors.size(), 80u) << "vectors not found under " << kVectors;
  for (const auto& [path, v] : vectors) {
    Status s =
        VerifyInclusion(v.leaf_idx(), v.tree_size(), v.leaf_hash(), Proof(v.proof()), v.root());
    EXPECT_EQ(s.ok(), !v.want_err()) << path << " (" << v.desc() << "): " << s.ToString();
  }
}

TEST(Rfc6962Vectors, ConsistencyVectorsAcceptedOrRefusedAsPublished) {
  auto vectors = LoadAll<test::ConsistencyVector>("consistency");
  ASSERT_GT(vectors.size(), 80u) << "vectors not found under " << kVectors;
  for (const auto& [path, v] : vectors) {
    Status s = VerifyConsistency(v.size1(), v.size2(), v.root1(), v.root2(), Proof(v.proof()));
    EXPECT_EQ(s.ok(), !v.want_err()) << path << " (" << v.desc() << "): " << s.ToString();
  }
}

TEST(Rfc6962Vectors, ReferenceTreeRootsMatchPublishedValues) {
  const char* roots[] = {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
                         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
                         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
                         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
                         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  test::MemoryTree tree(ReferenceLeaves());
  for (uint64_t n = 0; n <= 8; ++n) {
    EXPECT_EQ(ToHex(*RootAt(tree, n)), roots[n]) << "size " << n;
  }
}

TEST(Rfc6962Vectors, GeneratedProofsEqualPublishedHappyPaths) {
  test::MemoryTree tree(ReferenceLeaves());
  int compared = 0;
  for (const auto& [path, v] : LoadAll<test::InclusionVector>("inclusion")) {
    if (v.desc() != "happy path" || v.tree_size() > 8) continue;
    auto proof = InclusionProof(tree, v.leaf_idx(), v.tree_size());
    ASSERT_TRUE(proof.ok()) << path;
    ASSERT_EQ(proof->size(), static_cast<size_t>(v.proof_size())) << path;
    for (size_t i = 0; i < proof->size(); ++i) EXPECT_EQ(AsBytes((*proof)[i]), v.proof(i)) << path;
    ++compared;
  }
  for (const auto& [path, v] : LoadAll<test::ConsistencyVector>("consistency")) {
    if (v.desc() != "happy path" || v.size2() > 8) continue;
    auto proof = ConsistencyProof(tree, v.size1(), v.size2());
    ASSERT_TRUE(proof.ok()) << path;
    ASSERT_EQ(proof->size(), static_cast<size_t>(v.proof_size())) << path;
    for (size_t i = 0; i < proof->size(); ++i) EXPECT_EQ(AsBytes((*proof)[i]), v.proof(i)) << path;
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

}  // namespace
}  // namespace dvs
