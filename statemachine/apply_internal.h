// Internal to Apply: the per-entry context and the handlers, one per transition kind.
// Each handler validates completely before its first mutation, so a refusal leaves the state
// untouched; ApplyEntry relies on that.
#ifndef DVS_STATEMACHINE_APPLY_INTERNAL_H_
#define DVS_STATEMACHINE_APPLY_INTERNAL_H_

#include <string>

#include "ledger/entry.h"
#include "statemachine/state.h"

namespace dvs::apply {

struct Ctx {
  uint64_t seq;
  int64_t time_ms;
  const PublicKey& signer;
  const KeyRecord* key;  // nullptr only for Genesis
  // StateDigest of the state this entry applies to, when the caller already derived it (a
  // state loader that just checked a snapshot against this very checkpoint); else nullptr.
  const Hash* state_digest = nullptr;
};

// Refused unless the signer holds `role`.
Status Require(const Ctx& c, Role role, const char* action);
// The bundle, or Refused("no bundle X").
Result<Bundle*> FindBundle(State& s, const std::string& id);

Status Genesis(State& s, const Ctx& c, const sm::Genesis& m);
Status GrantKey(State& s, const Ctx& c, const sm::GrantKey& m);
Status RevokeKey(State& s, const Ctx& c, const sm::RevokeKey& m);
Status SetPolicy(State& s, const Ctx& c, const sm::SetGovernancePolicy& m);

Status Package(State& s, const Ctx& c, const sm::Package& m);
Status Approve(State& s, const Ctx& c, const sm::Approve& m);
Status Reject(State& s, const Ctx& c, const sm::Reject& m);
Status Retire(State& s, const Ctx& c, const sm::Retire& m);

Status Deploy(State& s, const Ctx& c, const sm::Deploy& m);
Status Observe(State& s, const Ctx& c, const sm::Observe& m);
Status Ramp(State& s, const Ctx& c, const sm::Ramp& m);
Status Pause(State& s, const Ctx& c, const sm::Pause& m);
Status Resume(State& s, const Ctx& c, const sm::Resume& m);
Status Promote(State& s, const Ctx& c, const sm::Promote& m);
Status Rollback(State& s, const Ctx& c, const sm::Rollback& m);

Status Checkpoint(State& s, const Ctx& c, const sm::Checkpoint& m);
Status Confirm(State& s, const Ctx& c, const sm::Confirm& m);

}  // namespace dvs::apply

#endif  // DVS_STATEMACHINE_APPLY_INTERNAL_H_
