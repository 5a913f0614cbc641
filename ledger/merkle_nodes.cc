#include "ledger/merkle_nodes.h"

#include <vector>

#include "ledger/lmdb_util.h"
#include "ledger/log.h"

namespace dvs {

std::string NodeKey(int level, uint64_t index) {
  return std::string(1, static_cast<char>(level)) + lmdb::BigEndian64(index);
}

Result<Hash> ReadNode(MDB_txn* txn, MDB_dbi dbi, int level, uint64_t index) {
  std::string key = NodeKey(level, index);
  MDB_val k = lmdb::Val(key), v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) {
    return Status::Corruption("Merkle node (level " + std::to_string(level) + ", index " +
                              std::to_string(index) + ") is missing");
  }
  DVS_RETURN_IF_ERROR(lmdb::Check(rc, "read Merkle node"));
  auto h = HashFromBytes(lmdb::View(v));
  if (!h) return Status::Corruption("Merkle node has the wrong length");
  return *h;
}

Result<Hash> SubtreeFromEntries(MDB_txn* txn, MDB_dbi entries, int level, uint64_t index) {
  const uint64_t n = uint64_t{1} << level, first = index << level;
  std::vector<Hash> hs;
  hs.reserve(n);
  for (uint64_t seq = first; seq < first + n; ++seq) {
    std::string key = lmdb::BigEndian64(seq);
    MDB_val k = lmdb::Val(key), v;
    int rc = mdb_get(txn, entries, &k, &v);
    if (rc == MDB_NOTFOUND) {
      return Status::Corruption("entry " + std::to_string(seq) + " under Merkle node (level " +
                                std::to_string(level) + ", index " + std::to_string(index) +
                                ") is missing");
    }
    DVS_RETURN_IF_ERROR(lmdb::Check(rc, "read entry"));
    hs.push_back(LeafHash(lmdb::View(v)));
  }
  for (size_t width = hs.size(); width > 1; width /= 2) {
    for (size_t j = 0; j < width / 2; ++j) hs[j] = NodeHash(hs[2 * j], hs[2 * j + 1]);
  }
  return hs[0];
}

Result<Hash> TxnNodeSource::Node(int level, uint64_t index) const {
  if (level < kLowestStoredMerkleLevel) return SubtreeFromEntries(txn_, entries_, level, index);
  return ReadNode(txn_, merkle_, level, index);
}

}  // namespace dvs
