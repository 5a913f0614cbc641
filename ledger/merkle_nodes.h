// The Merkle database of a ledger (ledger/log.h's layout): the key of node (level, index), reading
// a stored node, and the roots of the small subtrees below kLowestStoredMerkleLevel, which are
// hashed from the entries themselves. Internal to ledger/.
#ifndef DVS_LEDGER_MERKLE_NODES_H_
#define DVS_LEDGER_MERKLE_NODES_H_

#include <lmdb.h>

#include <cstdint>
#include <string>

#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/status.h"

namespace dvs {

// The Merkle database's key of node (level, index): the level's byte, then the big-endian index.
std::string NodeKey(int level, uint64_t index);
// Stored node (level, index); Corruption when it is missing or malformed.
Result<Hash> ReadNode(MDB_txn* txn, MDB_dbi dbi, int level, uint64_t index);
// The root of the perfect subtree (level, index), hashed from the entries themselves: how nodes
// below kLowestStoredMerkleLevel are had. Corruption when an entry it covers is missing.
Result<Hash> SubtreeFromEntries(MDB_txn* txn, MDB_dbi entries, int level, uint64_t index);

// Stored nodes from the Merkle database; the levels below it from the entries.
class TxnNodeSource : public NodeSource {
 public:
  TxnNodeSource(MDB_txn* txn, MDB_dbi merkle, MDB_dbi entries)
      : txn_(txn), merkle_(merkle), entries_(entries) {}
  Result<Hash> Node(int level, uint64_t index) const override;

 private:
  MDB_txn* txn_;
  MDB_dbi merkle_, entries_;
};

}  // namespace dvs

#endif  // DVS_LEDGER_MERKLE_NODES_H_
