// Apply: the one function that decides whether a transition is allowed.
//
// The write path calls it before appending, replay calls it for every entry, and the verifier
// calls it too, so a record the write path accepted always replays and a record that bypassed it
// is caught. It checks authorization (the signer's key is registered, not revoked, and holds the
// role) and every release rule; it does not check signatures (ledger/ does, before Apply).
//
// Pure: no I/O, no clock (time is the entry's log time), no randomness.
#ifndef DVS_STATEMACHINE_APPLY_H_
#define DVS_STATEMACHINE_APPLY_H_

#include "ledger/entry.h"
#include "ledger/status.h"
#include "statemachine/state.h"

namespace dvs {

// What one applied entry did, for the layers that index and check it without parsing it again.
struct Applied {
  // Set by the caller: whether to fill bundle, service and weights (map lookups and copies that a
  // replay which only needs the kind can skip).
  bool details = true;
  sm::Transition::KindCase kind = sm::Transition::KIND_NOT_SET;
  std::string bundle;          // the bundle it concerns (for a package: the new bundle's id), or ""
  std::string service;         // that bundle's service, or ""
  uint32_t weight_before = 0;  // the bundle's traffic % before and after the entry
  uint32_t weight_after = 0;
  std::string checkpoint_root;  // a Checkpoint's committed root (Apply cannot check it)
};

// Applies `entry` to *state. Uses entry.seq, append_time_ms, body and signer.
// On success *state is the new state and, when `applied` is given, *applied says what changed.
// On error *state is unchanged and the Status names the rule, and the bundle, service or key
// involved: Refused for a rule, InvalidArgument for a malformed body, Corruption for a seq out
// of order.
//
// `state_digest`, when given, must be StateDigest(*state) as the caller derived it on this very
// state: a Checkpoint entry is then checked against it instead of deriving it again (the digest
// encodes every bundle; a state loader that just checked a snapshot has it in hand).
Status ApplyEntry(State* state, const Entry& entry, Applied* applied = nullptr,
                  const Hash* state_digest = nullptr);

// Apply's first rule, alone: `t`'s request id is well formed, it was signed within the window of
// `log_time_ms`, and `s` has not applied it yet (a replayed signed request). The Status Apply
// would refuse it with. On success *digest (when given) is the id's digest.
Status CheckRequest(const State& s, const sm::Transition& t, int64_t log_time_ms,
                    RequestIdSet::Digest* digest = nullptr);

// The functional form: the new state, or the error. Copies the state; replay uses ApplyEntry.
Result<State> Apply(const State& state, const Entry& entry);

// The transition an entry carries; InvalidArgument when its body does not parse, carries none,
// or has a field unknown to this format anywhere in it (Apply refuses such a body too).
Result<sm::Transition> ParseTransition(std::string_view body);

// The bundle id a transition names, or "" (genesis, keys, policy, package: see the manifest).
std::string BundleOfTransition(const sm::Transition& t);
// The bundle a transition concerns: the one it names, or for a package the id of the bundle it
// creates (from the manifest's bytes), or "" (and for a package whose manifest does not parse).
std::string BundleConcerned(const sm::Transition& t);

// The name of a transition kind as users see it ("package", "rollback"); "" for none.
const char* TransitionName(const sm::Transition& t);
const char* TransitionKindName(sm::Transition::KindCase kind);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_APPLY_H_
