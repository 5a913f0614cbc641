// Checkpoint: a log-role key commits, inside the log, to the Merkle root of every entry before it
// and to the digest of the state those entries replay to. The digest is checked here, against the
// state itself, so no key can commit the log to a state it does not replay to; the root needs the
// entries' hashes, which Apply does not see: the write path and dvs-verify check it.
#include "statemachine/apply_internal.h"
#include "statemachine/replay.h"

namespace dvs::apply {

Status Checkpoint(State& s, const Ctx& c, const sm::Checkpoint& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kLog, "a checkpoint"));
  if (m.size() != c.seq) {
    return Status::Refused("a checkpoint at seq " + std::to_string(c.seq) + " must commit to the " +
                           std::to_string(c.seq) + " entries before it, not " +
                           std::to_string(m.size()));
  }
  if (m.root().size() != kHashSize) return Status::InvalidArgument("root must be 32 bytes");
  if (m.state_digest().size() != kHashSize) {
    return Status::InvalidArgument("state_digest must be 32 bytes");
  }
  const Hash digest = c.state_digest != nullptr ? *c.state_digest : StateDigest(s);
  if (m.state_digest() != AsBytes(digest)) {
    return Status::Refused("the checkpoint's state digest " +
                           ToHex(m.state_digest()).substr(0, 16) +
                           " is not the digest of the state its entries replay to (" +
                           ToHex(digest).substr(0, 16) + ")");
  }
  s.last_checkpoint_size = c.seq + 1;
  return Status::OK();
}

}  // namespace dvs::apply
