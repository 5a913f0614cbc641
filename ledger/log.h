// Log: the append-only, signed, hash-chained ledger over one LMDB environment.
//
// A ledger directory holds one LMDB environment with named databases:
//   entries  key: seq (8-byte big-endian)  value: the encoded Entry, exactly the bytes hashed
//   merkle   key: level (1 byte) || index (8-byte big-endian)  value: 32-byte node hash of every
//            complete perfect subtree of level >= kLowestStoredMerkleLevel (16 leaves and up);
//            nodes below are computed from the entries when a root or proof needs them (at most
//            15 entry reads), so the database holds about n/8 nodes for n entries. Level 0,
//            index g holds leaf checks instead: the first kLeafCheckBytes of the hash of each
//            entry 16g..16g+15 so far, concatenated. They locate a damaged entry (the chain alone
//            says only that the next entry's link disagrees, and nothing else covers the last
//            entry's append time) and prove nothing: no root or proof is built from them.
//   meta     format marker
//   ...      derived databases named in LogOptions::derived, for the layers above
// Everything except `entries` and `meta` is derived and written in the same write transaction as
// the entries it derives from.
//
// Durability: Write() returns only after its transaction committed in LMDB's default synced mode.
// Concurrency: any number of processes and threads may open the same directory. LMDB serializes
// write transactions; inside one, WriteTxn::head() is the true head, so appenders that race still
// produce one linear chain. Readers never block writers.
//
// Thread safety: a Log may be shared by threads. Each call uses its own LMDB transaction.
#ifndef DVS_LEDGER_LOG_H_
#define DVS_LEDGER_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/entry.h"
#include "ledger/hash.h"
#include "ledger/status.h"

// LMDB's handles, declared as <lmdb.h> declares them, so that this header (and the library's
// public headers above it) does not need <lmdb.h>.
extern "C" {
typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;
typedef unsigned int MDB_dbi;
}

namespace dvs {

// The lowest level of the Merkle tree kept in the `merkle` database. Part of the persistent format.
inline constexpr int kLowestStoredMerkleLevel = 4;

// Leaf checks (see above). Part of the persistent format.
inline constexpr size_t kLeafCheckBytes = 8;
inline constexpr uint64_t kLeafChecksPerRecord = 16;

// How many records the `merkle` database holds for `size` entries when intact: the stored nodes
// and the leaf-check records.
uint64_t MerkleRecords(uint64_t size);

struct LogOptions {
  // Upper bound of the LMDB map: address space, not disk; the file grows as entries arrive.
  size_t map_size = size_t{64} << 30;
  // Open without write access (auditors' copies). Write() then fails with PermissionDenied.
  bool read_only = false;
  // Names of derived databases the layers above keep (indexes, snapshots).
  std::vector<std::string> derived;
  // The log's clock in unix milliseconds; the system clock when empty. Appended entries carry
  // max(clock(), the previous entry's time), so log time never decreases.
  std::function<int64_t()> clock;
};

struct Head {
  uint64_t size = 0;    // number of entries; the next seq
  Hash hash{};          // hash of entry size-1; all zero when empty
  int64_t time_ms = 0;  // append time of entry size-1; 0 when empty
};

// A SignedBody whose signature has been checked. Only Verify can make one, so nothing unchecked
// reaches the log.
class VerifiedBody {
 public:
  static Result<VerifiedBody> Verify(SignedBody body);
  // Checks all signatures in parallel; results in input order.
  static std::vector<Result<VerifiedBody>> VerifyAll(std::vector<SignedBody> bodies,
                                                     unsigned threads);
  const SignedBody& get() const { return body_; }

 private:
  explicit VerifiedBody(SignedBody b) : body_(std::move(b)) {}
  SignedBody body_;
};

// The view of one write transaction, handed to the function passed to Log::Write.
class WriteTxn {
 public:
  // The head including entries added so far in this transaction.
  const Head& head() const { return head_; }
  // The append time every entry added in this transaction carries.
  int64_t time_ms() const { return time_ms_; }
  // Reads entry `seq` (committed, or added in this transaction). NotFound past the head.
  Result<Entry> Get(uint64_t seq) const;
  // Its stored bytes, exactly as hashed.
  Result<std::string> GetRaw(uint64_t seq) const;
  // Appends one entry at head().size; returns it as stored.
  Result<Entry> Add(const VerifiedBody& body);
  // Entries added from now on carry `time_ms` instead: a replica re-appending entries that
  // another node formed (their bytes, append time included, are fixed). InvalidArgument when it
  // is before the head's time: log time never decreases.
  Status UseTime(int64_t time_ms);
  // Derived databases (LogOptions::derived). Get returns nullopt for a missing key.
  Status PutDerived(const std::string& db, std::string_view key, std::string_view value);
  // The same for a key expected above every key in `db` (records keyed by seq, written in order):
  // LMDB then fills its pages instead of splitting them in half. Falls back to PutDerived when a
  // larger key is already there (derived data someone wrote out of order).
  Status AppendDerived(const std::string& db, std::string_view key, std::string_view value);
  Result<std::optional<std::string>> GetDerived(const std::string& db, std::string_view key) const;
  // The record with the largest key <= `at`; nullopt when there is none.
  Result<std::optional<std::pair<std::string, std::string>>> FloorDerived(
      const std::string& db, std::string_view at) const;
  // Removes one record; OK when it was absent.
  Status DeleteDerived(const std::string& db, std::string_view key);
  // Empties a derived database (to rebuild it).
  Status ClearDerived(const std::string& db);
  // Rebuilds every Merkle node from the entries' own hashes.
  Status RebuildMerkle();

 private:
  friend class Log;
  Status PutNodes(uint64_t seq, const Hash& leaf);
  WriteTxn(class Log* log, MDB_txn* txn, Head head, int64_t time_ms)
      : log_(log), txn_(txn), head_(head), time_ms_(time_ms) {}
  class Log* log_;
  MDB_txn* txn_;
  Head head_;
  int64_t time_ms_;
};

class Log {
 public:
  // Creates a new, empty ledger in `dir` (created if missing; must hold no ledger yet).
  static Result<std::unique_ptr<Log>> Create(const std::string& dir, const LogOptions& options);
  // Opens an existing ledger. NotFound when `dir` holds no ledger; Corruption when it holds an
  // LMDB environment that is not a dvs ledger.
  static Result<std::unique_ptr<Log>> Open(const std::string& dir, const LogOptions& options);
  ~Log();

  const std::string& dir() const { return dir_; }

  // Runs `fn` inside one write transaction and commits (synced) when it returns OK; on any error
  // nothing is written and the error is returned. Returns the head after the commit.
  Result<Head> Write(const std::function<Status(WriteTxn&)>& fn);
  // From now on a commit flushes the data it wrote but not LMDB's meta page (MDB_NOMETASYNC):
  // one fsync per commit instead of two. A system crash may then undo the last committed
  // transactions, never leave a broken file. Only for a copy whose entries are durable elsewhere
  // and come back from there (a cluster replica: etcd holds every committed entry).
  Status SyncDataOnly();
  // Verifies and appends one body. Returns the stored entry.
  Result<Entry> Append(SignedBody body);
  // Verifies every signature (in parallel), then appends all in one transaction, or none: the
  // first bad signature refuses the whole batch, naming its position.
  Result<Head> AppendBatch(std::vector<SignedBody> bodies);

  Result<Head> GetHead() const;
  Result<Entry> Get(uint64_t seq) const;
  // The stored bytes of entry `seq`.
  Result<std::string> GetRaw(uint64_t seq) const;
  // Calls fn(key_seq, stored_bytes) for every stored entry with from <= seq < to, in order, in one
  // read transaction; stops at the first non-OK status fn returns. The bytes are valid only during
  // the call. The key's seq is reported as stored, so a gap is visible to the caller.
  Status Scan(uint64_t from, uint64_t to,
              const std::function<Status(uint64_t, std::string_view)>& fn) const;

  // The hash of entry `seq`: LeafHash of its stored bytes, computed from `entries` (never read
  // from the derived Merkle database). NotFound past the head.
  Result<Hash> LeafHashAt(uint64_t seq) const;
  // Reads Merkle nodes (level, index) in one read transaction; nullopt for a missing or
  // malformed node. For verifiers that recompute the tree.
  Status ReadNodes(const std::vector<std::pair<int, uint64_t>>& keys,
                   std::vector<std::optional<Hash>>* out) const;
  // The leaf-check records of groups [first, end) in one read transaction: one string per
  // group, empty when the record is missing.
  Status ReadLeafChecks(uint64_t first, uint64_t end, std::vector<std::string>* out) const;
  // How many records the Merkle database holds (MerkleRecords(n) for n entries when intact).
  Result<uint64_t> MerkleNodeCount() const;
  // RFC 6962 root of the first `size` entries, from the DERIVED Merkle nodes: an attacker who can
  // write the file can change it. Check it against a trusted root (a MerkleFrontier) before
  // signing or proving anything with it. InvalidArgument past the head.
  Result<Hash> Root(uint64_t size) const;
  Result<std::vector<Hash>> InclusionProof(uint64_t seq, uint64_t size) const;
  Result<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t new_size) const;

  Result<std::optional<std::string>> GetDerived(const std::string& db, std::string_view key) const;
  // Calls fn(key, value) for each record of a derived database with from <= key < to (an empty
  // `to`: no upper bound), in key order, in one read transaction; stops at fn's first non-OK
  // status. Views are valid only during the call. An absent database has no records.
  Status ScanDerived(const std::string& db, std::string_view from, std::string_view to,
                     const std::function<Status(std::string_view, std::string_view)>& fn) const;
  // The record with the largest key <= `at` in a derived database (any key when `at` is empty);
  // nullopt when there is none.
  Result<std::optional<std::pair<std::string, std::string>>> FloorDerived(
      const std::string& db, std::string_view at) const;
  // The record with the largest key in a derived database; nullopt when it is empty or absent.
  Result<std::optional<std::pair<std::string, std::string>>> LastDerived(
      const std::string& db) const;

 private:
  friend class WriteTxn;
  Log() = default;
  static Result<std::unique_ptr<Log>> OpenEnv(const std::string& dir, const LogOptions& options,
                                              bool create);
  Result<Head> ReadHead(MDB_txn* txn) const;
  Result<MDB_dbi> Derived(const std::string& name) const;
  int64_t Now() const;

  std::string dir_;
  LogOptions options_;
  MDB_env* env_ = nullptr;
  MDB_dbi entries_ = 0, merkle_ = 0, meta_ = 0;
  std::vector<std::pair<std::string, MDB_dbi>> derived_;
};

}  // namespace dvs

#endif  // DVS_LEDGER_LOG_H_
