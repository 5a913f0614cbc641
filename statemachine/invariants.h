// The invariants of DESIGN.md that can be read off one State. (Invariants about the sequence of
// states, such as "a final bundle never carries traffic again", are checked by comparing states
// in the property tests and in dvs-verify's replay.)
//
//   1. No bundle carries traffic, or is stable or canary, without an Approve.
//   2. A service's route weights sum to 100 whenever it has a stable bundle.
//   3. At most one canary per service, and bundle states agree with the services that route them.
//   4. (name, version) maps to one bundle id, and that bundle has that name and version.
//   5. rolled_back, rejected and retired bundles carry no traffic and are not kept warm.
#ifndef DVS_STATEMACHINE_INVARIANTS_H_
#define DVS_STATEMACHINE_INVARIANTS_H_

#include "ledger/status.h"
#include "statemachine/state.h"

namespace dvs {

// OK, or Corruption naming the invariant and the bundle or service that breaks it.
Status CheckInvariants(const State& s);

// The same, restricted to one service and its bundles: what one entry can change. Cost is the
// service's size, not the state's, so a verifier can run it after every entry.
Status CheckServiceInvariants(const State& s, const std::string& service);

// After an entry that changes no bundle's state and no routing (an observation): the service's
// routing alone (weights, approvals, states of the routed bundles). Cost is the number of routed
// bundles, not of the service's bundles, which grow with every release.
Status CheckRoutingInvariants(const State& s, const std::string& service);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_INVARIANTS_H_
