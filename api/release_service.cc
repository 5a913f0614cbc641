#include "dvs/release_service.h"

#include <sodium.h>

#include <chrono>

#include "api/audit_index.h"
#include "ledger/lmdb_util.h"
#include "ledger/parallel.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/replay.h"

namespace dvs {

namespace {

constexpr const char* kSnapshots = "snapshots";

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

ServiceOptions WithDerived(ServiceOptions o) {
  o.log.derived.push_back(kSnapshots);
  o.log.derived.push_back(audit::kAuditDb);
  o.log.derived.push_back(audit::kIndexDb);
  return o;
}

// Makes the state writable: copies it first when a reader still holds the current version.
State& Mutable(std::shared_ptr<State>& s) {
  if (s.use_count() > 1) s = std::make_shared<State>(*s);
  return *s;
}

}  // namespace

std::string NewRequestId() {
  unsigned char r[16];
  randombytes_buf(r, sizeof(r));
  return ToHex(std::string_view(reinterpret_cast<char*>(r), sizeof(r)));
}

SignedBody SignTransition(const SecretKey& key, sm::Transition t) {
  t.set_request_id(NewRequestId());
  t.set_actor_time_ms(WallMs());
  return SignedBody::Sign(key, t.SerializeAsString());
}

// ---- opening ----

Result<std::unique_ptr<ReleaseService>> ReleaseService::Init(const std::string& dir,
                                                             const SecretKey& root,
                                                             const std::string& ledger_name,
                                                             const ServiceOptions& options) {
  DVS_RETURN_IF_ERROR(CheckName("ledger name", ledger_name));
  std::unique_ptr<ReleaseService> svc(new ReleaseService());
  svc->options_ = WithDerived(options);
  DVS_ASSIGN_OR_RETURN(svc->log_, Log::Create(dir, svc->options_.log));
  svc->state_ = std::make_shared<State>();
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

Status ReleaseService::Restore() {
  auto state = std::make_shared<State>();
  last_snapshot_size_ = 0;
  DVS_ASSIGN_OR_RETURN(auto last, log_->LastDerived(kSnapshots));
  if (last) {
    auto snap = DecodeSnapshot(last->second);
    // A snapshot counts only if it matches the log's own hash at its seq; else replay it all.
    if (snap.ok() && snap->state.size > 0) {
      auto leaf = log_->LeafHashAt(snap->state.size - 1);
      if (leaf.ok() && *leaf == snap->head_hash) {
        *state = std::move(snap->state);
        last_snapshot_size_ = state->size;
      }
    }
  }
  DVS_RETURN_IF_ERROR(log_->Scan(state->size, UINT64_MAX, [&](uint64_t seq, std::string_view raw) {
    auto e = Entry::Decode(raw);
    if (!e.ok()) return e.status().Prefixed("entry " + std::to_string(seq));
    Status applied = ApplyEntry(state.get(), *e);
    return applied.ok() ? applied : applied.Prefixed("replaying seq " + std::to_string(seq));
  }));
  state_ = std::move(state);
  return Status::OK();
}

// ---- the write path ----

namespace {

// Applies one verified body to `s` as the next entry of `w` and appends it; the receipt goes to
// `out`. On a refusal nothing is appended and `s` is unchanged; once Apply has changed `s`,
// *touched is set, so that a later failure knows to rebuild the state.
Status ApplyAndAdd(WriteTxn& w, State& s, const VerifiedBody& vb, std::vector<Receipt>* out,
                   bool* touched) {
  Entry e;
  e.seq = w.head().size;
  e.append_time_ms = w.time_ms();
  e.body = vb.get().body;
  e.signer = vb.get().signer;
  DVS_ASSIGN_OR_RETURN(api::AuditRecord record, audit::ApplyAndRecord(&s, e));
  *touched = true;
  DVS_ASSIGN_OR_RETURN(Entry stored, w.Add(vb));
  DVS_RETURN_IF_ERROR(audit::Put(w, stored.seq, record));
  auto t = ParseTransition(stored.body);  // parsed by Apply already: cannot fail here
  out->push_back(Receipt{stored.seq, stored.append_time_ms, w.head().hash, t->request_id(),
                         TransitionName(*t), BundleOfTransition(*t)});
  return Status::OK();
}

}  // namespace

Status ReleaseService::CatchUp(const WriteTxn* txn) {
  State& s = Mutable(state_);
  for (uint64_t seq = s.size; seq < txn->head().size; ++seq) {
    DVS_ASSIGN_OR_RETURN(Entry e, txn->Get(seq));
    DVS_RETURN_IF_ERROR(ApplyEntry(&s, e).Prefixed("catching up at seq " + std::to_string(seq)));
  }
  return Status::OK();
}

Result<std::vector<Receipt>> ReleaseService::WriteBuilt(const SecretKey& key,
                                                        const Builder& build) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Receipt> receipts;
  bool touched = false;  // the in-memory state may hold uncommitted changes
  bool snapshotted = false;
  auto head = log_->Write([&](WriteTxn& w) -> Status {
    DVS_RETURN_IF_ERROR(CatchUp(&w));
    DVS_ASSIGN_OR_RETURN(std::vector<sm::Transition> ts, build(*state_, w.time_ms()));
    State& s = Mutable(state_);
    for (sm::Transition& t : ts) {
      DVS_ASSIGN_OR_RETURN(VerifiedBody vb, VerifiedBody::Verify(SignTransition(key, t)));
      DVS_RETURN_IF_ERROR(ApplyAndAdd(w, s, vb, &receipts, &touched));
    }
    return touched ? MaybeSnapshot(w, s, &snapshotted) : Status::OK();
  });
  if (!head.ok()) {
    // A later item of a batch was refused, or the commit failed: what is in memory may be ahead
    // of the ledger. Rebuild it from what was committed.
    if (touched) {
      Status r = Restore();
      if (!r.ok()) return r.Prefixed(head.status().ToString() + "; then reloading failed");
    }
    return head.status();
  }
  if (snapshotted) last_snapshot_size_ = head->size;
  return receipts;
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

Result<std::vector<Receipt>> ReleaseService::SubmitVerified(std::vector<VerifiedBody> checked) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Receipt> receipts;
  bool touched = false;
  bool snapshotted = false;
  auto head = log_->Write([&](WriteTxn& w) -> Status {
    DVS_RETURN_IF_ERROR(CatchUp(&w));
    State& s = Mutable(state_);
    for (size_t i = 0; i < checked.size(); ++i) {
      Status st = ApplyAndAdd(w, s, checked[i], &receipts, &touched);
      if (!st.ok()) return checked.size() > 1 ? st.Prefixed("item " + std::to_string(i)) : st;
    }
    return MaybeSnapshot(w, s, &snapshotted);
  });
  if (!head.ok()) {
    if (touched) DVS_RETURN_IF_ERROR(Restore());
    return head.status();
  }
  if (snapshotted) last_snapshot_size_ = head->size;
  return receipts;
}

Status ReleaseService::MaybeSnapshot(WriteTxn& w, const State& s, bool* written) {
  const uint64_t size = w.head().size;
  if (size - last_snapshot_size_ < std::max(options_.snapshot_every, size / 10))
    return Status::OK();
  DVS_RETURN_IF_ERROR(
      w.PutDerived(kSnapshots, lmdb::BigEndian64(size), EncodeSnapshot(s, w.head().hash)));
  *written = true;
  return Status::OK();
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

Result<std::shared_ptr<const State>> ReleaseService::Current() {
  std::lock_guard<std::mutex> lock(mu_);
  DVS_ASSIGN_OR_RETURN(Head head, log_->GetHead());
  if (head.size > state_->size) {
    State& s = Mutable(state_);
    DVS_RETURN_IF_ERROR(log_->Scan(s.size, head.size, [&](uint64_t seq, std::string_view raw) {
      auto e = Entry::Decode(raw);
      if (!e.ok()) return e.status().Prefixed("entry " + std::to_string(seq));
      return ApplyEntry(&s, *e).Prefixed("catching up at seq " + std::to_string(seq));
    }));
  }
  return std::shared_ptr<const State>(state_);
}

}  // namespace dvs
