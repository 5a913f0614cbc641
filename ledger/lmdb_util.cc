#include "ledger/lmdb_util.h"

#include <sys/stat.h>

namespace dvs::lmdb {

Status CheckNotTruncated(MDB_env* env, const std::string& dir) {
  // The meta page first, then the file: a writer may extend the file in between, never shrink it.
  MDB_envinfo info;
  MDB_stat stat;
  DVS_RETURN_IF_ERROR(Check(mdb_env_info(env, &info), "read the ledger's meta page"));
  DVS_RETURN_IF_ERROR(Check(mdb_env_stat(env, &stat), "read the ledger's page size"));
  const std::string file = dir + "/data.mdb";
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return Status::OK();  // mdb_env_open just read it
  const uint64_t needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  if (static_cast<uint64_t>(st.st_size) >= needed) return Status::OK();
  return Status::Corruption(file + " is cut short: it holds " + std::to_string(st.st_size) +
                            " bytes, and its meta page says " + std::to_string(needed) +
                            " are in use (a copy that did not finish?); nothing was read past its end");
}

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
