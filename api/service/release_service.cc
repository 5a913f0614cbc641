#include "api/service/release_service.h"

#include <sodium.h>

#include <chrono>

#include "api/service/audit_index.h"
#include "api/service/state_loader.h"
#include "ledger/assert.h"
#include "ledger/lmdb_util.h"
#include "ledger/parallel.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/replay.h"

namespace dvs {

namespace {

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ServiceOptions WithDerived(ServiceOptions o) {
  o.log.derived.push_back(kSnapshotsDb);
  o.log.derived.push_back(audit::kAuditDb);
  o.log.derived.push_back(audit::kIndexDb);
  return o;
}

bool HoldsLogRole(const State& s, const PublicKey& k) {
  const KeyRecord* r = s.KeyOf(k);
  return r != nullptr && !r->revoked && Has(r->roles, Role::kLog);
}

}  // namespace

std::string NewRequestId() {
  unsigned char r[16];
  randombytes_buf(r, sizeof(r));
  return ToHex(std::string_view(reinterpret_cast<char*>(r), sizeof(r)));
}

SignedBody SignTransition(const SecretKey& key, sm::Transition t) {
  return SignTransitionAt(key, std::move(t), WallMs());
}

SignedBody SignTransitionAt(const SecretKey& key, sm::Transition t, int64_t actor_time_ms) {
  t.set_request_id(NewRequestId());
  t.set_actor_time_ms(actor_time_ms);
  return SignedBody::Sign(key, t.SerializeAsString());
}

int64_t ReleaseService::ActorNow() const {
  return options_.actor_clock ? options_.actor_clock() : WallMs();
}

sm::Transition CheckpointTransition(const State& s, const Hash& root) {
  sm::Transition t;
  sm::Checkpoint* c = t.mutable_checkpoint();
  c->set_size(s.size);
  c->set_root(std::string(AsBytes(root)));
  c->set_state_digest(std::string(AsBytes(StateDigest(s))));
  return t;
}

ReleaseService::ReleaseService() = default;
ReleaseService::~ReleaseService() = default;

// ---- opening ----

Result<std::unique_ptr<ReleaseService>> ReleaseService::Init(const std::string& dir,
                                                             const SecretKey& root,
                                                             const std::string& ledger_name,
                                                             const ServiceOptions& options) {
  DVS_RETURN_IF_ERROR(CheckName("ledger name", ledger_name));
  std::unique_ptr<ReleaseService> svc(new ReleaseService());
  svc->options_ = WithDerived(options);
  DVS_ASSIGN_OR_RETURN(svc->log_, Log::Create(dir, svc->options_.log));
  svc->tip_ = std::make_shared<TrustedTip>();
  auto r = svc->WriteBuilt(root, [&](const State&, int64_t) -> Result<std::vector<sm::Transition>> {
    sm::Transition t;
    t.mutable_genesis()->set_ledger_name(ledger_name);
    t.mutable_genesis()->set_root_name("root");
    t.mutable_genesis()->set_root_key(std::string(root.public_key().bytes()));
    return std::vector<sm::Transition>{t};
  });
  if (!r.ok()) return r.status();
  return svc;
}

Result<std::unique_ptr<ReleaseService>> ReleaseService::Open(const std::string& dir,
                                                             const ServiceOptions& options) {
  std::unique_ptr<ReleaseService> svc(new ReleaseService());
  svc->options_ = WithDerived(options);
  DVS_ASSIGN_OR_RETURN(svc->log_, Log::Open(dir, svc->options_.log));
  DVS_RETURN_IF_ERROR(svc->Restore());
  return svc;
}

Result<std::unique_ptr<ReleaseService>> ReleaseService::OpenReplica(const std::string& dir,
                                                                    const ServiceOptions& options) {
  auto svc = Open(dir, options);
  if (svc.ok() || !svc.status().IsNotFound()) return svc;
  std::unique_ptr<ReleaseService> fresh(new ReleaseService());
  fresh->options_ = WithDerived(options);
  DVS_ASSIGN_OR_RETURN(fresh->log_, Log::Create(dir, fresh->options_.log));
  fresh->tip_ = std::make_shared<TrustedTip>();
  return fresh;
}

Status ReleaseService::SetLogOfRecord(LogOfRecord* log) {
  log_of_record_ = log;
  return log_->SyncDataOnly().Prefixed("cluster: ledger " + log_->dir());
}

Status ReleaseService::Restore() {
  DVS_ASSIGN_OR_RETURN(Head head, log_->GetHead());
  LoadReport report;
  DVS_ASSIGN_OR_RETURN(TrustedTip tip, LoadTip(*log_, head.size, &report));
  tip_ = std::make_shared<TrustedTip>(std::move(tip));
  load_report_ = std::move(report);
  return Status::OK();
}

TrustedTip& ReleaseService::MutableTip() {
  // Copy-on-write: a reader may still hold the current version. The copy is shallow where it
  // matters: the request-id window's buckets are shared (statemachine/request_ids.h).
  if (tip_.use_count() > 1) tip_ = std::make_shared<TrustedTip>(*tip_);
  return *tip_;
}

// ---- the write path ----

Status ReleaseService::CatchUp(const WriteTxn& w) {
  const uint64_t have = tip_->state.size, head = w.head().size;
  if (have > head) {
    return Status::Corruption("the ledger holds " + std::to_string(head) +
                              " entries but this process had applied " + std::to_string(have) +
                              ": entries were removed");
  }
  if (have < head) {
    DVS_RETURN_IF_ERROR(Advance(&MutableTip(), head, [&](uint64_t seq) {
                          return w.GetRaw(seq);
                        }).Prefixed("catching up"));
  }
  // The state's head and the log's must be the same entry: both come from the entries' bytes.
  // They differ only when an entry this process already applied was rewritten in the file.
  if (tip_->head_hash != w.head().hash) {
    return Status::Corruption("entry " + std::to_string(head - 1) +
                              " is not the entry this process applied: the ledger's entries were "
                              "rewritten (run dvs-verify)");
  }
  return Status::OK();
}

namespace {
// The bundle a receipt names: the transition's, or for a package the id its manifest gets (the
// transition names none: the id is derived from the manifest's bytes).
std::string ReceiptBundle(const sm::Transition& t) {
  if (!t.has_package()) return BundleOfTransition(t);
  sm::Manifest m;
  if (!m.ParseFromString(t.package().manifest())) return "";
  return BundleId(m, Sha256(t.package().manifest()));
}

// A receipt for people: what was committed, with the bundle or key it concerns.
Receipt ReceiptFor(uint64_t seq, int64_t time_ms, const Hash& hash, const sm::Transition& t) {
  Receipt r{seq, time_ms, hash, t.request_id(), TransitionName(t), ReceiptBundle(t)};
  if (t.has_grant_key()) r.key = t.grant_key().name();
  if (t.has_revoke_key()) r.key = t.revoke_key().name();
  return r;
}
}  // namespace

Status ReleaseService::AppendOne(WriteTxn& w, TrustedTip& tip, const VerifiedBody& vb,
                                 std::vector<Receipt>* out, bool* touched) {
  DVS_ASSIGN_OR_RETURN(sm::Transition t, ParseTransition(vb.get().body));
  std::optional<std::string> snapshot;
  if (t.has_checkpoint()) {
    // Apply checks the state digest; the root needs the entries' hashes, which the trusted
    // frontier has. The snapshot this checkpoint vouches for is the state before it.
    const Hash root = tip.frontier.Root();
    if (t.checkpoint().root() != AsBytes(root)) {
      return Status::Refused("checkpoint: its root " + ToHex(t.checkpoint().root()).substr(0, 16) +
                             " is not the root of the ledger's first " +
                             std::to_string(tip.state.size) + " entries (" +
                             ToHex(root).substr(0, 16) + ")");
    }
    snapshot = EncodeTip(tip);
  }
  Entry e;
  e.seq = w.head().size;
  e.append_time_ms = w.time_ms();
  e.body = vb.get().body;
  e.signer = vb.get().signer;
  Applied applied;
  DVS_RETURN_IF_ERROR(ApplyEntry(&tip.state, e, &applied));
  *touched = true;
  DVS_ASSIGN_OR_RETURN(Entry stored, w.Add(vb));
  DVS_ASSERT(stored.seq + 1 == tip.state.size);
  tip.head_hash = w.head().hash;
  tip.frontier.Append(tip.head_hash);
  DVS_RETURN_IF_ERROR(audit::Put(w, stored.seq, audit::RecordOf(stored, applied)));
  if (snapshot) {
    DVS_RETURN_IF_ERROR(PutSnapshot(w, stored.seq, *snapshot));
  }
  if (out != nullptr) {
    Receipt r = ReceiptFor(stored.seq, stored.append_time_ms, w.head().hash, t);
    if (const Bundle* b = tip.state.FindBundle(r.bundle)) {
      r.state = BundleStateName(b->state);
      r.weight_before = applied.weight_before;
      r.weight_after = applied.weight_after;
    }
    r.observation = applied.kind == sm::Transition::kObserve;
    out->push_back(std::move(r));
  }
  return Status::OK();
}

Status ReleaseService::MaybeCheckpoint(WriteTxn& w, TrustedTip& tip, bool* touched) {
  const SecretKey* key = options_.log_key.get();
  if (key == nullptr || options_.checkpoint_every == 0) return Status::OK();
  if (tip.state.size - tip.state.last_checkpoint_size < options_.checkpoint_every)
    return Status::OK();
  // A log key that lost its role must not fail the write it rides on: no checkpoint then.
  if (!HoldsLogRole(tip.state, key->public_key())) return Status::OK();
  DVS_ASSIGN_OR_RETURN(
      VerifiedBody vb,
      VerifiedBody::Verify(SignTransitionAt(
          *key, CheckpointTransition(tip.state, tip.frontier.Root()), ActorNow())));
  return AppendOne(w, tip, vb, nullptr, touched);
}

// Group commit, as LevelDB's DBImpl::Write: callers queue; the one at the front leads, takes the
// queue as one group, commits it in one synced transaction, and hands each caller its own result.
// The others wait, then return what the leader left them.
Result<std::vector<Receipt>> ReleaseService::Commit(const Source& make) {
  Writer me{&make};
  std::unique_lock<std::mutex> queue(queue_mu_);
  writers_.push_back(&me);
  while (!me.done && &me != writers_.front()) me.cv.wait(queue);
  if (me.done) return std::move(me.result);
  std::vector<Writer*> group;
  for (Writer* w : writers_) {
    group.push_back(w);
    if (group.size() == kMaxGroup) break;
  }
  queue.unlock();
  CommitGroup(group);
  groups_committed_.fetch_add(1, std::memory_order_relaxed);
  writers_committed_.fetch_add(group.size(), std::memory_order_relaxed);
  queue.lock();
  for (Writer* w : group) {
    DVS_ASSERT(writers_.front() == w);
    writers_.pop_front();
    w->done = true;
    if (w != &me) w->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();  // the next leader
  return std::move(me.result);
}

// Applies one writer's bodies against `tip` and appends them, all or none. A refusal is the
// writer's alone (its result); only a failure after something was written into the transaction
// (an LMDB error) is returned, failing the whole group.
Status ReleaseService::CommitWriter(WriteTxn& w, TrustedTip& tip, Writer& writer, bool* touched) {
  auto bodies = (*writer.make)(tip, w.time_ms());
  if (!bodies.ok()) {
    writer.result = bodies.status();
    return Status::OK();
  }
  std::vector<Receipt> receipts;
  if (bodies->size() > 1) {
    // All or none within the transaction: try them on a copy of the state first, so a refusal
    // of item k leaves no entry of items 0..k-1 behind.
    State trial = tip.state;
    for (size_t i = 0; i < bodies->size(); ++i) {
      Entry e;
      e.seq = w.head().size + i;
      e.append_time_ms = w.time_ms();
      e.body = (*bodies)[i].get().body;
      e.signer = (*bodies)[i].get().signer;
      if (Status st = ApplyEntry(&trial, e); !st.ok()) {
        writer.result = st.Prefixed("item " + std::to_string(i));
        return Status::OK();
      }
    }
  }
  for (size_t i = 0; i < bodies->size(); ++i) {
    bool wrote = false;
    Status st = AppendOne(w, tip, (*bodies)[i], &receipts, &wrote);
    *touched |= wrote;
    if (!st.ok()) {
      if (wrote || i > 0) return st;  // part of this writer is in the transaction: fail them all
      writer.result = st;
      return Status::OK();
    }
  }
  writer.result = std::move(receipts);
  return Status::OK();
}

void ReleaseService::CommitGroup(const std::vector<Writer*>& group) {
  // Cluster mode: a group that lost the race to the next seq catches up and is formed again.
  // Each attempt is another node's commit, so this ends unless the cluster is that busy.
  constexpr int kMaxRaces = 50;
  for (int attempt = 1;; ++attempt) {
    bool lost_race = false;
    Status st = CommitGroupOnce(group, &lost_race);
    if (lost_race) {
      st = attempt == kMaxRaces
               ? Status::Unavailable("cluster: other nodes appended first " +
                                     std::to_string(kMaxRaces) +
                                     " times in a row; nothing was written, try again")
               : log_of_record_->CatchUp().Prefixed("cluster: catching up");
      if (st.ok()) continue;
    }
    if (!st.ok()) {
      for (Writer* writer : group) writer->result = st;
    }
    return;
  }
}

Status ReleaseService::CommitGroupOnce(const std::vector<Writer*>& group, bool* lost_race) {
  std::lock_guard<std::mutex> lock(mu_);
  bool touched = false;  // the in-memory state may hold uncommitted changes
  auto head = log_->Write([&](WriteTxn& w) -> Status {
    DVS_RETURN_IF_ERROR(CatchUp(w));
    const uint64_t first = w.head().size;
    const Hash first_hash = w.head().hash;
    for (Writer* writer : group) {
      TrustedTip& tip = MutableTip();
      DVS_RETURN_IF_ERROR(CommitWriter(w, tip, *writer, &touched));
    }
    if (touched) DVS_RETURN_IF_ERROR(MaybeCheckpoint(w, MutableTip(), &touched));
    if (log_of_record_ == nullptr) return Status::OK();
    // Cluster mode: a refusal may come from a replica that lags; then catch up and judge again.
    bool refused = false;
    for (Writer* writer : group) refused = refused || !writer->result.ok();
    if (refused) {
      DVS_ASSIGN_OR_RETURN(bool behind, log_of_record_->HasMoreThan(first));
      if (behind) {
        *lost_race = true;
        return Status::Refused("cluster: this replica lags behind seq " + std::to_string(first));
      }
    }
    if (w.head().size == first) return Status::OK();
    // Cluster mode: the entries count once the log of record has them; this replica then keeps
    // them too (if this process dies now, it gets them back from the log of record).
    std::vector<std::string> formed;
    for (uint64_t seq = first; seq < w.head().size; ++seq) {
      DVS_ASSIGN_OR_RETURN(std::string raw, w.GetRaw(seq));
      formed.push_back(std::move(raw));
    }
    DVS_ASSIGN_OR_RETURN(bool committed, log_of_record_->Publish(first, first_hash, formed));
    if (!committed) {
      *lost_race = true;
      return Status::Refused("cluster: another node appended at seq " + std::to_string(first));
    }
    return Status::OK();
  });
  if (head.ok()) {
    ShareTip();
    return Status::OK();
  }
  // The commit failed, or a write inside it did: nothing of the group is in the ledger, and what
  // is in memory may be ahead of it. Rebuild it from what was committed.
  Status failed = head.status();
  if (touched) {
    Status r = Restore();
    if (!r.ok()) failed = r.Prefixed(failed.ToString() + "; then reloading failed");
    if (!r.ok()) *lost_race = false;
  }
  if (*lost_race) return Status::OK();
  return failed;
}

Result<Head> ReleaseService::AppendReplicated(uint64_t first,
                                              const std::vector<std::string>& entries) {
  std::lock_guard<std::mutex> lock(mu_);
  bool touched = false;
  auto head = log_->Write([&](WriteTxn& w) -> Status {
    DVS_RETURN_IF_ERROR(CatchUp(w));
    for (size_t i = 0; i < entries.size(); ++i) {
      const uint64_t seq = first + i;
      const std::string at = "entry " + std::to_string(seq) + " of the log of record";
      if (seq < w.head().size) {
        DVS_ASSIGN_OR_RETURN(std::string mine, w.GetRaw(seq));
        if (mine != entries[i]) {
          return Status::Corruption(at +
                                    " differs from this replica's: the replica diverged "
                                    "(was its ledger written outside the cluster?)");
        }
        continue;
      }
      if (seq > w.head().size) {
        return Status::InvalidArgument(at + " does not follow this replica's head (" +
                                       std::to_string(w.head().size) + " entries)");
      }
      auto e = Entry::Decode(entries[i]);
      if (!e.ok()) return e.status().Prefixed(at);
      if (e->seq != seq) {
        return Status::Corruption(at + " says it is entry " + std::to_string(e->seq));
      }
      DVS_RETURN_IF_ERROR(w.UseTime(e->append_time_ms).Prefixed(at));
      auto vb = VerifiedBody::Verify(SignedBody{e->body, e->signer, e->signature});
      if (!vb.ok()) return vb.status().Prefixed(at);
      DVS_RETURN_IF_ERROR(AppendOne(w, MutableTip(), *vb, nullptr, &touched).Prefixed(at));
      // Same seq, body, signer, signature and time: only the previous hash can differ, and then
      // the entry does not chain onto this replica.
      DVS_ASSIGN_OR_RETURN(std::string stored, w.GetRaw(seq));
      if (stored != entries[i]) {
        return Status::Corruption(at + " does not chain onto this replica's entry " +
                                  std::to_string(seq - 1) + ": its previous hash differs");
      }
    }
    return Status::OK();
  });
  if (!head.ok() && touched) {
    Status r = Restore();
    if (!r.ok()) return r.Prefixed(head.status().ToString() + "; then reloading failed");
  }
  if (head.ok()) ShareTip();
  return head;
}

Result<std::vector<Receipt>> ReleaseService::WriteBuilt(const SecretKey& key,
                                                        const Builder& build) {
  return Commit([&](const TrustedTip& tip, int64_t now) -> Result<std::vector<VerifiedBody>> {
    DVS_ASSIGN_OR_RETURN(std::vector<sm::Transition> ts, build(tip.state, now));
    std::vector<VerifiedBody> out;
    for (sm::Transition& t : ts) {
      DVS_ASSIGN_OR_RETURN(VerifiedBody vb,
                           VerifiedBody::Verify(SignTransitionAt(key, t, ActorNow())));
      out.push_back(std::move(vb));
    }
    return out;
  });
}

Result<std::vector<Receipt>> ReleaseService::WriteSigned(std::vector<SignedBody> bodies) {
  auto results = VerifiedBody::VerifyAll(std::move(bodies), DefaultThreads());
  std::vector<VerifiedBody> checked;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok()) return results[i].status().Prefixed("item " + std::to_string(i));
    checked.push_back(std::move(*results[i]));
  }
  return SubmitVerified(std::move(checked));
}

namespace {
// The bundle of a package of content the state already holds, else nullptr. Apply accepts such a
// package and changes nothing, so it is not worth an entry: two clients packaging the same
// manifest at once, or a cluster node whose first attempt etcd committed after all, would
// otherwise leave a second, empty package entry.
// A replayed or stale request is left to Apply, which refuses it as it refuses any other.
const Bundle* AlreadyPackaged(const State& s, const VerifiedBody& vb, int64_t now_ms) {
  auto t = ParseTransition(vb.get().body);
  if (!t.ok() || !t->has_package() || !CheckRequest(s, *t, now_ms).ok()) return nullptr;
  const Bundle* b = s.FindBundle(ReceiptBundle(*t));
  return b != nullptr && b->digest == Sha256(t->package().manifest()) ? b : nullptr;
}
}  // namespace

Result<std::vector<Receipt>> ReleaseService::SubmitVerified(std::vector<VerifiedBody> checked) {
  // Formed against the tip each time (in cluster mode a group that lost the race is formed
  // again); `held[i]`: the seq of the entry that already holds item i's content.
  std::vector<std::optional<uint64_t>> held;
  auto appended = Commit([&](const TrustedTip& tip,
                             int64_t now_ms) -> Result<std::vector<VerifiedBody>> {
    held.assign(checked.size(), std::nullopt);
    std::vector<VerifiedBody> out;
    for (size_t i = 0; i < checked.size(); ++i) {
      if (const Bundle* b = AlreadyPackaged(tip.state, checked[i], now_ms)) {
        held[i] = b->packaged_seq;
      } else {
        out.push_back(checked[i]);
      }
    }
    return out;
  });
  if (!appended.ok()) return appended.status();
  if (appended->size() == checked.size()) return appended;
  // Each item held already answers the receipt of the entry that holds it.
  std::vector<Receipt> out;
  size_t next = 0;
  for (size_t i = 0; i < checked.size(); ++i) {
    if (!held[i]) {
      out.push_back(std::move((*appended)[next++]));
      continue;
    }
    DVS_ASSIGN_OR_RETURN(std::string raw, log_->GetRaw(*held[i]));
    DVS_ASSIGN_OR_RETURN(Entry e, Entry::Decode(raw));
    DVS_ASSIGN_OR_RETURN(sm::Transition t, ParseTransition(e.body));
    Receipt r = ReceiptFor(e.seq, e.append_time_ms, LeafHash(raw), t);
    r.appended = false;
    DVS_ASSIGN_OR_RETURN(auto state, Current());
    if (const Bundle* b = state->FindBundle(r.bundle)) r.state = BundleStateName(b->state);
    out.push_back(std::move(r));
  }
  return out;
}

Result<Receipt> ReleaseService::AppendCheckpoint(const SecretKey& log_key) {
  return One(Commit([&](const TrustedTip& tip, int64_t) -> Result<std::vector<VerifiedBody>> {
    if (!HoldsLogRole(tip.state, log_key.public_key())) {
      const KeyRecord* k = tip.state.KeyOf(log_key.public_key());
      return Status::Forbidden(
          "a checkpoint needs a registered, unrevoked key with the log role; key " +
          log_key.public_key().Id() + " is " +
          (k == nullptr ? "not registered"
           : k->revoked ? "revoked"
                        : "without it"));
    }
    DVS_ASSIGN_OR_RETURN(
        VerifiedBody vb,
        VerifiedBody::Verify(SignTransitionAt(
            log_key, CheckpointTransition(tip.state, tip.frontier.Root()), ActorNow())));
    std::vector<VerifiedBody> out;
    out.push_back(std::move(vb));
    return out;
  }));
}

Result<Receipt> ReleaseService::One(Result<std::vector<Receipt>> r) {
  if (!r.ok()) return r.status();
  if (r->size() != 1) return Status::IOError("expected one receipt");
  return (*r)[0];
}

Result<Receipt> ReleaseService::SubmitSigned(SignedBody body) {
  std::vector<SignedBody> v;
  v.push_back(std::move(body));
  return One(WriteSigned(std::move(v)));
}

Result<std::vector<Receipt>> ReleaseService::SubmitBatch(std::vector<SignedBody> bodies) {
  return WriteSigned(std::move(bodies));
}

// ---- reads ----

void ReleaseService::ShareTip() {
  // Embedded mode has no wait worth avoiding, and holding the tip here would make every write
  // copy it (copy-on-write): readers there take mu_ as before.
  if (log_of_record_ == nullptr) return;
  std::lock_guard<std::mutex> l(shared_mu_);
  shared_tip_ = tip_;  // copy-on-write from now on: MutableTip sees a second owner
}

Result<std::shared_ptr<const TrustedTip>> ReleaseService::CurrentTip() {
  {
    // The committed head is read without the write lock (LMDB readers never wait); when the
    // shared tip is that very entry, it is the state to answer from.
    DVS_ASSIGN_OR_RETURN(Head head, log_->GetHead());
    std::lock_guard<std::mutex> l(shared_mu_);
    if (shared_tip_ && shared_tip_->state.size == head.size && shared_tip_->head_hash == head.hash)
      return shared_tip_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  DVS_ASSIGN_OR_RETURN(Head head, log_->GetHead());
  if (head.size > tip_->state.size) {
    DVS_RETURN_IF_ERROR(Advance(&MutableTip(), head.size, [&](uint64_t seq) {
                          return log_->GetRaw(seq);
                        }).Prefixed("catching up"));
  }
  ShareTip();
  return std::shared_ptr<const TrustedTip>(tip_);
}

Result<std::shared_ptr<const State>> ReleaseService::Current() {
  DVS_ASSIGN_OR_RETURN(auto tip, CurrentTip());
  return std::shared_ptr<const State>(tip, &tip->state);
}

}  // namespace dvs
