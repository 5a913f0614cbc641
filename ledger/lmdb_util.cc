#include "ledger/lmdb_util.h"

namespace dvs::lmdb {

Status Check(int rc, const char* what) {
  if (rc == MDB_SUCCESS) return Status::OK();
  std::string m = std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND:
      return Status::NotFound(m);
    case MDB_MAP_FULL:
      return Status::IOError(m + " (the ledger's map size is exhausted; reopen with a larger one)");
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return Status::Corruption(m);
    case EACCES:
    case EROFS:
      return Status::PermissionDenied(m);
    default:
      return Status::IOError(m);
  }
}

std::string BigEndian64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

uint64_t ReadBigEndian64(std::string_view s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}

Status Txn::Begin(MDB_env* env, bool read_only) {
  return Check(mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &txn_),
               read_only ? "begin read transaction" : "begin write transaction");
}

Status Txn::Commit() {
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;  // freed by LMDB whether or not the commit succeeded
  return Check(rc, "commit");
}

}  // namespace dvs::lmdb
