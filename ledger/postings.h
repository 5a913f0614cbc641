// Postings: for each term, the ascending list of seqs that carry it, kept in a derived database as
// delta-encoded chunks, so that an index costs a byte or two per (term, entry) instead of one
// LMDB key each.
//
// Layout (part of the persistent format: do not change):
//   key    term || first seq of the chunk (8-byte big-endian)
//   value  the chunk's other seqs, each as the LEB128 varint of its distance from the one before
// A chunk holds at most kPostingsPerChunk seqs; a term's next seq opens a new chunk once its last
// chunk is full. The layout is therefore a function of the (term, seq) pairs alone, and a verifier
// can re-derive it exactly.
//
// REQUIRES of callers: terms are prefix-free (no term is a prefix of another; ending each term with
// a separator that cannot occur inside it does it), and seqs are added in increasing order per
// term.
//
// Derived data: a reader gets candidates to check against the entries, never facts.
#ifndef DVS_LEDGER_POSTINGS_H_
#define DVS_LEDGER_POSTINGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/log.h"
#include "ledger/status.h"

namespace dvs::postings {

inline constexpr size_t kPostingsPerChunk = 64;

// Adds `seq` under `term` in derived database `db`. InvalidArgument unless seq is greater than
// every seq already under the term; Corruption when the term's last chunk does not decode.
Status Add(WriteTxn& w, const std::string& db, std::string_view term, uint64_t seq);

// Calls fn(seq) for every seq under `term`, ascending; stops at fn's first non-OK status.
// Corruption (naming the database) when a chunk does not decode or seqs do not ascend.
Status Scan(const Log& log, const std::string& db, std::string_view term,
            const std::function<Status(uint64_t)>& fn);

// One stored chunk decoded: the term, and its seqs. For verifiers walking the whole database.
struct Chunk {
  std::string_view term;
  std::vector<uint64_t> seqs;
};
// Decodes one record. Corruption when the key is shorter than a seq, the value is not a sequence
// of positive varint distances, or the chunk holds more than kPostingsPerChunk seqs.
Result<Chunk> DecodeChunk(std::string_view key, std::string_view value);

}  // namespace dvs::postings

#endif  // DVS_LEDGER_POSTINGS_H_
