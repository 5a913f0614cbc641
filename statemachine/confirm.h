// Router confirmations: the gate an automatic step waits at.
//
// A router that applied a routing table reads back what it serves, and the controller records it
// as a Confirm entry (transition.proto). When a canary's manifest asks for it (the default,
// `rollout.wait_for_routers`), an automatic step or promotion is taken only once every router has
// confirmed the canary's current weight: Apply checks the routers that confirmed during the
// rollout (what the ledger knows), and the controller adds the routers it drives (what it knows:
// one that never confirmed). Rollbacks never wait.
//
// Pure: no I/O, no clock.
#ifndef DVS_STATEMACHINE_CONFIRM_H_
#define DVS_STATEMACHINE_CONFIRM_H_

#include <optional>
#include <string>
#include <vector>

#include "statemachine/state.h"

namespace dvs {

// Why an automatic step of svc's canary must wait, naming the first router that has not confirmed
// the canary's current weight, among those that confirmed during the rollout and `routers`; or
// nullopt when it need not wait (all confirmed, or the manifest does not ask for it).
// REQUIRES: svc.canary is set and names a bundle of `s`.
std::optional<std::string> StepWaitsForRouter(const State& s, const Service& svc,
                                              const std::vector<std::string>& routers);

// The service's routes with traffic, bundle -> weight: what a router must confirm.
std::map<std::string, uint32_t> WeightsWithTraffic(const State& s, const Service& svc);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_CONFIRM_H_
