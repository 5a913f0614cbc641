// ReleaseService's audit side: indexed queries, time travel, reindexing.
#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "api/render/json.h"
#include "api/service/audit_index.h"
#include "api/service/release_service.h"
#include "api/service/rows.h"
#include "api/service/state_loader.h"
#include "ledger/lmdb_util.h"
#include "ledger/merkle.h"
#include "ledger/postings.h"
#include "statemachine/apply.h"
#include "statemachine/replay.h"

namespace dvs {

namespace {

// The index term that answers `q` with the fewest candidates we can tell without counting.
// Empty when no filter narrows by index.
std::string CandidateTerm(const AuditQuery& q, const std::string& actor_key) {
  if (!q.bundle.empty()) return audit::BundleTerm(q.bundle);
  if (!q.service.empty() && !q.type.empty()) return audit::ServiceTypeTerm(q.service, q.type);
  if (!q.service.empty()) return audit::ServiceTerm(q.service);
  if (!actor_key.empty()) return audit::ActorTerm(actor_key);
  if (!q.type.empty()) return audit::TypeTerm(q.type);
  return "";
}

// Judged on the row, which the entry and the state give: the index only proposes candidates.
bool Matches(const AuditQuery& q, const std::string& actor_key, const LogRow& r) {
  return (q.bundle.empty() || r.bundle == q.bundle) &&
         (q.service.empty() || r.service == q.service) && (q.type.empty() || r.kind == q.type) &&
         (actor_key.empty() || r.actor_key == actor_key) &&
         (!q.since_ms || r.time_ms >= *q.since_ms) && (!q.until_ms || r.time_ms <= *q.until_ms);
}

// InvalidArgument listing the known types when `type` names none: a typo must not read as
// "no such entries" to an auditor.
Status CheckEntryType(const std::string& type) {
  if (type.empty()) return Status::OK();
  std::string known;
  const auto* kind = sm::Transition::descriptor()->FindOneofByName("kind");
  for (int i = 0; i < kind->field_count(); ++i) {
    const char* name =
        TransitionKindName(static_cast<sm::Transition::KindCase>(kind->field(i)->number()));
    if (type == name) return Status::OK();
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  return Status::InvalidArgument("no entry type '" + type + "' (types: " + known + ")");
}

// "a, b, c" of at most ten names, then how many more.
template <typename Names>
std::string NameList(const Names& names) {
  std::string out;
  size_t n = 0;
  for (const std::string& name : names) {
    if (n++ == 10) return out + ", and " + std::to_string(names.size() - 10) + " more";
    out += (out.empty() ? "" : ", ") + name;
  }
  return out;
}

// NotFound when a filter names a service, bundle or key this ledger has never held: a typo
// must not read as "nobody did anything" to an auditor. A name that is known but matched no
// entry still answers with no rows.
Status CheckNamesKnown(const State& s, const AuditQuery& q) {
  if (!q.service.empty() && s.services.count(q.service) == 0 &&
      std::none_of(s.bundles.begin(), s.bundles.end(),
                   [&](const auto& b) { return b.second.service == q.service; })) {
    std::set<std::string> known;
    for (const auto& [id, b] : s.bundles) known.insert(b.service);
    return Status::NotFound("no service '" + q.service + "' in this ledger" +
                            (known.empty() ? std::string(" (nothing is packaged yet)")
                                           : " (services: " + NameList(known) + ")"));
  }
  if (!q.bundle.empty() && s.bundles.count(q.bundle) == 0) {
    return Status::NotFound("no bundle '" + q.bundle +
                            "' in this ledger (a bundle id is NAME_VERSION_DIGEST, as dvs "
                            "package prints it; dvs history SERVICE lists them)");
  }
  if (!q.actor.empty() && s.keys.count(q.actor) == 0 &&
      std::none_of(s.keys.begin(), s.keys.end(),
                   [&](const auto& k) { return k.second.key.Id() == q.actor; })) {
    std::vector<std::string> names;
    for (const auto& [name, k] : s.keys) names.push_back(name);
    return Status::NotFound("no key '" + q.actor +
                            "' in this ledger: --actor takes a granted key's name or id (keys: " +
                            NameList(names) + ")");
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<LogRow>> ReleaseService::Audit(const AuditQuery& q) {
  DVS_RETURN_IF_ERROR(CheckEntryType(q.type));
  if (q.first > 0 && q.last > 0) {
    return Status::InvalidArgument("first and last cannot both be given");
  }
  if (q.since_ms && q.until_ms && *q.since_ms > *q.until_ms) {
    return Status::InvalidArgument("since " + Rfc3339Time(*q.since_ms) + " is after until " +
                                   Rfc3339Time(*q.until_ms));
  }
  DVS_ASSIGN_OR_RETURN(auto s, Current());
  DVS_RETURN_IF_ERROR(CheckNamesKnown(*s, q));
  std::string actor_key;
  if (!q.actor.empty()) {
    auto it = s->keys.find(q.actor);
    actor_key = it != s->keys.end() ? it->second.key.Id() : q.actor;
  }
  // Candidate seqs, ascending: from the index, else the entries within the time range.
  std::vector<uint64_t> candidates;
  uint64_t from = 0, to = s->size;
  if (const std::string term = CandidateTerm(q, actor_key); !term.empty()) {
    DVS_RETURN_IF_ERROR(postings::Scan(*log_, audit::kIndexDb, term, [&](uint64_t seq) {
      candidates.push_back(seq);
      return Status::OK();
    }));
  } else {
    if (q.since_ms && *q.since_ms > INT64_MIN) {
      DVS_ASSIGN_OR_RETURN(from, SizeAtTime(*q.since_ms - 1));
    }
    if (q.until_ms) {
      DVS_ASSIGN_OR_RETURN(uint64_t until, SizeAtTime(*q.until_ms));
      to = std::min(to, until);
    }
    for (uint64_t seq = from; seq < to; ++seq) candidates.push_back(seq);
  }
  // Log time never decreases along the log, so a time range is a seq range: candidates outside
  // it are dropped unread (binary searches, not a record read per posting).
  while (!candidates.empty() && candidates.back() >= s->size) candidates.pop_back();
  if (!candidates.empty() && q.since_ms && *q.since_ms > INT64_MIN) {
    DVS_ASSIGN_OR_RETURN(uint64_t first, SizeAtTime(*q.since_ms - 1));
    candidates.erase(candidates.begin(),
                     std::lower_bound(candidates.begin(), candidates.end(), first));
  }
  if (!candidates.empty() && q.until_ms) {
    DVS_ASSIGN_OR_RETURN(uint64_t end, SizeAtTime(*q.until_ms));
    candidates.erase(std::lower_bound(candidates.begin(), candidates.end(), end), candidates.end());
  }
  // With q.last, newest first until enough matched, then turned back to oldest first.
  const size_t limit = q.last > 0 ? q.last : q.first;
  if (q.last > 0) std::reverse(candidates.begin(), candidates.end());
  std::vector<LogRow> rows;
  for (uint64_t seq : candidates) {
    if (limit > 0 && rows.size() == limit) break;
    DVS_ASSIGN_OR_RETURN(auto raw, log_->GetDerived(audit::kAuditDb, lmdb::BigEndian64(seq)));
    if (api::AuditRecord rec; !raw || !rec.ParseFromString(*raw)) {
      return Status::Corruption("audit record of seq " + std::to_string(seq) +
                                " is missing or malformed; run dvs reindex");
    }
    DVS_ASSIGN_OR_RETURN(Entry e, log_->Get(seq));
    DVS_ASSIGN_OR_RETURN(LogRow row, RowOf(*log_, *s, seq, e));
    if (Matches(q, actor_key, row)) rows.push_back(std::move(row));
  }
  if (q.last > 0) std::reverse(rows.begin(), rows.end());
  return rows;
}

Result<State> ReleaseService::StateAt(uint64_t size) {
  DVS_ASSIGN_OR_RETURN(Head head, log_->GetHead());
  if (size > head.size) {
    return Status::NotFound("seq " + std::to_string(size - 1) + " is beyond the ledger's " +
                            std::to_string(head.size) + " entries");
  }
  DVS_ASSIGN_OR_RETURN(TrustedTip tip, LoadTip(*log_, size));
  return std::move(tip.state);
}

Result<Hash> ReleaseService::TrustedRoot(uint64_t size) {
  DVS_ASSIGN_OR_RETURN(auto tip, CurrentTip());
  if (size == tip->state.size) return tip->frontier.Root();
  if (size > tip->state.size) {
    return Status::NotFound("the ledger holds " + std::to_string(tip->state.size) +
                            " entries, not " + std::to_string(size));
  }
  DVS_ASSIGN_OR_RETURN(TrustedTip then, LoadTip(*log_, size));
  return then.frontier.Root();
}

namespace {

std::vector<std::string> Raw(const std::vector<Hash>& hs) {
  std::vector<std::string> out;
  for (const Hash& h : hs) out.emplace_back(AsBytes(h));
  return out;
}

Status NodesDamaged(const std::string& what) {
  return Status::Corruption("the derived Merkle nodes disagree with the entries (" + what +
                            " does not verify against the root the entries give); run dvs "
                            "reindex, and dvs-verify to see which node");
}

}  // namespace

Result<InclusionProofOf> ReleaseService::ProveInclusion(uint64_t seq, uint64_t size) {
  if (seq >= size) {
    return Status::InvalidArgument("seq " + std::to_string(seq) + " is not in a tree of " +
                                   std::to_string(size) + " entries");
  }
  InclusionProofOf p{seq, size, {}, {}, {}};
  DVS_ASSIGN_OR_RETURN(p.root, TrustedRoot(size));
  DVS_ASSIGN_OR_RETURN(p.leaf, log_->LeafHashAt(seq));
  auto proof = log_->InclusionProof(seq, size);
  if (!proof.ok()) return NodesDamaged("the inclusion proof of seq " + std::to_string(seq));
  p.proof = std::move(*proof);
  if (!VerifyInclusion(seq, size, std::string(AsBytes(p.leaf)), Raw(p.proof),
                       std::string(AsBytes(p.root)))
           .ok()) {
    return NodesDamaged("the inclusion proof of seq " + std::to_string(seq) + " in " +
                        std::to_string(size) + " entries");
  }
  return p;
}

Result<ConsistencyProofOf> ReleaseService::ProveConsistency(uint64_t old_size, uint64_t new_size) {
  if (old_size == 0) {
    return Status::InvalidArgument("a consistency proof from the empty tree proves nothing");
  }
  if (old_size > new_size) {
    return Status::InvalidArgument("a consistency proof needs 0 < OLD <= NEW, not " +
                                   std::to_string(old_size) + " and " + std::to_string(new_size));
  }
  ConsistencyProofOf p{old_size, new_size, {}, {}, {}};
  DVS_ASSIGN_OR_RETURN(p.new_root, TrustedRoot(new_size));
  DVS_ASSIGN_OR_RETURN(p.old_root, TrustedRoot(old_size));
  auto proof = log_->ConsistencyProof(old_size, new_size);
  if (!proof.ok()) return NodesDamaged("the consistency proof");
  p.proof = std::move(*proof);
  if (!VerifyConsistency(old_size, new_size, std::string(AsBytes(p.old_root)),
                         std::string(AsBytes(p.new_root)), Raw(p.proof))
           .ok()) {
    return NodesDamaged("the consistency proof from " + std::to_string(old_size) + " to " +
                        std::to_string(new_size) + " entries");
  }
  return p;
}

// Bisects the entries themselves (log time never decreases along the ledger): no index to trust.
Result<uint64_t> ReleaseService::SizeAtTime(int64_t time_ms) {
  DVS_ASSIGN_OR_RETURN(Head head, log_->GetHead());
  uint64_t lo = 0, hi = head.size;  // entries below lo are at or before time_ms, from hi on after
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    DVS_ASSIGN_OR_RETURN(Entry e, log_->Get(mid));
    if (e.append_time_ms <= time_ms) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Status ReleaseService::Reindex() {
  std::lock_guard<std::mutex> lock(mu_);
  auto head = log_->Write([&](WriteTxn& w) -> Status {
    DVS_RETURN_IF_ERROR(w.ClearDerived(audit::kAuditDb));
    DVS_RETURN_IF_ERROR(w.ClearDerived(audit::kIndexDb));
    DVS_RETURN_IF_ERROR(w.ClearDerived(kSnapshotsDb));
    DVS_RETURN_IF_ERROR(w.RebuildMerkle());
    // Every derived record again, from the entries alone: audit records, index keys, and the
    // snapshot each Checkpoint entry commits to (the tip just before it).
    TrustedTip tip;
    for (uint64_t seq = 0; seq < w.head().size; ++seq) {
      DVS_ASSIGN_OR_RETURN(std::string raw, w.GetRaw(seq));
      DVS_ASSIGN_OR_RETURN(Entry e, Entry::Decode(raw));
      auto t = ParseTransition(e.body);
      if (t.ok() && t->has_checkpoint()) {
        DVS_RETURN_IF_ERROR(PutSnapshot(w, seq, EncodeTip(tip)));
      }
      Status st = Advance(
          &tip, seq + 1, [&](uint64_t) -> Result<std::string> { return raw; },
          [&](const Entry& applied_entry, const Applied& applied) {
            return audit::Put(w, seq, audit::RecordOf(applied_entry, applied));
          });
      if (!st.ok()) return st.Prefixed("reindexing seq " + std::to_string(seq));
    }
    return Status::OK();
  });
  return head.status();
}

Result<State> ReleaseService::StateAsOf(const std::string& at) {
  uint64_t size;
  if (!at.empty() && at.size() <= 19 && std::all_of(at.begin(), at.end(), ::isdigit)) {
    size = std::stoull(at) + 1;  // as of entry SEQ, included
    auto state = StateAt(size);
    // A unix time in ms given bare reads as a seq far beyond any ledger: say how to write one.
    if (state.status().IsNotFound() && at.size() >= 12) {
      return Status::NotFound(state.status().message() + " (a plain number is a seq; for unix ms " +
                              "write --at @" + at + ")");
    }
    return state;
  }
  auto t = ParseMarkedTime(at);
  if (!t.ok()) {
    return Status::InvalidArgument("--at takes a seq, an RFC 3339 time or @UNIX_MS: " +
                                   t.status().message());
  }
  DVS_ASSIGN_OR_RETURN(size, SizeAtTime(*t));
  return StateAt(size);
}

}  // namespace dvs
