// The state digest of a snapshot record, derived from the record's own bytes.
//
// Opening a ledger trusts a snapshot only if its state's digest is the one a signed Checkpoint
// commits to (api/service/state_loader.h). StateDigest(state) encodes the whole state again,
// every bundle's manifest included: most of an open at 10M entries. A record EncodeSnapshot wrote
// is already that encoding, except for three fields, so this hashes the record's bytes as they
// stand and rewrites only those: the head hash (zeros in the digest), the request-id buckets
// (their digests' SHA-256, which decoding computed) and the Merkle frontier (left out).
//
// Soundness: the result equals a checkpoint's digest only if the rewritten bytes are exactly
// StateDigest's encoding of the committed state. Every byte outside the three fields is then
// the committed encoding, the buckets are the decoded ones, and the decoded state is what
// decoding the committed encoding gives: the committed state. For any other record (hand-edited,
// or written by an older encoder) it is some other value, and the caller falls back to
// StateDigest(decoded.state) before refusing it.
#ifndef DVS_STATEMACHINE_SNAPSHOT_DIGEST_H_
#define DVS_STATEMACHINE_SNAPSHOT_DIGEST_H_

#include <string_view>

#include "ledger/hash.h"
#include "statemachine/replay.h"

namespace dvs {

// `decoded` must be DecodeSnapshot(record). Equal to StateDigest(decoded.state) when `record` is
// EncodeSnapshot's encoding of it.
Hash RecordStateDigest(std::string_view record, const Snapshot& decoded);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_SNAPSHOT_DIGEST_H_
