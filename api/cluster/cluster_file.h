// LEDGER/cluster: which cluster log (the etcd prefix) a ledger is a replica of.
//
// Written (atomically) once the ledger has joined a prefix; on every later start under
// --cluster, a different prefix is refused: joining it would seed or follow a second history
// from this replica's entries (a fork), typically from a mistyped --cluster URL. The file holds
// the prefix and a newline. Its absence (a ledger never clustered, or clustered before this file
// existed) refuses nothing.
#ifndef DVS_API_CLUSTER_CLUSTER_FILE_H_
#define DVS_API_CLUSTER_CLUSTER_FILE_H_

#include <string>

#include "ledger/status.h"

namespace dvs::cluster {

// OK when `ledger_dir` is empty, records no prefix, or records `prefix`. Refused naming both
// prefixes and the two ways out otherwise; Corruption / IOError naming the file when it cannot
// be read or does not hold a prefix.
Status CheckLedgerPrefix(const std::string& ledger_dir, const std::string& prefix);
// Records `prefix` in `ledger_dir` (nothing when `ledger_dir` is empty); IOError naming the file.
Status RecordLedgerPrefix(const std::string& ledger_dir, const std::string& prefix);

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_CLUSTER_FILE_H_
