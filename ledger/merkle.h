// RFC 6962 / RFC 9162 Merkle tree hashes, proofs, and proof verification.
//
// Proof generation reads the hashes of perfect, aligned subtrees ("nodes") from a NodeSource: node
// (level, index) is the root of leaves [index * 2^level, (index + 1) * 2^level). The log keeps
// every complete node in LMDB, so a root or proof costs O(log^2 n) node reads and never rehashes
// the log. Verification needs no source: it is what an outside auditor runs.
//
// Policy: a consistency proof from the empty tree (old size 0) is refused. It carries no
// information, and accepting it would let any root pass as "consistent".
#ifndef DVS_LEDGER_MERKLE_H_
#define DVS_LEDGER_MERKLE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace dvs {

class NodeSource {
 public:
  virtual ~NodeSource() = default;
  // The hash of the perfect subtree (level, index). REQUIRES: the subtree is complete.
  virtual Result<Hash> Node(int level, uint64_t index) const = 0;
};

// MTH over leaves [begin, end) where the range is a node of the tree of size >= end, i.e. begin is
// aligned to the largest power of two < end - begin (as every range in RFC 6962 recursion is).
Result<Hash> RangeHash(const NodeSource& src, uint64_t begin, uint64_t end);
// MTH of the first `size` leaves; EmptyRoot() for 0.
Result<Hash> RootAt(const NodeSource& src, uint64_t size);
// PATH(index, D[size]). InvalidArgument unless index < size.
Result<std::vector<Hash>> InclusionProof(const NodeSource& src, uint64_t index, uint64_t size);
// PROOF(old_size, D[new_size]). InvalidArgument unless 0 < old_size <= new_size.
Result<std::vector<Hash>> ConsistencyProof(const NodeSource& src, uint64_t old_size,
                                           uint64_t new_size);

// Verification (RFC 9162 2.1.3.2 and 2.1.4.2). Hashes arrive as raw byte strings, exactly as an
// outside party hands them over, so that wrong lengths are refused rather than assumed away.
// OK when the proof holds; Corruption naming the failed check otherwise.
Status VerifyInclusion(uint64_t index, uint64_t size, const std::string& leaf_hash,
                       const std::vector<std::string>& proof, const std::string& root);
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::string& old_root,
                         const std::string& new_root, const std::vector<std::string>& proof);

// Builds node (level, index) from node hashes one level down; what the log calls when a leaf
// completes a subtree. Exposed for tests and the naive reference.
inline uint64_t LargestPowerOfTwoBelow(uint64_t n) {  // REQUIRES: n > 1
  uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

}  // namespace dvs

#endif  // DVS_LEDGER_MERKLE_H_
