#include "api/verify/verify.h"

#include <chrono>
#include <set>
#include <unordered_map>

#include "api/service/audit_index.h"
#include "api/service/state_loader.h"
#include "ledger/checkpoint.h"
#include "ledger/lmdb_util.h"
#include "ledger/log.h"
#include "ledger/postings.h"
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

// "1 snapshot", "3 snapshots".
std::string Count(uint64_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// What the index check needs of each entry: its actor, kind, bundle and service as ids of
// interned strings (16 bytes an entry, where a record of four strings took hundreds), from which
// its index terms (audit::IndexTerms) are told.
class Postables {
 public:
  void Add(const api::AuditRecord& r) {
    actor_.push_back(Id(r.actor_key()));
    kind_.push_back(Id(r.kind()));
    bundle_.push_back(Id(r.bundle()));
    service_.push_back(Id(r.service()));
    postings_ += audit::IndexTerms(r).size();
  }
  uint64_t size() const { return actor_.size(); }
  // How many postings the entries imply.
  uint64_t postings() const { return postings_; }

  // A term (audit_index.h: tag, then parts each ended by a 0 byte) as the ids it names; nullopt
  // when it is malformed or names what no entry has.
  struct Want {
    char tag = 0;
    uint32_t first = 0, second = 0;
  };
  std::optional<Want> Parse(std::string_view term) const {
    if (term.size() < 2 || term.back() != '\0') return std::nullopt;
    Want w{term[0]};
    std::string_view body = term.substr(1, term.size() - 2);
    if (w.tag == 'S') {
      const size_t z = body.find('\0');
      if (z == std::string_view::npos) return std::nullopt;
      w.second = Find(body.substr(z + 1));
      body = body.substr(0, z);
    }
    w.first = Find(body);
    if (w.first == 0 || (w.tag == 'S' && w.second == 0)) return std::nullopt;
    return w;
  }
  // Whether entry `seq` carries the term. REQUIRES: seq < size().
  bool Carries(uint64_t seq, const Want& w) const {
    switch (w.tag) {
      case 'a':
        return actor_[seq] == w.first;
      case 't':
        return kind_[seq] == w.first;
      case 'b':
        return bundle_[seq] == w.first;
      case 's':
        return service_[seq] == w.first;
      case 'S':
        return service_[seq] == w.first && kind_[seq] == w.second;
      default:
        return false;
    }
  }

 private:
  uint32_t Id(const std::string& s) {  // 0 for ""
    if (s.empty()) return 0;
    return ids_.emplace(s, static_cast<uint32_t>(ids_.size() + 1)).first->second;
  }
  uint32_t Find(std::string_view s) const {
    auto it = ids_.find(std::string(s));
    return it == ids_.end() ? 0 : it->second;
  }

  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<uint32_t> actor_, kind_, bundle_, service_;
  uint64_t postings_ = 0;
};

class Verifier {
 public:
  Verifier(const Log& log, const VerifyOptions& opt) : log_(log), opt_(opt) {}

  VerifyReport Run() {
    const double t0 = Now();
    if (Chain() && Genesis() && Replay() && Indexes() && MerkleCount() && Checkpoints()) {
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
    // Derived data is checked only after every entry's hash, chain link and signature: say so,
    // and how to rebuild it, so that an auditor can tell a damaged index from forged history.
    if (why.rfind("derived ", 0) == 0 && why.find("dvs reindex") == std::string::npos &&
        why.find("missing") == std::string::npos) {
      report_.reason += " (every entry's hash, chain link and signature check: dvs reindex, on a "
                        "writable copy, rebuilds derived data from the entries)";
    }
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
    // Every snapshot record, wherever its key lies, must be the state a checkpoint entry at that
    // size commits to, re-derived here.
    std::set<uint64_t> snapshot_sizes;
    bool ok = true;
    Status s = log_.ScanDerived(kSnapshotsDb, "", "", [&](std::string_view k, std::string_view) {
      if (k.size() != 8) {
        ok = Bad(report_.entries - 1, "derived snapshots database holds a record under key '" +
                                          ToHex(k) + "', which is not a size");
        return Status::Refused("stop");
      }
      const uint64_t size = lmdb::ReadBigEndian64(k);
      if (size >= report_.entries) {
        ok =
            Bad(report_.entries,
                "derived state snapshot under size " + std::to_string(size) +
                    " names checkpoint entry " + std::to_string(size) + " but the ledger ends at " +
                    std::to_string(report_.entries) + " entries: entries from seq " +
                    std::to_string(report_.entries) + " on are missing, or the snapshot is forged");
        return Status::Refused("stop");
      }
      if (size == 0) {
        ok = Bad(0, "derived state snapshot under size 0: no checkpoint can commit to it");
        return Status::Refused("stop");
      }
      snapshot_sizes.insert(size);
      return Status::OK();
    });
    if (!ok) return false;
    if (!s.ok()) return Fatal(s);
    Hash head_hash{};
    s = log_.Scan(0, report_.entries, [&](uint64_t seq, std::string_view raw) -> Status {
      auto e = Entry::Decode(raw);  // checked by the chain pass
      const std::string checkpoint_root(AsBytes(frontier_.Root()));
      std::optional<std::string> want_snapshot;
      if (snapshot_sizes.count(seq) != 0) {
        want_snapshot = EncodeSnapshot(state_, head_hash, &frontier_);
      }
      Applied applied;
      auto rec = audit::ApplyAndRecord(&state_, *e, &applied);
      if (!rec.ok()) {
        ok = Bad(seq, "not allowed: " + rec.status().message());
        return Status::Refused("stop");
      }
      if (applied.kind == sm::Transition::kCheckpoint &&
          applied.checkpoint_root != checkpoint_root) {
        ok = Bad(seq,
                 "checkpoint commits to a Merkle root the entries before it do not have "
                 "(entries were removed, reordered or rewritten before it)");
        return Status::Refused("stop");
      }
      if (want_snapshot) {
        auto snap = log_.GetDerived(kSnapshotsDb, lmdb::BigEndian64(seq));
        if (!snap.ok()) return snap.status();
        if (applied.kind != sm::Transition::kCheckpoint) {
          ok = Bad(seq, "derived state snapshot under size " + std::to_string(seq) +
                            " has no checkpoint entry to commit to it (entry " +
                            std::to_string(seq) + " is a " + rec->kind() + ")");
          return Status::Refused("stop");
        }
        if (!*snap || **snap != *want_snapshot) {
          ok = Bad(seq, "derived state snapshot under size " + std::to_string(seq) +
                            " disagrees with the replayed state");
          return Status::Refused("stop");
        }
        ++snapshots_checked_;
      }
      head_hash = LeafHash(raw);
      frontier_.Append(head_hash);
      if (!rec->service().empty()) {
        // An observation changes no bundle's state: its service's routing is all it can
        // concern. Other entries re-check every bundle of their service (a release cycle's few
        // entries; a scan per observation would grow with every release the service ever had).
        Status inv = applied.kind == sm::Transition::kObserve
                         ? CheckRoutingInvariants(state_, rec->service())
                         : CheckServiceInvariants(state_, rec->service());
        if (!inv.ok()) {
          ok = Bad(seq, inv.message());
          return Status::Refused("stop");
        }
      }
      auto stored = log_.GetDerived(audit::kAuditDb, lmdb::BigEndian64(seq));
      if (!stored.ok()) return stored.status();
      if (!*stored || **stored != audit::StoredPart(*rec).SerializeAsString()) {
        ok = Bad(seq, std::string("derived audit record ") +
                          (*stored ? "disagrees with" : "is missing for") + " the entry");
        return Status::Refused("stop");
      }
      if (applied.kind == sm::Transition::kCheckpoint) ++checkpoints_checked_;
      postables_.Add(*rec);
      if ((seq + 1) % 4096 == 0) Progress("replay through Apply", seq + 1, report_.entries);
      return Status::OK();
    });
    if (!ok) return false;
    if (!s.ok()) return Fatal(s);
    Progress("replay through Apply", report_.entries, report_.entries);
    Status inv = CheckInvariants(state_);
    if (!inv.ok()) return Bad(report_.entries - 1, inv.message());
    report_.notes.push_back(
        "replay through Apply: every entry allowed, invariants hold, " +
        Count(checkpoints_checked_, "in-ledger checkpoint") +
        (checkpoints_checked_ == 1 ? " matches its root, " : " match their roots, ") +
        Count(snapshots_checked_, "snapshot") + (snapshots_checked_ == 1 ? " agrees" : " agree"));
    return true;
  }

  // Every Merkle record is one the entries imply: VerifyChain checked each expected node; here
  // nothing else may be there.
  bool MerkleCount() {
    auto found = log_.MerkleNodeCount();
    if (!found.ok()) return Fatal(found.status());
    const uint64_t n = report_.entries;
    const uint64_t expected = MerkleRecords(n);
    if (*found != expected) {
      return Bad(n - 1, "derived Merkle database holds " + std::to_string(*found) +
                            " records, the entries imply " + std::to_string(expected) +
                            " (run dvs reindex on a writable copy)");
    }
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
    // Every posting must be one its entry implies, each term's chunks in the canonical layout
    // (ledger/postings.h); then equal counts mean equal sets, since seqs ascend within a term.
    const uint64_t expected = postables_.postings();
    uint64_t found = 0;
    std::string term;      // of the chunk before
    uint64_t last = 0;     // its last seq
    size_t last_size = 0;  // and how many it held
    Status s = log_.ScanDerived(
        audit::kIndexDb, "", "", [&](std::string_view key, std::string_view value) -> Status {
          auto c = postings::DecodeChunk(key, value);
          if (!c.ok()) {
            ok = Bad(report_.entries - 1, "derived index: " + c.status().message());
            return Status::Refused("stop");
          }
          if (c->term == term && (last_size != postings::kPostingsPerChunk || c->seqs[0] <= last)) {
            ok = Bad(std::min(c->seqs[0], report_.entries - 1),
                     "derived index holds postings out of their canonical chunks");
            return Status::Refused("stop");
          }
          const auto want = postables_.Parse(c->term);
          for (uint64_t seq : c->seqs) {
            if (seq >= postables_.size()) {
              ok = BeyondTheEnd(seq);
              return Status::Refused("stop");
            }
            if (!want || !postables_.Carries(seq, *want)) {
              ok = Bad(seq, "derived index lists the entry under a term it does not carry");
              return Status::Refused("stop");
            }
          }
          found += c->seqs.size();
          term = c->term;
          last = c->seqs.back();
          last_size = c->seqs.size();
          return Status::OK();
        });
    if (!ok) return false;
    if (!s.ok()) return Fatal(s);
    if (found != expected) {
      return Bad(report_.entries - 1,
                 "derived index holds " + std::to_string(found) + " postings, the entries imply " +
                     std::to_string(expected) + " (run dvs reindex on a writable copy)");
    }
    report_.notes.push_back("audit records and " + std::to_string(found) +
                            " index postings agree with the entries");
    return true;
  }

  Result<Hash> RootFromEntries(uint64_t size) {
    MerkleFrontier f;
    DVS_RETURN_IF_ERROR(log_.Scan(0, size, [&](uint64_t, std::string_view raw) {
      f.Append(LeafHash(raw));
      return Status::OK();
    }));
    return f.Root();
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
      if (signer == nullptr && cp.size > report_.entries) {
        // A ledger cut short before its log key's grant looks like this: the key that signed the
        // checkpoint the auditor holds is among the missing entries.
        return Bad(report_.entries,
                   "entries from seq " + std::to_string(report_.entries) + " on are missing: " +
                       name + " commits to " + std::to_string(cp.size) +
                       " entries and is signed by no log key among the " +
                       std::to_string(report_.entries) +
                       " the ledger holds (the ledger was truncated, before the grant of the key "
                       "that signed it)");
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
      // The root of the first cp.size entries, recomputed from the entries' hashes.
      auto root = RootFromEntries(cp.size);
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
  MerkleFrontier frontier_;
  Postables postables_;
  uint64_t snapshots_checked_ = 0;
  uint64_t checkpoints_checked_ = 0;
};

}  // namespace

Result<VerifyReport> VerifyLedger(const std::string& dir, const VerifyOptions& options) {
  LogOptions lo;
  lo.read_only = true;
  lo.derived = {kSnapshotsDb, audit::kAuditDb, audit::kIndexDb};
  DVS_ASSIGN_OR_RETURN(auto log, Log::Open(dir, lo));
  Verifier v(*log, options);
  VerifyReport r = v.Run();
  if (!v.io_.ok()) return v.io_;
  return r;
}

}  // namespace dvs
