// VerifyChain: walks a ledger and reports the first entry that does not check.
//
// For every stored entry, in order: the seq is the next one (no gap, no duplicate), the encoding is
// well formed, the entry's own seq matches its key, prev_hash is the hash of the entry before, the
// append time does not decrease, the recorded leaf check equals the recomputed hash's first
// bytes, and the signature verifies. Every stored Merkle node is
// recomputed from the entries' hashes and compared too, so a proof served later cannot rest on a
// tampered node (nodes below the stored levels are never stored: proofs hash them from the
// entries). Signatures are checked in parallel.
//
// It checks the log only: whether each signer was allowed to act is the state machine's question
// (see statemachine/ and dvs-verify).
#ifndef DVS_LEDGER_VERIFY_CHAIN_H_
#define DVS_LEDGER_VERIFY_CHAIN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ledger/log.h"
#include "ledger/parallel.h"

namespace dvs {

struct VerifyChainOptions {
  unsigned threads = DefaultThreads();
  // Entries read and checked per round; bounds memory.
  size_t chunk = 8192;
  bool check_signatures = true;
  // Called after each chunk with (entries checked so far, total entries).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct ChainProblem {
  uint64_t seq = 0;
  std::string reason;
  std::string ToString() const { return "seq " + std::to_string(seq) + ": " + reason; }
};

struct ChainReport {
  uint64_t entries = 0;                 // entries that checked, i.e. the valid prefix
  Hash head_hash{};                     // hash of the last valid entry
  std::optional<ChainProblem> problem;  // the first bad entry, if any
  bool ok() const { return !problem.has_value(); }
};

// Returns the report; a non-OK Status only when the ledger cannot be read at all.
Result<ChainReport> VerifyChain(const Log& log, const VerifyChainOptions& options = {});

}  // namespace dvs

#endif  // DVS_LEDGER_VERIFY_CHAIN_H_
