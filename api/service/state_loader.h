// The state loader: the one place that turns a ledger into a state it can trust.
//
// Only `entries` is the truth; everything else in the file may have been written by someone who
// holds no key. A TrustedTip is therefore built from exactly two sources:
//   - entries, read and hashed (the head hash is the hash of the last entry's bytes, the Merkle
//     frontier is built from the entries' hashes, the state from Apply), and
//   - a snapshot record of the derived `snapshots` database, but only once a Checkpoint entry at
//     the snapshot's size, signed by a key the snapshot's own state holds with the log role,
//     commits to that state's digest and to that frontier's root. (The state digest binds the key
//     list too, so a snapshot that invents a log key cannot match the real commitment.)
// A snapshot that fails any check is skipped, with the reason recorded, and the loader falls back
// to an older one or to genesis. Every Checkpoint entry in the replayed suffix has its root
// checked against the frontier. Nothing is written.
//
// Cost: one snapshot decode and digest, plus Apply and one SHA-256 per entry after it; with a
// log key that checkpoints every N entries, independent of the ledger's size. Without any
// checkpoint it replays from genesis.
#ifndef DVS_API_SERVICE_STATE_LOADER_H_
#define DVS_API_SERVICE_STATE_LOADER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/log.h"
#include "ledger/merkle_frontier.h"
#include "statemachine/apply.h"
#include "statemachine/state.h"

namespace dvs {

inline constexpr const char* kSnapshotsDb = "snapshots";

// The state after the first `state.size` entries, with what an append or a signature needs.
struct TrustedTip {
  State state;
  MerkleFrontier frontier;  // over the same entries: frontier.size() == state.size
  Hash head_hash{};         // hash of entry state.size - 1; zero when empty
};

// What loading found, for reports and tests.
struct LoadReport {
  uint64_t snapshot_size = 0;         // size of the snapshot used; 0 when replayed from genesis
  std::vector<std::string> rejected;  // "snapshot at size N: why", one per snapshot skipped
};

// Reads entry `seq`'s stored bytes.
using RawReader = std::function<Result<std::string>(uint64_t seq)>;

// The trusted tip after the first `size` entries of `log`. NotFound when size is past the head.
Result<TrustedTip> LoadTip(const Log& log, uint64_t size, LoadReport* report = nullptr);

// Checks the snapshot `record` stored under size `size` against the entries (see above); the tip
// it gives, or Corruption naming the first check that failed. *state_digest (when given) is set
// to the digest of the tip's state it derived (the one the checkpoint commits to).
Result<TrustedTip> CheckSnapshot(uint64_t size, std::string_view record, const RawReader& read,
                                 Hash* state_digest = nullptr);

// Advances *tip through entries [tip->size, to), read with `read`: checks each entry's seq and
// prev_hash, applies it, extends the frontier, and checks each Checkpoint's root. For each entry
// `each(seq, entry, applied)` is called when given. `start_digest`, when given, is
// StateDigest(tip->state) as it stands (CheckSnapshot's): the first entry, the checkpoint that
// committed to it, is checked against it instead of deriving it again. On error *tip may be
// partly advanced.
Status Advance(TrustedTip* tip, uint64_t to, const RawReader& read,
               const std::function<Status(const Entry&, const Applied&)>& each = nullptr,
               const Hash* start_digest = nullptr);

// The snapshot record of a tip, as the write path stores it under key `tip.state.size`.
std::string EncodeTip(const TrustedTip& tip);

// Snapshots kept: the newest, and the newest of every earlier span of kSnapshotSpan entries, so
// that they cost a few bytes per entry while time travel replays at most about one span.
inline constexpr uint64_t kSnapshotSpan = 16384;
// Stores `record` under `size` (the seq of the checkpoint entry that commits to it) and removes
// the snapshot before it when that one is not the last of its span. The write path and reindex
// both store through here, so both keep the same snapshots.
Status PutSnapshot(WriteTxn& w, uint64_t size, std::string_view record);

}  // namespace dvs

#endif  // DVS_API_SERVICE_STATE_LOADER_H_
