// VerifyLedger: prove, or disprove, from a copy of a ledger and nothing else, that it is intact and
// that every decision in it was allowed. What dvs-verify runs.
//
// Checks, in order; the first failure names its seq and why:
//   1. the log: contiguous seqs, the hash chain, append times, Merkle nodes, every signature
//      (in parallel across cores)                                        (ledger/verify_chain.h)
//   2. genesis against a pinned root public key, when given
//   3. a full replay through Apply: roles, revocations, approvals, every release rule, and every
//      automatic decision re-derived from the evidence it cites; the invariants of DESIGN.md after
//      every entry
//   4. derived data agrees with the entries: audit records, indexes, state snapshots
//   5. each checkpoint: signed by a key holding the log role, same origin, and the ledger is
//      consistent with it (a shorter ledger was truncated; another root is a fork or a rewrite)
// The ledger is opened read-only and never written.
#ifndef DVS_API_VERIFY_H_
#define DVS_API_VERIFY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger/keys.h"
#include "ledger/status.h"

namespace dvs {

struct VerifyOptions {
  std::optional<PublicKey> root_pub;  // pin genesis to this root key
  // (file name, note text) of each checkpoint to check against.
  std::vector<std::pair<std::string, std::string>> checkpoints;
  unsigned threads = 0;  // 0: all cores
  // Called as work advances: (phase, done, total).
  std::function<void(const char*, uint64_t, uint64_t)> progress;
};

struct VerifyReport {
  bool valid = true;
  uint64_t entries = 0;  // entries in the ledger
  std::optional<uint64_t> first_bad_seq;
  std::string reason;              // why, when invalid
  std::vector<std::string> notes;  // what was checked (checkpoints, derived data)
  double signature_seconds = 0;    // time of phase 1
  double total_seconds = 0;
};

// A non-OK Status only when the ledger cannot be read at all (exit 1 in dvs-verify); an invalid
// ledger is a valid report with valid == false (exit 3).
Result<VerifyReport> VerifyLedger(const std::string& dir, const VerifyOptions& options);

}  // namespace dvs

#endif  // DVS_API_VERIFY_H_
