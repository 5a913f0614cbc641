// ReleaseService: the library pipelines link. It composes the ledger (ledger/) and the release
// rules (statemachine/) into one embedded database of releases.
//
// Write path, for every transition: the actor's signature is checked; concurrent callers queue,
// and the one at the front commits the whole queue as one group: one LMDB write transaction, in
// which the in-memory state is first brought up to the head the transaction sees (other
// processes may have appended); then, caller by caller, Apply decides and the entries are
// appended (a refused caller gets its refusal and writes nothing; its neighbours are unaffected);
// a checkpoint is added when one is due; the transaction commits (synced); only then does any
// caller return. A refused transition writes nothing: the ledger's head is unchanged.
//
// Opening trusts a state snapshot only when a log-signed checkpoint entry commits to it (see
// api/service/state_loader.h), then replays the suffix after it; without one it replays all.
//
// Errors: every call returns a Status or Result naming what was refused and why. Nothing throws.
// Thread safety: a ReleaseService may be shared by threads; calls are serialized internally.
// Several processes may open the same ledger at once, but one process opens a ledger at most once
// (an LMDB rule: a second environment on the same files in one process breaks its locks).
#ifndef DVS_API_RELEASE_SERVICE_H_
#define DVS_API_RELEASE_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/service/state_loader.h"
#include "dvs/bundle_status.h"
#include "ledger/keys.h"
#include "ledger/log.h"
#include "ledger/status.h"
#include "statemachine/decide.h"
#include "statemachine/state.h"

namespace dvs {

struct ServiceOptions {
  LogOptions log;
  // A key with the log role. When set, every write that leaves at least `checkpoint_every`
  // entries after the last Checkpoint entry appends one more in the same transaction, signed
  // with it, and stores the state snapshot that checkpoint commits to. Opening then costs one
  // snapshot plus at most that many entries. Without any checkpoint, opening replays the whole
  // ledger: a snapshot nobody signed for is never trusted.
  std::shared_ptr<const SecretKey> log_key;
  uint64_t checkpoint_every = 1000;
  // The actor time the library stamps on what it signs; the system clock when empty.
  std::function<int64_t()> actor_clock;
};

// What a committed transition looks like to its author.
struct Receipt {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  Hash hash{};
  std::string request_id;
  std::string kind;    // "deploy", "rollback", ...
  std::string bundle;  // the bundle it concerns, if any
  std::string key;     // the key it grants or revokes, by name, if any
  // Its effect on that bundle: the state after ("canary", "rolled_back", ...) and the traffic %
  // before and after. Empty state when it concerns no bundle.
  std::string state;
  uint32_t weight_before = 0, weight_after = 0;
  // Set by `dvs serve` on an observation it evaluated at once: the controller's decision
  // ("hold", "step", "promote", "rollback"), its reason, the step's target % and, unless it
  // held, the seq of the entry it appended.
  std::string decision, decision_reason;
  uint32_t decision_to_pct = 0;
  uint64_t decision_seq = 0;
  bool observation = false;  // the entry is an observation (what the controller reacts to)
  // False when nothing was appended: the receipt is that of the entry that already held it (a
  // repackage of identical content, SubmitSigned).
  bool appended = true;
};

// Group commit at work: synced transactions committed, and the callers they answered (writers
// per group = writers / groups).
struct CommitStats {
  uint64_t groups = 0, writers = 0;
};

// One controller evaluation of one service.
struct TickOutcome {
  std::string service;
  std::string bundle;
  Decision decision;
  std::optional<Receipt> receipt;  // set unless the decision was hold
  // The policy would step or promote, but a router has not confirmed the current weight yet:
  // held (the reason names the router).
  bool waiting_for_routers = false;
};

// BundleStatus (a bundle as users see it, `dvs status BUNDLE`) is public: dvs/bundle_status.h.

// One entry decoded for people: `dvs log`, `dvs history`, `dvs audit`.
struct LogRow {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  std::string kind;
  std::string actor;      // key name at the time, or the key id if unknown
  std::string actor_key;  // key id
  std::string bundle, service, detail;
  bool automatic = false;
  std::vector<std::pair<uint64_t, Metrics>>
      evidence;                // for automatic decisions: cited observations
  uint32_t weight_before = 0;  // the bundle's traffic % before and after, from the audit record
  uint32_t weight_after = 0;
  sm::Transition transition;
};

// Filters of `dvs audit`; empty fields do not filter. Combined, they all must hold.
struct AuditQuery {
  std::string service, bundle, type;
  std::string actor;                          // a key name or key id
  std::optional<int64_t> since_ms, until_ms;  // inclusive, log time
  // Only the first `first` or the last `last` matches (0: all; not both), oldest first; reads no
  // more records than it returns beyond the index's candidates.
  size_t first = 0, last = 0;
};

struct InclusionProofOf {
  uint64_t seq = 0, size = 0;
  Hash root{}, leaf{};
  std::vector<Hash> proof;
};

struct ConsistencyProofOf {
  uint64_t old_size = 0, new_size = 0;
  Hash old_root{}, new_root{};
  std::vector<Hash> proof;
};

// Cluster mode (api/cluster/): the log of record that every entry must reach before it counts.
// Each node keeps its own ledger as a replica of it; the replica's entries are byte-identical to
// the log of record's, so proofs, checkpoints and dvs-verify do not change.
class LogOfRecord {
 public:
  virtual ~LogOfRecord() = default;
  // Called by the write path inside its local write transaction, with the exact stored bytes of
  // the entries [first, first + entries.size()) it formed against its replica's head (`first`
  // entries, the last one's hash `head_hash`). Returns true when they are now committed in the
  // log of record (the local transaction then commits); false when another node appended at
  // `first` before (the write path catches up and forms its entries again, against the new
  // head); an error when they are not committed or not known to be (Unavailable naming why, or
  // Refused: this node may not append them, e.g. a decision from a node that no longer leads).
  virtual Result<bool> Publish(uint64_t first, const Hash& head_hash,
                               const std::vector<std::string>& entries) = 0;
  // Brings this replica up to the log of record's head (ReleaseService::AppendReplicated).
  virtual Status CatchUp() = 0;
  // True when the log of record holds more than `size` entries: asked before a refusal is
  // returned, so that a write through a replica that lags is judged against what was committed
  // before it, not refused for a state the cluster has left.
  virtual Result<bool> HasMoreThan(uint64_t size) = 0;
};

class ReleaseService {
 public:
  ~ReleaseService();
  // Creates a ledger in `dir` whose genesis is signed by `root` (known as "root").
  static Result<std::unique_ptr<ReleaseService>> Init(const std::string& dir, const SecretKey& root,
                                                      const std::string& ledger_name,
                                                      const ServiceOptions& options = {});
  // Opens an existing ledger: latest valid snapshot plus replay of the suffix.
  static Result<std::unique_ptr<ReleaseService>> Open(const std::string& dir,
                                                      const ServiceOptions& options = {});
  // Cluster mode: opens the ledger in `dir`, or creates an empty one (no genesis) when `dir`
  // holds none, to be filled from the log of record by AppendReplicated.
  static Result<std::unique_ptr<ReleaseService>> OpenReplica(const std::string& dir,
                                                             const ServiceOptions& options = {});

  // Cluster mode: from now on every write is committed in `log` first (LogOfRecord::Publish),
  // and only then in this ledger; a write that lost the race to the next seq catches up and is
  // formed again (a signed submission is re-checked against the new head, and refused when it
  // no longer applies). `log` must outlive this service. REQUIRES: called before any write.
  // From then on this ledger's commits need not be durable by themselves (the log of record's
  // are): they skip one of LMDB's two fsyncs (Log::SyncDataOnly).
  Status SetLogOfRecord(LogOfRecord* log);
  // Cluster mode: appends entries another node formed, given as their exact stored bytes
  // starting at seq `first`, through the same checks as every append (signature, chain, Apply,
  // indexes, checkpoint root), in one transaction: all or none. Entries this replica already
  // holds must be byte-identical (Corruption naming the seq otherwise: the replica diverged);
  // each new entry must be the one this replica would store (same seq, previous hash and bytes).
  // Returns the head after.
  Result<Head> AppendReplicated(uint64_t first, const std::vector<std::string>& entries);

  // ---- writes: each signs with `key` and returns once committed ----
  Result<Receipt> GrantKey(const SecretKey& key, const std::string& name, const PublicKey& pub,
                           const std::vector<std::string>& roles);
  Result<Receipt> RevokeKey(const SecretKey& key, const std::string& name,
                            const std::string& reason);
  Result<Receipt> SetPolicy(const SecretKey& key, const sm::GovernancePolicy& policy);
  // Returns the bundle id. Packaging a version again with identical content appends nothing and
  // returns the same id; with other content it is refused.
  Result<std::string> Package(const SecretKey& key, const sm::Manifest& manifest);
  // The same, answered with the receipt of the entry that holds the bundle: the new package
  // entry, or (`appended` false) the one that packaged identical content before.
  Result<Receipt> PackageReceipt(const SecretKey& key, const sm::Manifest& manifest);
  Result<Receipt> Approve(const SecretKey& key, const std::string& bundle);
  Result<Receipt> Reject(const SecretKey& key, const std::string& bundle,
                         const std::string& reason);
  // canary_pct 0: the manifest's.
  Result<Receipt> Deploy(const SecretKey& key, const std::string& bundle, uint32_t canary_pct = 0);
  Result<Receipt> Observe(const SecretKey& key, const std::string& bundle, const Metrics& metrics,
                          uint64_t samples);
  // One controller evaluation of each service with an active canary (all when `services` is
  // empty). Decisions other than hold are signed by `controller` citing their evidence, all in
  // one transaction.
  // A step or promotion whose manifest waits for the routers holds (the reason names the router)
  // until every router that confirmed during the rollout, and each of `routers`, confirmed the
  // canary's current weight; a rollback never waits.
  Result<std::vector<TickOutcome>> Tick(const SecretKey& controller,
                                        const std::vector<std::string>& services = {},
                                        const std::vector<std::string>& routers = {});
  // Records, signed by `controller`, that `router` serves `served` (service -> its routes, read
  // back after applying the table derived from the first `table_seq` entries): one Confirm entry
  // per service whose routes with traffic are still the ledger's and whose last confirmation by
  // this router differs. Services whose table moved on meanwhile are skipped (the router gets
  // the new table and confirms it). Receipts of what was appended; none when nothing changed.
  Result<std::vector<Receipt>> Confirm(const SecretKey& controller, const std::string& router,
                                       uint64_t table_seq,
                                       const std::map<std::string, std::vector<Route>>& served);
  // By hand: one step of the manifest's step_pct, or with full=true straight to stable.
  Result<Receipt> Promote(const SecretKey& key, const std::string& bundle, bool full);
  Result<Receipt> Pause(const SecretKey& key, const std::string& bundle, const std::string& reason);
  Result<Receipt> Resume(const SecretKey& key, const std::string& bundle);
  Result<Receipt> Rollback(const SecretKey& key, const std::string& bundle,
                           const std::string& reason);
  Result<Receipt> Retire(const SecretKey& key, const std::string& bundle,
                         const std::string& reason);

  // Signs `t` with `key` (fresh request id, actor time) and submits it: the path of every command
  // above whose transition does not depend on the state.
  Result<Receipt> Submit(const SecretKey& key, sm::Transition t);
  // Submits a transition signed elsewhere (a client that holds its own key). A package of
  // content already packaged appends nothing (Apply would change nothing): it answers the
  // receipt of the entry that holds the bundle. The same holds per item below.
  Result<Receipt> SubmitSigned(SignedBody body);
  // Appends a Checkpoint entry signed by `log_key` (log role): the Merkle root of every entry
  // before it and the digest of the state they replay to, and stores that state's snapshot.
  Result<Receipt> AppendCheckpoint(const SecretKey& log_key);
  // Submits many in one transaction: all are applied or none.
  Result<std::vector<Receipt>> SubmitBatch(std::vector<SignedBody> bodies);
  // The same for bodies whose signatures the caller has already checked (a server that must tell
  // a bad signature from other refusals): they are not checked again.
  Result<std::vector<Receipt>> SubmitVerified(std::vector<VerifiedBody> bodies);

  // ---- reads: from the state at the head, refreshed first ----
  // The current state. The pointer stays valid and unchanged while held.
  Result<std::shared_ptr<const State>> Current();
  // The RFC 6962 root of the first `size` entries, from the entries or a signed commitment,
  // never from the derived Merkle nodes. NotFound past the head.
  Result<Hash> TrustedRoot(uint64_t size);
  // Proofs built from the derived Merkle nodes and checked against TrustedRoot before they are
  // returned: Corruption naming the damage when the derived nodes disagree with the entries.
  Result<InclusionProofOf> ProveInclusion(uint64_t seq, uint64_t size);
  Result<ConsistencyProofOf> ProveConsistency(uint64_t old_size, uint64_t new_size);
  // Where the last open found its state: the snapshot used and those refused, and why.
  const LoadReport& load_report() const { return load_report_; }
  Result<BundleStatus> StatusOf(const std::string& bundle);
  // Statuses of a service's bundles that carry traffic or are kept warm, stable first.
  Result<std::vector<BundleStatus>> StatusOfService(const std::string& service);
  // service -> routes, at the head's log time... or at `now_ms` when given.
  Result<std::map<std::string, std::vector<Route>>> Routes(std::optional<int64_t> now_ms = {});
  // Entries [from, to) decoded for people.
  Result<std::vector<LogRow>> Log(uint64_t from, uint64_t to);
  // The entries that concern `service`, oldest first.
  Result<std::vector<LogRow>> History(const std::string& service);
  // The entries matching every filter, oldest first, answered from the indexes: the cost is the
  // number of entries in the most selective index family, not the ledger's size.
  Result<std::vector<LogRow>> Audit(const AuditQuery& q);
  // The state after the first `size` entries (time travel): nearest snapshot, then replay.
  Result<State> StateAt(uint64_t size);
  // `dvs state --at`: a seq (a plain number: that entry included), an RFC 3339 time, or "@" and
  // unix milliseconds (ParseMarkedTime); InvalidArgument naming the text when it is none of them,
  // NotFound when a seq is beyond the ledger.
  Result<State> StateAsOf(const std::string& at);
  // The number of entries whose log time is <= time_ms.
  Result<uint64_t> SizeAtTime(int64_t time_ms);
  // Rebuilds the audit records and indexes from the entries alone, in one transaction.
  Status Reindex();

  // The log's head as committed (size and last hash), read now: other processes may have
  // appended since this process last wrote.
  Result<Head> LedgerHead() const;
  // Since this ReleaseService opened.
  CommitStats commit_stats() const { return {groups_committed_.load(), writers_committed_.load()}; }
  // The root over the first `size` entries as the derived Merkle nodes give it (what proofs are
  // built from); TrustedRoot is the same root re-derived from the entries.
  Result<Hash> DerivedRoot(uint64_t size) const;

  // For the benchmarks only: the raw log, around every rule of this class. Programs use the
  // calls above.
  const class Log& log() const { return *log_; }
  const std::string& dir() const { return log_->dir(); }

 private:
  ReleaseService();
  // (caught-up state, the log time the new entries will carry) -> transitions to append.
  using Builder = std::function<Result<std::vector<sm::Transition>>(const State&, int64_t)>;
  // (caught-up tip, log time) -> checked bodies to append.
  using Source =
      std::function<Result<std::vector<VerifiedBody>>(const struct TrustedTip&, int64_t)>;
  // The one commit: inside one write transaction, catch the tip up to the log's head, take the
  // bodies `make` gives, apply and append each (all or none), add a checkpoint when one is due,
  // commit synced. On failure the tip is rebuilt from what was committed.
  Result<std::vector<Receipt>> Commit(const Source& make);
  // A caller of Commit waiting in the group-commit queue.
  struct Writer {
    const Source* make;
    Result<std::vector<Receipt>> result = Status::IOError("not committed");
    bool done = false;
    std::condition_variable cv;
  };
  static constexpr size_t kMaxGroup = 256;
  void CommitGroup(const std::vector<Writer*>& group);
  // One attempt at committing `group`; *lost_race when the log of record had moved on.
  Status CommitGroupOnce(const std::vector<Writer*>& group, bool* lost_race);
  Status CommitWriter(WriteTxn& w, struct TrustedTip& tip, Writer& writer, bool* touched);
  // Builds transitions against the caught-up state, signs them with `key`, commits them.
  Result<std::vector<Receipt>> WriteBuilt(const SecretKey& key, const Builder& build);
  Result<std::vector<Receipt>> WriteSigned(std::vector<SignedBody> bodies);
  Status AppendOne(WriteTxn& w, struct TrustedTip& tip, const VerifiedBody& vb,
                   std::vector<Receipt>* out, bool* touched);
  Status MaybeCheckpoint(WriteTxn& w, struct TrustedTip& tip, bool* touched);
  Status CatchUp(const WriteTxn& w);
  struct TrustedTip& MutableTip();
  Result<std::shared_ptr<const struct TrustedTip>> CurrentTip();
  Status Restore();
  Result<Receipt> One(Result<std::vector<Receipt>> r);
  int64_t ActorNow() const;

  std::mutex queue_mu_;
  std::deque<Writer*> writers_;  // GUARDED_BY(queue_mu_); the front one leads
  std::atomic<uint64_t> groups_committed_{0}, writers_committed_{0};
  std::mutex mu_;
  std::unique_ptr<class Log> log_;
  ServiceOptions options_;
  // GUARDED_BY(mu_); copy-on-write: readers hold old versions.
  std::shared_ptr<struct TrustedTip> tip_;
  LoadReport load_report_;
  LogOfRecord* log_of_record_ = nullptr;  // cluster mode; set before any write
  // Cluster mode: the tip as last committed, for readers: they take it without waiting for mu_,
  // which a write holds while it waits for the log of record. Set under mu_, after commits.
  void ShareTip();
  std::mutex shared_mu_;
  std::shared_ptr<const struct TrustedTip> shared_tip_;  // GUARDED_BY(shared_mu_)
};

// A fresh, unique request id (random, 128 bits, hex).
std::string NewRequestId();
// Stamps `t` with a fresh request id and the actor's wall time, and signs it: what a client that
// holds its own key sends to a server.
SignedBody SignTransition(const SecretKey& key, sm::Transition t);
// The same with the actor time given (a signer whose clock is not the wall's: tests, benches).
SignedBody SignTransitionAt(const SecretKey& key, sm::Transition t, int64_t actor_time_ms);

}  // namespace dvs

#endif  // DVS_API_RELEASE_SERVICE_H_
