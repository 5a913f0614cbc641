// A batch of stored entries as one byte string: each entry's exact stored bytes prefixed by its
// length (4 bytes, big-endian), repeated. Cluster mode stores one committed batch per etcd key in
// it (api/cluster/etcd_log.h), and GET /v1/entries answers in it (a peer's copy of the log, for
// a node that bootstraps). Part of the persistent format: do not change.
#ifndef DVS_LEDGER_ENTRY_BATCH_H_
#define DVS_LEDGER_ENTRY_BATCH_H_

#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace dvs {

std::string EncodeBatch(const std::vector<std::string>& entries);
// Appends one entry's record to `out`.
void AppendToBatch(std::string* out, std::string_view entry);
// The entries of `value`, in order. Corruption on a cut length, an entry that runs past the end,
// or no entry at all (an empty batch is never written).
Result<std::vector<std::string>> DecodeBatch(std::string_view value);

}  // namespace dvs

#endif  // DVS_LEDGER_ENTRY_BATCH_H_
