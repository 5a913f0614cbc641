#include "ledger/log.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

#include "ledger/lmdb_util.h"
#include "ledger/merkle.h"
#include "ledger/merkle_nodes.h"
#include "ledger/parallel.h"

namespace dvs {

namespace {

constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormat = "dvs-ledger-v1";

Result<std::optional<std::pair<std::string, std::string>>> FloorIn(MDB_txn* txn, MDB_dbi dbi,
                                                                   std::string_view at) {
  using Out = std::optional<std::pair<std::string, std::string>>;
  MDB_cursor* cur = nullptr;
  DVS_RETURN_IF_ERROR(lmdb::Check(mdb_cursor_open(txn, dbi, &cur), "open cursor"));
  MDB_val k = lmdb::Val(at), v;
  int rc;
  if (at.empty()) {
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  } else {
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (rc == MDB_SUCCESS && lmdb::View(k) != at) rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
    if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);  // every key is below `at`
  }
  Out out;
  if (rc == MDB_SUCCESS && (at.empty() || lmdb::View(k) <= at)) {
    out.emplace(std::string(lmdb::View(k)), std::string(lmdb::View(v)));
  }
  mdb_cursor_close(cur);
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return lmdb::Check(rc, "read derived record");
  return out;
}

Result<std::string> GetRawIn(MDB_txn* txn, MDB_dbi dbi, uint64_t seq) {
  std::string key = lmdb::BigEndian64(seq);
  MDB_val k = lmdb::Val(key), v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return Status::NotFound("no entry with seq " + std::to_string(seq));
  DVS_RETURN_IF_ERROR(lmdb::Check(rc, "read entry"));
  return std::string(lmdb::View(v));
}

Result<std::optional<std::string>> GetIn(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  MDB_val k = lmdb::Val(key), v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  DVS_RETURN_IF_ERROR(lmdb::Check(rc, "read derived record"));
  return std::optional<std::string>(std::string(lmdb::View(v)));
}

}  // namespace

uint64_t MerkleRecords(uint64_t size) {
  uint64_t n = (size + kLeafChecksPerRecord - 1) / kLeafChecksPerRecord;
  for (int level = kLowestStoredMerkleLevel; level < 64 && (size >> level) != 0; ++level) {
    n += size >> level;
  }
  return n;
}

// ---- VerifiedBody ----

Result<VerifiedBody> VerifiedBody::Verify(SignedBody body) {
  DVS_RETURN_IF_ERROR(body.Check());
  return VerifiedBody(std::move(body));
}

std::vector<Result<VerifiedBody>> VerifiedBody::VerifyAll(std::vector<SignedBody> bodies,
                                                          unsigned threads) {
  std::vector<Status> checks(bodies.size());
  ParallelFor(bodies.size(), threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) checks[i] = bodies[i].Check();
  });
  std::vector<Result<VerifiedBody>> out;
  out.reserve(bodies.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (checks[i].ok()) {
      out.emplace_back(VerifiedBody(std::move(bodies[i])));
    } else {
      out.emplace_back(checks[i]);
    }
  }
  return out;
}

// ---- WriteTxn ----

Result<Entry> WriteTxn::Get(uint64_t seq) const {
  DVS_ASSIGN_OR_RETURN(std::string raw, GetRawIn(txn_, log_->entries_, seq));
  auto e = Entry::Decode(raw);
  if (!e.ok()) return e.status().Prefixed("entry " + std::to_string(seq));
  return e;
}

Result<Entry> WriteTxn::Add(const VerifiedBody& verified) {
  const SignedBody& sb = verified.get();
  Entry e;
  e.seq = head_.size;
  e.prev_hash = head_.hash;
  e.append_time_ms = time_ms_;
  e.body = sb.body;
  e.signer = sb.signer;
  e.signature = sb.signature;
  const std::string bytes = e.Encode();
  const Hash leaf = LeafHash(bytes);

  std::string key = lmdb::BigEndian64(e.seq);
  MDB_val k = lmdb::Val(key), v = lmdb::Val(bytes);
  DVS_RETURN_IF_ERROR(
      lmdb::Check(mdb_put(txn_, log_->entries_, &k, &v, MDB_APPEND), "append entry"));
  DVS_RETURN_IF_ERROR(PutNodes(e.seq, leaf));
  head_ = Head{e.seq + 1, leaf, time_ms_};
  return e;
}

Status WriteTxn::UseTime(int64_t time_ms) {
  if (time_ms < head_.time_ms) {
    return Status::InvalidArgument("log time " + std::to_string(time_ms) +
                                   " is before the head's (" + std::to_string(head_.time_ms) +
                                   ", entry " + std::to_string(head_.size - 1) +
                                   "): log time never decreases");
  }
  time_ms_ = time_ms;
  return Status::OK();
}

// Records leaf `seq`'s check, then every stored perfect subtree it completes: none unless it
// completes one of level kLowestStoredMerkleLevel, which is hashed from the entries. Derived data:
// the left siblings above are read back from the Merkle database, so damage there spreads to the
// nodes built on it until RebuildMerkle; nothing trusted is computed from these nodes (see
// Log::Root).
Status WriteTxn::PutNodes(uint64_t seq, const Hash& leaf) {
  std::string checks;
  if (seq % kLeafChecksPerRecord != 0) {
    DVS_ASSIGN_OR_RETURN(auto have,
                         GetIn(txn_, log_->merkle_, NodeKey(0, seq / kLeafChecksPerRecord)));
    if (have) checks = std::move(*have);
  }
  // Each check at its own offset, even over a record someone shortened or lengthened.
  checks.resize((seq % kLeafChecksPerRecord) * kLeafCheckBytes);
  checks.append(AsBytes(leaf).substr(0, kLeafCheckBytes));
  {
    std::string ck = NodeKey(0, seq / kLeafChecksPerRecord);
    MDB_val k = lmdb::Val(ck), v = lmdb::Val(checks);
    DVS_RETURN_IF_ERROR(lmdb::Check(mdb_put(txn_, log_->merkle_, &k, &v, 0), "write leaf checks"));
  }
  constexpr uint64_t kSpan = uint64_t{1} << kLowestStoredMerkleLevel;
  if ((seq + 1) % kSpan != 0) return Status::OK();
  int level = kLowestStoredMerkleLevel;
  uint64_t index = seq >> level;
  DVS_ASSIGN_OR_RETURN(Hash node, SubtreeFromEntries(txn_, log_->entries_, level, index));
  for (;;) {
    std::string nk = NodeKey(level, index);
    MDB_val mk = lmdb::Val(nk), mv = lmdb::Val(AsBytes(node));
    DVS_RETURN_IF_ERROR(
        lmdb::Check(mdb_put(txn_, log_->merkle_, &mk, &mv, 0), "write Merkle node"));
    if ((index & 1) == 0) break;
    DVS_ASSIGN_OR_RETURN(Hash left, ReadNode(txn_, log_->merkle_, level, index - 1));
    node = NodeHash(left, node);
    index >>= 1;
    ++level;
  }
  return Status::OK();
}

Result<std::string> WriteTxn::GetRaw(uint64_t seq) const {
  return GetRawIn(txn_, log_->entries_, seq);
}

Status WriteTxn::RebuildMerkle() {
  DVS_RETURN_IF_ERROR(lmdb::Check(mdb_drop(txn_, log_->merkle_, 0), "clear Merkle nodes"));
  for (uint64_t seq = 0; seq < head_.size; ++seq) {
    DVS_ASSIGN_OR_RETURN(std::string raw, GetRaw(seq));
    DVS_RETURN_IF_ERROR(PutNodes(seq, LeafHash(raw)));
  }
  return Status::OK();
}

Status WriteTxn::PutDerived(const std::string& db, std::string_view key, std::string_view value) {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, log_->Derived(db));
  MDB_val k = lmdb::Val(key), v = lmdb::Val(value);
  return lmdb::Check(mdb_put(txn_, dbi, &k, &v, 0), "write derived record");
}

Status WriteTxn::AppendDerived(const std::string& db, std::string_view key,
                               std::string_view value) {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, log_->Derived(db));
  MDB_val k = lmdb::Val(key), v = lmdb::Val(value);
  int rc = mdb_put(txn_, dbi, &k, &v, MDB_APPEND);
  if (rc == MDB_KEYEXIST) rc = mdb_put(txn_, dbi, &k, &v, 0);
  return lmdb::Check(rc, "write derived record");
}

Result<std::optional<std::string>> WriteTxn::GetDerived(const std::string& db,
                                                        std::string_view key) const {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, log_->Derived(db));
  return GetIn(txn_, dbi, key);
}

Result<std::optional<std::pair<std::string, std::string>>> WriteTxn::FloorDerived(
    const std::string& db, std::string_view at) const {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, log_->Derived(db));
  return FloorIn(txn_, dbi, at);
}

Status WriteTxn::DeleteDerived(const std::string& db, std::string_view key) {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, log_->Derived(db));
  MDB_val k = lmdb::Val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::OK();
  return lmdb::Check(rc, "delete derived record");
}

Status WriteTxn::ClearDerived(const std::string& db) {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, log_->Derived(db));
  return lmdb::Check(mdb_drop(txn_, dbi, 0), "clear derived database");
}

// ---- Log: opening ----

Result<std::unique_ptr<Log>> Log::Create(const std::string& dir, const LogOptions& options) {
  std::error_code ec;
  if (std::filesystem::exists(dir + "/data.mdb", ec)) {
    return Status::Refused(dir + " already holds a ledger");
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create ledger directory " + dir + ": " + ec.message());
  return OpenEnv(dir, options, /*create=*/true);
}

Result<std::unique_ptr<Log>> Log::Open(const std::string& dir, const LogOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    if (std::filesystem::exists(dir, ec)) {
      return Status::NotFound("no ledger at " + dir + " (that is a file; a ledger is a directory)");
    }
    return Status::NotFound("no ledger at " + dir + " (no such directory)");
  }
  if (!std::filesystem::exists(dir + "/data.mdb", ec)) {
    return Status::NotFound(dir + " holds no ledger (no data.mdb)");
  }
  return OpenEnv(dir, options, /*create=*/false);
}

Status Log::SyncDataOnly() {
  return lmdb::Check(mdb_env_set_flags(env_, MDB_NOMETASYNC, 1), "set MDB_NOMETASYNC");
}

Result<std::unique_ptr<Log>> Log::OpenEnv(const std::string& dir, const LogOptions& options,
                                          bool create) {
  std::unique_ptr<Log> log(new Log());
  log->dir_ = dir;
  log->options_ = options;
  // A fresh environment sized for the ledger's databases, opened with `flags`.
  auto open_env = [&](unsigned flags) -> int {
    if (log->env_ != nullptr) mdb_env_close(std::exchange(log->env_, nullptr));
    if (int r = mdb_env_create(&log->env_); r != 0) return r;
    mdb_env_set_maxdbs(log->env_, static_cast<MDB_dbi>(8 + options.derived.size()));
    if (int r = mdb_env_set_mapsize(log->env_, options.map_size); r != 0) return r;
    return mdb_env_open(log->env_, dir.c_str(), flags, 0644);
  };
  const unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0);
  int rc = open_env(flags);
  // A read-only copy in a read-only directory: no lock file can be made, and no writer exists.
  if (options.read_only && (rc == EACCES || rc == EROFS)) rc = open_env(flags | MDB_NOLOCK);
  DVS_RETURN_IF_ERROR(lmdb::Check(rc, ("open ledger " + dir).c_str()));
  DVS_RETURN_IF_ERROR(lmdb::CheckNotTruncated(log->env_, dir));
  if (!options.read_only) {
    int dead = 0;
    mdb_reader_check(log->env_, &dead);  // clear reader slots left by killed processes
  }

  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(log->env_, options.read_only));
  const unsigned dbflags = options.read_only ? 0 : MDB_CREATE;
  auto open_db = [&](const std::string& name, MDB_dbi* dbi) -> Status {
    int r = mdb_dbi_open(txn.get(), name.c_str(), dbflags, dbi);
    if (r == MDB_NOTFOUND) {
      return Status::Corruption(dir + " is not a dvs ledger (database '" + name + "' is missing)");
    }
    return lmdb::Check(r, ("open database " + name).c_str());
  };
  DVS_RETURN_IF_ERROR(open_db("meta", &log->meta_));
  DVS_ASSIGN_OR_RETURN(auto format, GetIn(txn.get(), log->meta_, kFormatKey));
  if (create) {
    MDB_val k = lmdb::Val(kFormatKey), v = lmdb::Val(kFormat);
    DVS_RETURN_IF_ERROR(lmdb::Check(mdb_put(txn.get(), log->meta_, &k, &v, 0), "write format"));
  } else if (!format || *format != kFormat) {
    return Status::Corruption(dir + " holds an LMDB database that is not a dvs ledger");
  }
  DVS_RETURN_IF_ERROR(open_db("entries", &log->entries_));
  DVS_RETURN_IF_ERROR(open_db("merkle", &log->merkle_));
  for (const std::string& name : options.derived) {
    MDB_dbi dbi = 0;
    Status s = open_db(name, &dbi);
    if (s.ok()) {
      log->derived_.emplace_back(name, dbi);
    } else if (!options.read_only) {
      return s;
    }  // read-only: a derived database that was never written is simply absent
  }
  // Commit even a read transaction: LMDB keeps the opened dbi handles only after a commit.
  DVS_RETURN_IF_ERROR(txn.Commit());
  return log;
}

Log::~Log() {
  if (env_ != nullptr) mdb_env_close(env_);
}

int64_t Log::Now() const {
  if (options_.clock) return options_.clock();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<MDB_dbi> Log::Derived(const std::string& name) const {
  for (const auto& [n, dbi] : derived_) {
    if (n == name) return dbi;
  }
  return Status::NotFound("derived database '" + name + "' is not open in " + dir_);
}

// ---- Log: writing ----

Result<Head> Log::Write(const std::function<Status(WriteTxn&)>& fn) {
  if (options_.read_only) return Status::PermissionDenied("ledger " + dir_ + " is open read-only");
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, /*read_only=*/false));
  DVS_ASSIGN_OR_RETURN(Head head, ReadHead(txn.get()));
  WriteTxn w(this, txn.get(), head, std::max(Now(), head.time_ms));
  DVS_RETURN_IF_ERROR(fn(w));
  DVS_RETURN_IF_ERROR(txn.Commit());
  return w.head();
}

Result<Entry> Log::Append(SignedBody body) {
  DVS_ASSIGN_OR_RETURN(VerifiedBody vb, VerifiedBody::Verify(std::move(body)));
  Entry out;
  DVS_ASSIGN_OR_RETURN(Head h, Write([&](WriteTxn& w) -> Status {
                         DVS_ASSIGN_OR_RETURN(out, w.Add(vb));
                         return Status::OK();
                       }));
  (void)h;
  return out;
}

Result<Head> Log::AppendBatch(std::vector<SignedBody> bodies) {
  auto checked = VerifiedBody::VerifyAll(std::move(bodies), DefaultThreads());
  for (size_t i = 0; i < checked.size(); ++i) {
    if (!checked[i].ok()) {
      return checked[i].status().Prefixed("batch item " + std::to_string(i));
    }
  }
  return Write([&](WriteTxn& w) -> Status {
    for (const auto& vb : checked) DVS_RETURN_IF_ERROR(w.Add(*vb).status());
    return Status::OK();
  });
}

// ---- Log: reading ----

Result<Head> Log::ReadHead(MDB_txn* txn) const {
  MDB_cursor* cur = nullptr;
  DVS_RETURN_IF_ERROR(lmdb::Check(mdb_cursor_open(txn, entries_, &cur), "open cursor"));
  MDB_val k, v;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  // Views into the map: valid until `txn` ends, which outlives this call (no copies).
  const std::string_view key = rc == MDB_SUCCESS ? lmdb::View(k) : std::string_view();
  const std::string_view value = rc == MDB_SUCCESS ? lmdb::View(v) : std::string_view();
  mdb_cursor_close(cur);
  if (rc == MDB_NOTFOUND) return Head{};
  DVS_RETURN_IF_ERROR(lmdb::Check(rc, "read head"));
  if (key.size() != 8) return Status::Corruption("entries database holds a key that is not a seq");
  const uint64_t last = lmdb::ReadBigEndian64(key);
  auto e = Entry::Decode(value);
  if (!e.ok()) return e.status().Prefixed("head entry " + std::to_string(last));
  // The head hash is the hash of the last entry's own bytes, never the derived Merkle leaf: an
  // append links to what `entries` holds, whatever the derived databases say.
  return Head{last + 1, LeafHash(value), e->append_time_ms};
}

Result<Head> Log::GetHead() const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  return ReadHead(txn.get());
}

Result<std::string> Log::GetRaw(uint64_t seq) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  return GetRawIn(txn.get(), entries_, seq);
}

Result<Entry> Log::Get(uint64_t seq) const {
  DVS_ASSIGN_OR_RETURN(std::string raw, GetRaw(seq));
  auto e = Entry::Decode(raw);
  if (!e.ok()) return e.status().Prefixed("entry " + std::to_string(seq));
  return e;
}

Status Log::Scan(uint64_t from, uint64_t to,
                 const std::function<Status(uint64_t, std::string_view)>& fn) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  MDB_cursor* cur = nullptr;
  DVS_RETURN_IF_ERROR(lmdb::Check(mdb_cursor_open(txn.get(), entries_, &cur), "open cursor"));
  std::string start = lmdb::BigEndian64(from);
  MDB_val k = lmdb::Val(start), v;
  Status s;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == MDB_SUCCESS) {
    if (k.mv_size != 8) {
      s = Status::Corruption("entries database holds a key that is not a seq");
      break;
    }
    uint64_t seq = lmdb::ReadBigEndian64(lmdb::View(k));
    if (seq >= to) break;
    s = fn(seq, lmdb::View(v));
    if (!s.ok()) break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (!s.ok()) return s;
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return lmdb::Check(rc, "scan entries");
  return Status::OK();
}

Result<Hash> Log::LeafHashAt(uint64_t seq) const {
  DVS_ASSIGN_OR_RETURN(std::string raw, GetRaw(seq));
  return LeafHash(raw);
}

namespace {
Status CheckSize(uint64_t size, const Head& head) {
  if (size > head.size) {
    return Status::InvalidArgument("tree size " + std::to_string(size) +
                                   " is beyond the ledger's size " + std::to_string(head.size));
  }
  return Status::OK();
}
}  // namespace

Result<Hash> Log::Root(uint64_t size) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  DVS_ASSIGN_OR_RETURN(Head head, ReadHead(txn.get()));
  DVS_RETURN_IF_ERROR(CheckSize(size, head));
  return RootAt(TxnNodeSource(txn.get(), merkle_, entries_), size);
}

Result<std::vector<Hash>> Log::InclusionProof(uint64_t seq, uint64_t size) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  DVS_ASSIGN_OR_RETURN(Head head, ReadHead(txn.get()));
  DVS_RETURN_IF_ERROR(CheckSize(size, head));
  return dvs::InclusionProof(TxnNodeSource(txn.get(), merkle_, entries_), seq, size);
}

Result<std::vector<Hash>> Log::ConsistencyProof(uint64_t old_size, uint64_t new_size) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  DVS_ASSIGN_OR_RETURN(Head head, ReadHead(txn.get()));
  DVS_RETURN_IF_ERROR(CheckSize(new_size, head));
  return dvs::ConsistencyProof(TxnNodeSource(txn.get(), merkle_, entries_), old_size, new_size);
}

Status Log::ReadLeafChecks(uint64_t first, uint64_t end, std::vector<std::string>* out) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  out->clear();
  for (uint64_t g = first; g < end; ++g) {
    DVS_ASSIGN_OR_RETURN(auto rec, GetIn(txn.get(), merkle_, NodeKey(0, g)));
    out->push_back(rec ? std::move(*rec) : std::string());
  }
  return Status::OK();
}

Result<uint64_t> Log::MerkleNodeCount() const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  MDB_stat st;
  DVS_RETURN_IF_ERROR(lmdb::Check(mdb_stat(txn.get(), merkle_, &st), "stat Merkle database"));
  return static_cast<uint64_t>(st.ms_entries);
}

Status Log::ReadNodes(const std::vector<std::pair<int, uint64_t>>& keys,
                      std::vector<std::optional<Hash>>* out) const {
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  out->clear();
  out->reserve(keys.size());
  for (const auto& [level, index] : keys) {
    auto h = ReadNode(txn.get(), merkle_, level, index);
    out->push_back(h.ok() ? std::optional<Hash>(*h) : std::nullopt);
  }
  return Status::OK();
}

Result<std::optional<std::string>> Log::GetDerived(const std::string& db,
                                                   std::string_view key) const {
  DVS_ASSIGN_OR_RETURN(MDB_dbi dbi, Derived(db));
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  return GetIn(txn.get(), dbi, key);
}

Result<std::optional<std::pair<std::string, std::string>>> Log::LastDerived(
    const std::string& db) const {
  return FloorDerived(db, "");
}

Status Log::ScanDerived(const std::string& db, std::string_view from, std::string_view to,
                        const std::function<Status(std::string_view, std::string_view)>& fn) const {
  auto dbi = Derived(db);
  if (!dbi.ok()) return Status::OK();
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  MDB_cursor* cur = nullptr;
  DVS_RETURN_IF_ERROR(lmdb::Check(mdb_cursor_open(txn.get(), *dbi, &cur), "open cursor"));
  MDB_val k = lmdb::Val(from), v;
  int rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                        : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  Status s;
  while (rc == MDB_SUCCESS) {
    std::string_view key = lmdb::View(k);
    if (!to.empty() && key >= to) break;
    s = fn(key, lmdb::View(v));
    if (!s.ok()) break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (!s.ok()) return s;
  if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return lmdb::Check(rc, "scan derived records");
  return Status::OK();
}

Result<std::optional<std::pair<std::string, std::string>>> Log::FloorDerived(
    const std::string& db, std::string_view at) const {
  using Out = std::optional<std::pair<std::string, std::string>>;
  auto dbi = Derived(db);
  if (!dbi.ok()) return Out();
  lmdb::Txn txn;
  DVS_RETURN_IF_ERROR(txn.Begin(env_, true));
  return FloorIn(txn.get(), *dbi, at);
}

}  // namespace dvs
