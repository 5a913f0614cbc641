// A Merkle tree held in memory, computed the naive way straight from RFC 6962's definition. The
// reference the log's stored-node implementation is compared against.
#ifndef DVS_TESTS_LEDGER_MEMORY_TREE_H_
#define DVS_TESTS_LEDGER_MEMORY_TREE_H_

#include <map>
#include <vector>

#include "ledger/merkle.h"

namespace dvs::test {

// MTH(D[begin:end]) by the RFC's recursive definition.
inline Hash NaiveHash(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  if (end - begin == 1) return leaves[begin];
  size_t k = LargestPowerOfTwoBelow(end - begin);
  return NodeHash(NaiveHash(leaves, begin, begin + k), NaiveHash(leaves, begin + k, end));
}

inline Hash NaiveRoot(const std::vector<Hash>& leaves, size_t n) {
  return n == 0 ? EmptyRoot() : NaiveHash(leaves, 0, n);
}

class MemoryTree : public NodeSource {
 public:
  explicit MemoryTree(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}
  Result<Hash> Node(int level, uint64_t index) const override {
    size_t width = size_t{1} << level;
    size_t begin = index * width;
    if (begin + width > leaves_.size()) return Status::NotFound("node beyond the tree");
    return NaiveHash(leaves_, begin, begin + width);
  }

 private:
  std::vector<Hash> leaves_;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_LEDGER_MEMORY_TREE_H_
