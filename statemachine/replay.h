// Replay and snapshots: the state is always what replaying the log yields.
#ifndef DVS_STATEMACHINE_REPLAY_H_
#define DVS_STATEMACHINE_REPLAY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/entry.h"
#include "ledger/merkle_frontier.h"
#include "statemachine/state.h"

namespace dvs {

// Applies `entries` in order to *state (which starts empty for a full replay). On the first
// refusal returns it prefixed with "seq N"; *state then holds everything before that entry.
Status Replay(State* state, const std::vector<Entry>& entries);

// Serializes `state` with the hash of its last applied entry and, when given, the Merkle frontier
// of its entries. Deterministic: equal inputs give equal bytes, which is what the
// replay-determinism checks compare.
std::string EncodeSnapshot(const State& state, const Hash& head_hash,
                           const MerkleFrontier* frontier = nullptr);

// SHA-256 of the state's deterministic encoding (without head hash or frontier, and with each
// request-id bucket as the SHA-256 of its sorted digests): what a Checkpoint entry commits to,
// and what makes a snapshot of that state trustworthy.
Hash StateDigest(const State& state);

struct Snapshot {
  State state;
  Hash head_hash{};
  std::optional<MerkleFrontier> frontier;  // absent in a snapshot written without one
};
// Corruption naming what is wrong when the bytes are not a snapshot.
Result<Snapshot> DecodeSnapshot(std::string_view bytes);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_REPLAY_H_
