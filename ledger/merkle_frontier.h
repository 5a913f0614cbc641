// MerkleFrontier: the right edge of an RFC 6962 tree, enough to compute its root and to extend it,
// in O(log n) memory.
//
// For a tree of `size` leaves it holds one hash per set bit of `size`: the roots of the perfect
// subtrees that the tree's leaves split into, largest (leftmost) first. Appending a leaf merges
// equal-sized subtrees, exactly as a binary counter carries; the root folds them right to left.
//
// It is how dvs gets a Merkle root it can trust without the derived `merkle` database: a frontier
// is either built by hashing entries, or restored from a snapshot whose root a log-signed
// checkpoint entry commits to (api/service/state_loader.h). Pure: no I/O.
#ifndef DVS_LEDGER_MERKLE_FRONTIER_H_
#define DVS_LEDGER_MERKLE_FRONTIER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace dvs {

class MerkleFrontier {
 public:
  uint64_t size() const { return size_; }
  // Adds the leaf hash of entry size() (LeafHash of its stored bytes).
  void Append(const Hash& leaf);
  // MTH of the `size()` leaves; EmptyRoot() for none.
  Hash Root() const;

  // size (8 bytes big-endian) || the subtree roots, largest first. Part of the persistent format
  // of snapshots: do not change.
  std::string Encode() const;
  // Corruption unless the bytes hold exactly one hash per set bit of the size.
  static Result<MerkleFrontier> Decode(std::string_view bytes);

  bool operator==(const MerkleFrontier& o) const { return size_ == o.size_ && nodes_ == o.nodes_; }

 private:
  uint64_t size_ = 0;
  std::vector<Hash> nodes_;  // one per set bit of size_, from the highest bit down
};

}  // namespace dvs

#endif  // DVS_LEDGER_MERKLE_FRONTIER_H_
