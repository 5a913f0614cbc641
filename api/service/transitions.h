// The transitions behind each user command, built from the command's arguments alone. The library
// and the command line (locally or against a server) build them here, so that one request means
// the same thing whichever way it travels. Apply, not these, decides whether one is allowed.
#ifndef DVS_API_TRANSITIONS_H_
#define DVS_API_TRANSITIONS_H_

#include <map>
#include <string>
#include <vector>

#include "ledger/keys.h"
#include "statemachine/state.h"
#include "statemachine/transition.pb.h"

namespace dvs::make {

sm::Transition GrantKey(const std::string& name, const PublicKey& pub,
                        const std::vector<std::string>& roles);
sm::Transition RevokeKey(const std::string& name, const std::string& reason);
sm::Transition SetPolicy(const sm::GovernancePolicy& policy);
// `manifest_bytes`: EncodeManifest of a validated manifest.
sm::Transition Package(const std::string& manifest_bytes);
sm::Transition Approve(const std::string& bundle);
sm::Transition Reject(const std::string& bundle, const std::string& reason);
// canary_pct 0: the manifest's.
sm::Transition Deploy(const std::string& bundle, uint32_t canary_pct);
sm::Transition Observe(const std::string& bundle, const Metrics& metrics, uint64_t samples);
// One step by hand from `weight` by `step_pct` (capped at 100) when the bundle is a canary below
// 100 %; otherwise Promote to stable (which Apply refuses for a bundle that is not a canary).
sm::Transition Promote(const std::string& bundle, bool full, bool is_canary, uint32_t weight,
                       uint32_t step_pct);
sm::Transition Pause(const std::string& bundle, const std::string& reason);
sm::Transition Resume(const std::string& bundle);
sm::Transition Rollback(const std::string& bundle, const std::string& reason);
sm::Transition Retire(const std::string& bundle, const std::string& reason);
// A router's confirmation that it serves `weights` (bundle -> %, bundles with traffic) for
// `service`, read back after applying the table of the first `table_seq` entries.
sm::Transition Confirm(const std::string& service, const std::string& router, uint64_t table_seq,
                       const std::map<std::string, uint32_t>& weights);

}  // namespace dvs::make

#endif  // DVS_API_TRANSITIONS_H_
