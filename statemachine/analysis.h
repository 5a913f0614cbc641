// Analysis: how Decide judges measurements that dvs took itself (a manifest with `analysis:`).
// Pure, like Decide: the verdicts are re-derived from the ledger by Apply and dvs-verify.
//
// A metric's measurement is
//   - an error: the provider failed (unreachable, timeout, not a number, several series);
//   - inconclusive: no data (empty answer, NaN, not in the observation) or no condition decides
//     (a baseline comparison without a baseline, or between the promote and rollback thresholds);
//   - failed: a rollout.rollback_when condition on the metric holds;
//   - successful: every rollout.promote_when condition on it holds.
// A round (one observation) is, in this order: an error when its sample count could not be
// measured; inconclusive with fewer than min_samples samples; failed when a metric failed; an
// error when a metric errored; inconclusive when a metric was; else successful. Dry-run metrics
// are judged and reported but never count toward the round.
#ifndef DVS_STATEMACHINE_ANALYSIS_H_
#define DVS_STATEMACHINE_ANALYSIS_H_

#include <string>
#include <vector>

#include "statemachine/state.h"

namespace dvs {

// A measurement's outcome as people read it: "value", "no_data", "error".
const char* OutcomeName(sm::Measurement::Outcome o);

enum class Verdict { kSuccessful, kFailed, kInconclusive, kError };
const char* VerdictName(Verdict v);

struct MetricVerdict {
  std::string metric;
  Verdict verdict = Verdict::kInconclusive;
  bool dry_run = false;
  std::string reason;  // names the metric, the provider and what was wrong or what held
};

struct RoundVerdict {
  Verdict verdict = Verdict::kInconclusive;
  std::string reason;  // the deciding metric's reason
  std::vector<MetricVerdict> metrics;
};

// Judges one observation of a canary whose manifest has an analysis section. `baseline` is the
// stable bundle's latest metrics, or nullptr.
RoundVerdict JudgeRound(const sm::Manifest& manifest, const Observation& o,
                        const Metrics* baseline);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_ANALYSIS_H_
