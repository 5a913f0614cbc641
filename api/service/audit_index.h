// Internal: the audit records and indexes the write path keeps beside every entry, and that
// queries, reindexing and dvs-verify read.
//
// Derived databases (all rebuildable from the entries alone):
//   audit   seq (8-byte BE) -> the AuditRecord fields the entry does not hold (StoredPart): the
//           weights before and after; the rest (kind, actor, time, bundle, service) is read
//           from the entry and the state when a row is made
//   index   postings (ledger/postings.h) under the terms 'b' bundle 0 | 's' service 0 |
//           'S' service 0 type 0 | 'a' key id 0 | 't' type 0. There is no time index: log time
//           never decreases along the ledger, so a time is found by bisecting the entries.
#ifndef DVS_API_SERVICE_AUDIT_INDEX_H_
#define DVS_API_SERVICE_AUDIT_INDEX_H_

#include <string>
#include <vector>

#include "api/service/audit.pb.h"
#include "ledger/log.h"
#include "statemachine/apply.h"
#include "statemachine/state.h"

namespace dvs::audit {

inline constexpr const char* kAuditDb = "audit";
inline constexpr const char* kIndexDb = "index";

// Applies `e` to *s (as ApplyEntry) and returns the entry's audit record; *applied, when given,
// gets what Apply reported.
Result<api::AuditRecord> ApplyAndRecord(State* s, const Entry& e, Applied* applied = nullptr);
// The audit record of an entry from what Apply reported of it.
api::AuditRecord RecordOf(const Entry& e, const Applied& a);

// What the audit database keeps of a full record: the weights. Everything else is recomputed
// from the entry when read.
api::AuditRecord StoredPart(const api::AuditRecord& r);
// The index terms of one entry (prefix-free, as postings require).
std::vector<std::string> IndexTerms(const api::AuditRecord& r);
// Writes the record's stored part and the entry's postings in `w`. REQUIRES: seq is above every
// seq already written (the write path and reindex append in order).
Status Put(WriteTxn& w, uint64_t seq, const api::AuditRecord& r);

// The terms, for lookups.
std::string BundleTerm(const std::string& bundle);
std::string ServiceTerm(const std::string& service);
std::string ServiceTypeTerm(const std::string& service, const std::string& type);
std::string ActorTerm(const std::string& key_id);
std::string TypeTerm(const std::string& type);

}  // namespace dvs::audit

#endif  // DVS_API_SERVICE_AUDIT_INDEX_H_
