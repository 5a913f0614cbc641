#include "statemachine/analysis.h"

namespace dvs {

namespace {

const sm::Measurement* MeasurementOf(const Observation& o, const std::string& metric) {
  for (const sm::Measurement& m : o.measurements)
    if (m.metric() == metric) return &m;
  return nullptr;
}

// "prometheus http://127.0.0.1:9090 query 'sum(rate(...))'": where a value was asked.
std::string Source(const sm::Measurement& m) {
  std::string out = m.provider();
  if (!m.address().empty()) out += " " + m.address();
  if (!m.query().empty() && m.query() != m.address()) out += " query '" + m.query() + "'";
  return out;
}

MetricVerdict JudgeMetric(const sm::RolloutPolicy& policy, const sm::AnalysisMetric& am,
                          const Observation& o, const Metrics* baseline) {
  MetricVerdict v{am.name(), Verdict::kInconclusive, am.dry_run(), ""};
  const sm::Measurement* m = MeasurementOf(o, am.name());
  const std::string from = m != nullptr ? " from " + Source(*m) : " (pushed)";
  if (m != nullptr && m->outcome() == sm::Measurement::OUTCOME_ERROR) {
    v.verdict = Verdict::kError;
    v.reason = am.name() + ": error from " + Source(*m) + ": " + m->detail();
    return v;
  }
  auto it = o.metrics.find(am.name());
  if (it == o.metrics.end()) {
    v.reason = am.name() + ": no data" + from +
               (m != nullptr && !m->detail().empty() ? ": " + m->detail() : "");
    return v;
  }
  const std::string value = am.name() + " = " + FormatValue(it->second) + from;
  for (const std::string& text : policy.rollback_when()) {
    auto c = ParseCondition(text);
    if (!c.ok() || c->metric != am.name()) continue;
    if (Evaluate(*c, o.metrics, baseline).value_or(false)) {
      v.verdict = Verdict::kFailed;
      v.reason = "rollback_when '" + text + "' holds: " + value;
      return v;
    }
  }
  bool judged = false;
  for (const std::string& text : policy.promote_when()) {
    auto c = ParseCondition(text);
    if (!c.ok() || c->metric != am.name()) continue;
    judged = true;
    auto holds = Evaluate(*c, o.metrics, baseline);
    if (!holds.has_value()) {
      v.reason = "promote_when '" + text + "' cannot be decided: " + value +
                 (c->against_baseline && baseline == nullptr ? " (no baseline)" : "");
      return v;
    }
    if (!*holds) {
      v.reason = "promote_when '" + text + "' does not hold: " + value;
      return v;
    }
  }
  v.verdict = Verdict::kSuccessful;
  v.reason = judged ? value + ": every promote_when condition on it holds"
                    : value + ": no rollback_when condition on it holds";
  return v;
}

}  // namespace

const char* OutcomeName(sm::Measurement::Outcome o) {
  switch (o) {
    case sm::Measurement::OUTCOME_VALUE:
      return "value";
    case sm::Measurement::OUTCOME_NO_DATA:
      return "no_data";
    case sm::Measurement::OUTCOME_ERROR:
      return "error";
    default:
      return "unspecified";
  }
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kSuccessful:
      return "successful";
    case Verdict::kFailed:
      return "failed";
    case Verdict::kInconclusive:
      return "inconclusive";
    case Verdict::kError:
      return "error";
  }
  return "unknown";
}

RoundVerdict JudgeRound(const sm::Manifest& manifest, const Observation& o,
                        const Metrics* baseline) {
  const sm::RolloutPolicy& policy = manifest.rollout();
  RoundVerdict round;
  for (const sm::AnalysisMetric& am : manifest.analysis().metrics())
    round.metrics.push_back(JudgeMetric(policy, am, o, baseline));
  if (o.samples_source && o.samples_source->outcome() != sm::Measurement::OUTCOME_VALUE) {
    const bool error = o.samples_source->outcome() == sm::Measurement::OUTCOME_ERROR;
    round.verdict = error ? Verdict::kError : Verdict::kInconclusive;
    round.reason = std::string("samples: ") + (error ? "error" : "no data") + " from " +
                   Source(*o.samples_source) + ": " + o.samples_source->detail();
    return round;
  }
  if (o.samples < policy.min_samples()) {
    round.verdict = Verdict::kInconclusive;
    round.reason = std::to_string(o.samples) + " of " + std::to_string(policy.min_samples()) +
                   " samples needed";
    return round;
  }
  // The first deciding metric of the most severe kind names the round.
  for (Verdict kind : {Verdict::kFailed, Verdict::kError, Verdict::kInconclusive}) {
    for (const MetricVerdict& mv : round.metrics) {
      if (mv.dry_run || mv.verdict != kind) continue;
      round.verdict = kind;
      round.reason = mv.reason;
      return round;
    }
  }
  round.verdict = Verdict::kSuccessful;
  round.reason = "every metric successful";
  return round;
}

}  // namespace dvs
