#include "statemachine/decide.h"

#include "statemachine/analysis.h"

#include <algorithm>

namespace dvs {

namespace {

std::string Observed(const Condition& c, const Metrics& m) {
  auto it = m.find(c.metric);
  return it == m.end() ? c.metric + " not observed" : c.metric + " = " + FormatValue(it->second);
}

// A reason quoting queries and provider answers, cut to fit a signed reason (kMaxFieldLength),
// at a UTF-8 character boundary.
std::string Clip(std::string s) {
  constexpr size_t kMax = kMaxFieldLength - 24;
  if (s.size() <= kMax) return s;
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + " ...";
}

}  // namespace

const char* DecisionKindName(Decision::Kind k) {
  switch (k) {
    case Decision::Kind::kHold:
      return "hold";
    case Decision::Kind::kStep:
      return "step";
    case Decision::Kind::kPromote:
      return "promote";
    case Decision::Kind::kRollback:
      return "rollback";
    case Decision::Kind::kPause:
      return "pause";
  }
  return "unknown";
}

Metrics CombineMetrics(const std::vector<Observation>& observations, uint64_t* total_samples) {
  std::map<std::string, std::pair<double, double>> acc;  // metric -> (weighted sum, weight)
  uint64_t total = 0;
  for (const Observation& o : observations) {
    total += o.samples;
    double w = static_cast<double>(std::max<uint64_t>(o.samples, 1));
    for (const auto& [name, value] : o.metrics) {
      acc[name].first += value * w;
      acc[name].second += w;
    }
  }
  Metrics out;
  for (const auto& [name, sw] : acc) out[name] = sw.first / sw.second;
  if (total_samples != nullptr) *total_samples = total;
  return out;
}

Decision Decide(const sm::RolloutPolicy& policy, const Rollout& rollout,
                const std::vector<Observation>& observations, const Metrics* baseline,
                int64_t now_ms) {
  using K = Decision::Kind;
  if (rollout.paused) return {K::kHold, 0, "rollout is paused"};
  uint64_t samples = 0;
  Metrics m = CombineMetrics(observations, &samples);
  if (samples < policy.min_samples()) {
    return {K::kHold, 0,
            std::to_string(samples) + " of " + std::to_string(policy.min_samples()) +
                " samples needed"};
  }
  for (const std::string& text : policy.rollback_when()) {
    auto c = ParseCondition(text);
    if (!c.ok()) return {K::kHold, 0, c.status().message()};
    if (Evaluate(*c, m, baseline).value_or(false)) {
      return {K::kRollback, 0,
              "rollback_when '" + text + "' holds: " + Observed(*c, m) + " over " +
                  std::to_string(samples) + " samples"};
    }
  }
  const int64_t due = rollout.last_decision_ms + policy.interval_ms();
  if (now_ms < due) {
    return {K::kHold, 0, "next step allowed in " + std::to_string(due - now_ms) + " ms"};
  }
  for (const std::string& text : policy.promote_when()) {
    auto c = ParseCondition(text);
    if (!c.ok()) return {K::kHold, 0, c.status().message()};
    auto holds = Evaluate(*c, m, baseline);
    if (!holds.has_value()) {
      return {K::kHold, 0,
              "promote_when '" + text + "' cannot be decided: " + Observed(*c, m) +
                  (c->against_baseline && baseline == nullptr ? " (no baseline)" : "")};
    }
    if (!*holds)
      return {K::kHold, 0, "promote_when '" + text + "' does not hold: " + Observed(*c, m)};
  }
  if (rollout.weight >= 100) return {K::kPromote, 0, "all promote_when conditions hold at 100 %"};
  uint32_t to = std::min<uint32_t>(100, rollout.weight + policy.step_pct());
  return {K::kStep, to, "all promote_when conditions hold; step to " + std::to_string(to) + " %"};
}

Decision DecideAnalysis(const sm::Manifest& manifest, const Rollout& rollout,
                        const std::vector<Observation>& observations, const Metrics* baseline,
                        int64_t now_ms) {
  using K = Decision::Kind;
  if (rollout.paused) return {K::kHold, 0, "rollout is paused"};
  const sm::Analysis& a = manifest.analysis();
  uint32_t failed = 0, errors_in_a_row = 0, inconclusive = 0;
  std::string last_failed, last_error, last_inconclusive;
  RoundVerdict latest;
  for (const Observation& o : observations) {
    latest = JudgeRound(manifest, o, baseline);
    errors_in_a_row = latest.verdict == Verdict::kError ? errors_in_a_row + 1 : 0;
    if (latest.verdict == Verdict::kFailed) ++failed, last_failed = latest.reason;
    if (latest.verdict == Verdict::kError) last_error = latest.reason;
    if (latest.verdict == Verdict::kInconclusive) ++inconclusive, last_inconclusive = latest.reason;
  }
  if (failed > a.failure_limit()) {
    return {K::kRollback, 0,
            std::to_string(failed) + " failed measurement(s), failure_limit " +
                std::to_string(a.failure_limit()) + ": " + Clip(last_failed)};
  }
  if (errors_in_a_row > a.consecutive_error_limit()) {
    return {K::kRollback, 0,
            std::to_string(errors_in_a_row) + " measurement errors in a row, " +
                "consecutive_error_limit " + std::to_string(a.consecutive_error_limit()) + ": " +
                Clip(last_error)};
  }
  if (inconclusive > a.inconclusive_limit()) {
    return {K::kPause, 0,
            std::to_string(inconclusive) + " inconclusive measurements, inconclusive_limit " +
                std::to_string(a.inconclusive_limit()) + ": " + Clip(last_inconclusive)};
  }
  const int64_t due = rollout.last_decision_ms + manifest.rollout().interval_ms();
  if (now_ms < due) {
    return {K::kHold, 0, "next step allowed in " + std::to_string(due - now_ms) + " ms"};
  }
  if (observations.empty()) {
    return {K::kHold, 0, "not measured since the last decision (never promoted unmeasured)"};
  }
  if (latest.verdict != Verdict::kSuccessful) {
    return {K::kHold, 0,
            std::string("the latest measurement is ") + VerdictName(latest.verdict) + ": " +
                Clip(latest.reason)};
  }
  if (rollout.weight >= 100) return {K::kPromote, 0, "the latest measurement is successful at 100 %"};
  uint32_t to = std::min<uint32_t>(100, rollout.weight + manifest.rollout().step_pct());
  return {K::kStep, to,
          "the latest measurement is successful; step to " + std::to_string(to) + " %"};
}

Decision DecideForService(const State& s, const Service& svc, int64_t now_ms) {
  const Rollout& r = *svc.canary;
  const Bundle& stable = s.bundles.at(svc.stable);
  const sm::Manifest& manifest = s.bundles.at(r.bundle).manifest;
  const Metrics* baseline = stable.latest ? &stable.latest->metrics : nullptr;
  if (manifest.has_analysis()) return DecideAnalysis(manifest, r, r.pending, baseline, now_ms);
  return Decide(manifest.rollout(), r, r.pending, baseline, now_ms);
}

std::optional<sm::Transition> ControllerTransition(const Service& svc, const Decision& d) {
  const Rollout& r = *svc.canary;
  sm::Evidence ev;
  for (const Observation& o : r.pending) ev.add_observation_seqs(o.seq);
  sm::Transition t;
  switch (d.kind) {
    case Decision::Kind::kHold:
      return std::nullopt;
    case Decision::Kind::kStep:
      t.mutable_ramp()->set_bundle(r.bundle);
      t.mutable_ramp()->set_to_pct(d.to_pct);
      *t.mutable_ramp()->mutable_evidence() = std::move(ev);
      break;
    case Decision::Kind::kPromote:
      t.mutable_promote()->set_bundle(r.bundle);
      *t.mutable_promote()->mutable_evidence() = std::move(ev);
      break;
    case Decision::Kind::kPause:
      t.mutable_pause()->set_bundle(r.bundle);
      t.mutable_pause()->set_reason(d.reason);
      *t.mutable_pause()->mutable_evidence() = std::move(ev);
      break;
    case Decision::Kind::kRollback:
      t.mutable_rollback()->set_bundle(r.bundle);
      t.mutable_rollback()->set_reason(d.reason);
      *t.mutable_rollback()->mutable_evidence() = std::move(ev);
      break;
  }
  return t;
}

}  // namespace dvs
