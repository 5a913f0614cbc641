// Decide: the ramp policy's decision function. Pure: the same inputs always give the same answer,
// which is what lets Apply re-derive every automatic decision from the evidence it cites.
//
// Rules, in order:
//   1. paused: hold.
//   2. fewer than min_samples samples in the observations: hold.
//   3. any rollback_when condition holds: rollback (reason names the condition and the value).
//   4. less than interval since the last decision (ledger time): hold.
//   5. every promote_when condition holds: at 100 % promote, else step to min(100, weight + step).
//      A condition on a metric that was not observed (or a baseline comparison without a baseline)
//      does not hold: a missing metric never promotes.
//   6. otherwise hold.
// Metrics of several observations combine as the sample-weighted mean of those that report them.
//
// A manifest with an `analysis:` section (dvs measures the metrics itself) is decided by
// DecideAnalysis instead, on each observation's verdict (statemachine/analysis.h), counted over
// the observations since the last decision:
//   1. paused: hold.
//   2. more failed rounds than failure_limit: rollback.
//   3. more errors in a row (the latest rounds) than consecutive_error_limit: rollback.
//   4. more inconclusive rounds than inconclusive_limit: pause, for a human to look.
//   5. less than interval since the last decision: hold.
//   6. no round yet, or the latest round is not successful: hold (never promote unmeasured).
//   7. at 100 % promote, else step to min(100, weight + step).
#ifndef DVS_STATEMACHINE_DECIDE_H_
#define DVS_STATEMACHINE_DECIDE_H_

#include <optional>
#include <string>
#include <vector>

#include "statemachine/state.h"

namespace dvs {

struct Decision {
  enum class Kind { kHold, kStep, kPromote, kRollback, kPause };
  Kind kind = Kind::kHold;
  uint32_t to_pct = 0;  // for kStep
  std::string reason;

  bool operator==(const Decision& o) const { return kind == o.kind && to_pct == o.to_pct; }
};
const char* DecisionKindName(Decision::Kind k);

// The sample-weighted mean of each metric over `observations`, and the total sample count.
Metrics CombineMetrics(const std::vector<Observation>& observations, uint64_t* total_samples);

// `baseline` is the stable bundle's latest observed metrics, or nullptr when there is none.
Decision Decide(const sm::RolloutPolicy& policy, const Rollout& rollout,
                const std::vector<Observation>& observations, const Metrics* baseline,
                int64_t now_ms);

// Decide for a manifest with an analysis section (rules above). `baseline` as for Decide.
Decision DecideAnalysis(const sm::Manifest& manifest, const Rollout& rollout,
                        const std::vector<Observation>& observations, const Metrics* baseline,
                        int64_t now_ms);

// Decide for a service's canary as the ledger stands: its bundle's policy (DecideAnalysis when its
// manifest has an analysis section), the observations pending since the last decision, the
// stable bundle's latest metrics as baseline.
// REQUIRES: svc.canary and svc.stable are set (a canary always has a stable beside it).
Decision DecideForService(const State& s, const Service& svc, int64_t now_ms);

// The transition a controller signs for decision `d` on svc's canary, citing exactly the pending
// observations as evidence; nullopt for hold. REQUIRES: svc.canary is set.
std::optional<sm::Transition> ControllerTransition(const Service& svc, const Decision& d);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_DECIDE_H_
