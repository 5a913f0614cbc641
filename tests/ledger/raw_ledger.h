// Direct LMDB access to a ledger's databases, bypassing the Log: how an attacker or a disk fault
// would change it. Tests only. REQUIRES: no Log is open on the same directory in this process.
#ifndef DVS_TESTS_LEDGER_RAW_LEDGER_H_
#define DVS_TESTS_LEDGER_RAW_LEDGER_H_

#include <gtest/gtest.h>
#include <lmdb.h>

#include <optional>
#include <string>

#include "ledger/lmdb_util.h"

namespace dvs::test {

class RawLedger {
 public:
  explicit RawLedger(const std::string& dir) {
    mdb_env_create(&env_);
    mdb_env_set_maxdbs(env_, 32);
    mdb_env_set_mapsize(env_, size_t{1} << 30);
    EXPECT_EQ(mdb_env_open(env_, dir.c_str(), MDB_NOSYNC, 0644), 0);
  }
  ~RawLedger() { mdb_env_close(env_); }

  std::optional<std::string> Get(const char* db, const std::string& key) {
    std::optional<std::string> out;
    Run(db, [&](MDB_txn* t, MDB_dbi d) {
      MDB_val k = lmdb::Val(key), v;
      if (mdb_get(t, d, &k, &v) == 0) out = std::string(lmdb::View(v));
    });
    return out;
  }
  void Put(const char* db, const std::string& key, const std::string& value) {
    Run(db, [&](MDB_txn* t, MDB_dbi d) {
      MDB_val k = lmdb::Val(key), v = lmdb::Val(value);
      ASSERT_EQ(mdb_put(t, d, &k, &v, 0), 0);
    });
  }
  void Del(const char* db, const std::string& key) {
    Run(db, [&](MDB_txn* t, MDB_dbi d) {
      MDB_val k = lmdb::Val(key);
      ASSERT_EQ(mdb_del(t, d, &k, nullptr), 0);
    });
  }
  std::optional<std::string> Entry(uint64_t seq) { return Get("entries", lmdb::BigEndian64(seq)); }
  void PutEntry(uint64_t seq, const std::string& v) { Put("entries", lmdb::BigEndian64(seq), v); }

 private:
  template <typename Fn>
  void Run(const char* db, Fn fn) {
    MDB_txn* t;
    ASSERT_EQ(mdb_txn_begin(env_, nullptr, 0, &t), 0);
    MDB_dbi d;
    ASSERT_EQ(mdb_dbi_open(t, db, 0, &d), 0);
    fn(t, d);
    ASSERT_EQ(mdb_txn_commit(t), 0);
  }
  MDB_env* env_ = nullptr;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_LEDGER_RAW_LEDGER_H_
