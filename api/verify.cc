#include "dvs/verify.h"

#include <chrono>
#include <set>

#include "api/audit_index.h"
#include "ledger/checkpoint.h"
#include "ledger/lmdb_util.h"
#include "ledger/log.h"
#include "ledger/verify_chain.h"
#include "statemachine/apply.h"
#include "statemachine/invariants.h"
#include "statemachine/replay.h"

namespace dvs {

namespace {

double Now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

class Verifier {
 public:
  Verifier(const Log& log, const VerifyOptions& opt) : log_(log), opt_(opt) {}

  VerifyReport Run() {
    const double t0 = Now();
    if (Chain() && Genesis() && Replay() && Indexes() && Checkpoints()) {
      report_.notes.push_back("all " + std::to_string(report_.entries) + " entries verified");
    }
    report_.total_seconds = Now() - t0;
    return report_;
  }

 private:
  bool Bad(uint64_t seq, const std::string& why) {
    report_.valid = false;
    report_.first_bad_seq = seq;
    report_.reason = why;
    return false;
  }
  bool Fatal(const Status& s) {
    io_ = s;
    return false;
  }
  void Progress(const char* phase, uint64_t done, uint64_t total) {
    if (opt_.progress) opt_.progress(phase, done, total);
  }

  bool Chain() {
    const double t0 = Now();
    VerifyChainOptions vo;
    if (opt_.threads > 0) vo.threads = opt_.threads;
    vo.progress = [&](uint64_t d, uint64_t t) { Progress("signatures and chain", d, t); };
    auto r = VerifyChain(log_, vo);
    report_.signature_seconds = Now() - t0;
    if (!r.ok()) return Fatal(r.status());
    report_.entries = r->entries;
    if (!r->ok()) return Bad(r->problem->seq, r->problem->reason);
    return true;
  }

  bool Genesis() {
    if (report_.entries == 0) return Bad(0, "the ledger is empty: no genesis");
    if (!opt_.root_pub) return true;
    auto e = log_.Get(0);
    if (!e.ok()) return Fatal(e.status());
    if (!(e->signer == *opt_.root_pub)) {
      return Bad(0, "genesis is signed by key " + e->signer.Id() + ", not the pinned root " +
                        opt_.root_pub->Id());
    }
    report_.notes.push_back("genesis is signed by the pinned root key " + opt_.root_pub->Id());
    return true;
  }

  bool Replay() {
    std::set<uint64_t> snapshot_sizes;
    Status s = log_.ScanDerived("snapshots", "", "", [&](std::string_view k, std::string_view) {
      if (k.size() == 8) snapshot_sizes.insert(lmdb::ReadBigEndian64(k));
      return Status::OK();
    });
    if (!s.ok()) return Fatal(s);
    records_.reserve(report_.entries);
    bool ok = true;
    s = log_.Scan(0, report_.entries, [&](uint64_t seq, std::string_view raw) -> Status {
      auto e = Entry::Decode(raw);  // checked by the chain pass
      auto rec = audit::ApplyAndRecord(&state_, *e);
      if (!rec.ok()) {
        ok = Bad(seq, "not allowed: " + rec.status().message());
        return Status::Refused("stop");
      }
      if (!rec->service().empty()) {
        Status inv = CheckServiceInvariants(state_, rec->service());
        if (!inv.ok()) {
          ok = Bad(seq, inv.message());
          return Status::Refused("stop");
        }
      }
      auto stored = log_.GetDerived(audit::kAuditDb, lmdb::BigEndian64(seq));
      if (!stored.ok()) return stored.status();
      if (!*stored || **stored != rec->SerializeAsString()) {
        ok = Bad(seq, std::string("derived audit record ") +
                          (*stored ? "disagrees with" : "is missing for") + " the entry");
        return Status::Refused("stop");
      }
      records_.push_back(std::move(*rec));
      if (snapshot_sizes.count(seq + 1) != 0) {
        auto snap = log_.GetDerived("snapshots", lmdb::BigEndian64(seq + 1));
        auto leaf = log_.LeafHashAt(seq);
        if (!snap.ok() || !leaf.ok()) return !snap.ok() ? snap.status() : leaf.status();
        if (!*snap || **snap != EncodeSnapshot(state_, *leaf)) {
          ok = Bad(seq, "derived state snapshot at size " + std::to_string(seq + 1) +
                            " disagrees with the replayed state");
          return Status::Refused("stop");
        }
        ++snapshots_checked_;
      }
      if ((seq + 1) % 4096 == 0) Progress("replay through Apply", seq + 1, report_.entries);
      return Status::OK();
    });
    if (!ok) return false;
    if (!s.ok()) return Fatal(s);
    Progress("replay through Apply", report_.entries, report_.entries);
    Status inv = CheckInvariants(state_);
    if (!inv.ok()) return Bad(report_.entries - 1, inv.message());
    report_.notes.push_back("replay through Apply: every entry allowed, invariants hold, " +
                            std::to_string(snapshots_checked_) + " snapshots agree");
    return true;
  }

  // Derived data that refers to a seq past the last entry: entries were cut off the end.
  bool BeyondTheEnd(uint64_t seq) {
    return Bad(report_.entries, "derived data refers to seq " + std::to_string(seq) +
                                    " but the ledger ends at " + std::to_string(report_.entries) +
                                    " entries: entries from seq " +
                                    std::to_string(report_.entries) + " on are missing");
  }

  bool Indexes() {
    // Audit records past the end first: the most direct sign of a cut-off tail.
    bool ok = true;
    Status tail = log_.ScanDerived(audit::kAuditDb, lmdb::BigEndian64(report_.entries), "",
                                   [&](std::string_view key, std::string_view) -> Status {
                                     ok = BeyondTheEnd(lmdb::ReadBigEndian64(key));
                                     return Status::Refused("stop");
                                   });
    if (!ok) return false;
    if (!tail.ok()) return Fatal(tail);
    uint64_t expected = 0;
    for (uint64_t seq = 0; seq < records_.size(); ++seq)
      expected += audit::IndexKeys(seq, records_[seq]).size();
    uint64_t found = 0;
    Status s = log_.ScanDerived(
        audit::kIndexDb, "", "", [&](std::string_view key, std::string_view) -> Status {
          ++found;
          const uint64_t seq = key.size() >= 9 ? audit::SeqOfKey(key) : UINT64_MAX;
          if (seq != UINT64_MAX && seq >= records_.size()) {
            ok = BeyondTheEnd(seq);
            return Status::Refused("stop");
          }
          bool known = false;
          if (seq < records_.size()) {
            for (const std::string& k : audit::IndexKeys(seq, records_[seq])) known |= k == key;
          }
          if (!known) {
            ok = Bad(std::min<uint64_t>(seq, report_.entries - 1),
                     "derived index holds a key no entry implies");
            return Status::Refused("stop");
          }
          return Status::OK();
        });
    if (!ok) return false;
    if (!s.ok()) return Fatal(s);
    if (found != expected) {
      return Bad(report_.entries - 1, "derived index holds " + std::to_string(found) +
                                          " keys, the entries imply " + std::to_string(expected) +
                                          " (run dvs reindex on a writable copy)");
    }
    report_.notes.push_back("audit records and " + std::to_string(found) +
                            " index keys agree with the entries");
    return true;
  }

  bool Checkpoints() {
    for (const auto& [name, text] : opt_.checkpoints) {
      auto c = ParseCheckpoint(text);
      if (!c.ok()) return Fatal(c.status().Prefixed(name));
      const Checkpoint& cp = c->checkpoint;
      if (cp.origin != state_.ledger_name) {
        return Fatal(Status::InvalidArgument(name + " is a checkpoint of '" + cp.origin +
                                             "', not of '" + state_.ledger_name + "'"));
      }
      const KeyRecord* signer = nullptr;
      for (const auto& [key_name, k] : state_.keys) {
        if (Has(k.roles, Role::kLog) && VerifyCheckpoint(*c, key_name, k.key).ok()) signer = &k;
      }
      if (signer == nullptr) {
        return Fatal(
            Status::Refused(name + " is not signed by any key with the log role in this ledger"));
      }
      if (cp.size > report_.entries) {
        return Bad(report_.entries, "entries from seq " + std::to_string(report_.entries) +
                                        " on are missing: " + name + " commits to " +
                                        std::to_string(cp.size) +
                                        " entries (the ledger was truncated)");
      }
      auto root = log_.Root(cp.size);
      if (!root.ok()) return Fatal(root.status());
      if (*root != cp.root) {
        return Bad(cp.size == 0 ? 0 : cp.size - 1,
                   "the first " + std::to_string(cp.size) + " entries do not match " + name +
                       " (history was rewritten or forked before that point)");
      }
      report_.notes.push_back(name + ": signed by '" + signer->name + "', size " +
                              std::to_string(cp.size) + ", consistent");
    }
    return true;
  }

 public:
  Status io_;

 private:
  const Log& log_;
  const VerifyOptions& opt_;
  VerifyReport report_;
  State state_;
  std::vector<api::AuditRecord> records_;
  uint64_t snapshots_checked_ = 0;
};

}  // namespace

Result<VerifyReport> VerifyLedger(const std::string& dir, const VerifyOptions& options) {
  LogOptions lo;
  lo.read_only = true;
  lo.derived = {"snapshots", audit::kAuditDb, audit::kIndexDb};
  DVS_ASSIGN_OR_RETURN(auto log, Log::Open(dir, lo));
  Verifier v(*log, options);
  VerifyReport r = v.Run();
  if (!v.io_.ok()) return v.io_;
  return r;
}

}  // namespace dvs
