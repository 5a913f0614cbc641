// One analysis round: every metric of a canary's manifest `analysis:` section measured once (in
// parallel), and the sample count, as the Observe transition an observer key signs. Used by
// `dvs serve --observer-key` on every analysis interval and by `dvs analyze`.
#ifndef DVS_API_CONTROLLER_ANALYSIS_ROUND_H_
#define DVS_API_CONTROLLER_ANALYSIS_ROUND_H_

#include <string>

#include "api/controller/metrics_providers.h"
#include "ledger/status.h"
#include "statemachine/state.h"

namespace dvs {

// The templates' values for `bundle`'s canary. Refused unless it is an active canary whose
// manifest has an analysis section.
Result<AnalysisTarget> AnalysisTargetOf(const State& s, const std::string& bundle);

// Measures one round (blocks for at most the longest provider timeout) and returns the Observe
// to sign. REQUIRES: AnalysisTargetOf(s, bundle) is ok.
sm::Transition MeasureRound(const State& s, const std::string& bundle, int64_t now_ms);

// The Observe as the state will record it, for judging before it is committed.
Observation ObservationOf(const sm::Observe& o);

}  // namespace dvs

#endif  // DVS_API_CONTROLLER_ANALYSIS_ROUND_H_
