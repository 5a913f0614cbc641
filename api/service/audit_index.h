// Internal: the audit records and indexes the write path keeps beside every entry, and that
// queries, reindexing and dvs-verify read.
//
// Derived databases (all rebuildable from the entries alone):
//   audit   seq (8-byte BE) -> AuditRecord
//   index   'b' bundle 0 seq | 's' service 0 seq | 'S' service 0 type 0 seq | 'a' key id 0 seq |
//           't' type 0 seq | 'T' time seq        (seq and time 8-byte BE; values empty)
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

// The index keys of one entry.
std::vector<std::string> IndexKeys(uint64_t seq, const api::AuditRecord& r);
// Writes the record and its index keys in `w`.
Status Put(WriteTxn& w, uint64_t seq, const api::AuditRecord& r);

// Key prefixes for lookups: every key of an index family starts with the prefix.
std::string BundlePrefix(const std::string& bundle);
std::string ServicePrefix(const std::string& service);
std::string ServiceTypePrefix(const std::string& service, const std::string& type);
std::string ActorPrefix(const std::string& key_id);
std::string TypePrefix(const std::string& type);
// 'T' keys for a time: all entries at time t sort between TimeKey(t, 0) and TimeKey(t, max).
std::string TimeKey(int64_t time_ms, uint64_t seq);
// The seq at the end of an index key.
uint64_t SeqOfKey(std::string_view key);
// The smallest string greater than every string with this prefix.
std::string PrefixEnd(std::string prefix);

}  // namespace dvs::audit

#endif  // DVS_API_SERVICE_AUDIT_INDEX_H_
