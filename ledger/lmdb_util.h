// Internal helpers over the LMDB C API: error conversion, RAII transactions, big-endian keys.
// Not part of the public surface; used by log.cc and the benchmark.
#ifndef DVS_LEDGER_LMDB_UTIL_H_
#define DVS_LEDGER_LMDB_UTIL_H_

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace dvs::lmdb {

// Converts an LMDB return code to a Status naming the operation; OK for MDB_SUCCESS.
Status Check(int rc, const char* what);

// Corruption when the data file at `dir` is shorter than the pages its meta page says are in use
// (a copy cut short, a disk that filled mid-copy). LMDB maps the file and would read those pages
// past its end, which kills the process with SIGBUS; checked once, right after mdb_env_open. The
// file only grows while the environment is open, so a check that passes stays true.
Status CheckNotTruncated(MDB_env* env, const std::string& dir);

inline MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view View(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// 8-byte big-endian encoding, so that LMDB's byte order is numeric order.
std::string BigEndian64(uint64_t v);
uint64_t ReadBigEndian64(std::string_view s);  // REQUIRES: s.size() >= 8

// Owns one transaction; aborts it on destruction unless committed.
class Txn {
 public:
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { Abort(); }

  // REQUIRES: not yet begun.
  Status Begin(MDB_env* env, bool read_only);
  // Commits; a write transaction is synced to disk before this returns (LMDB default mode).
  Status Commit();
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }
  MDB_txn* get() const { return txn_; }

 private:
  MDB_txn* txn_ = nullptr;
};

}  // namespace dvs::lmdb

#endif  // DVS_LEDGER_LMDB_UTIL_H_
