#include "api/controller/analysis_round.h"

#include <cmath>
#include <future>
#include <vector>

namespace dvs {

Result<AnalysisTarget> AnalysisTargetOf(const State& s, const std::string& bundle) {
  const Bundle* b = s.FindBundle(bundle);
  if (b == nullptr) return Status::NotFound("no bundle " + bundle);
  if (!b->manifest.has_analysis()) {
    return Status::Refused("bundle " + bundle +
                           " has no analysis section in its manifest: nothing to measure "
                           "(push metrics with dvs observe)");
  }
  const Service* svc = s.FindService(b->service);
  if (svc == nullptr || !svc->canary || svc->canary->bundle != bundle) {
    return Status::Refused("bundle " + bundle + " is " + BundleStateName(b->state) +
                           "; only a canary is analyzed");
  }
  const Bundle& stable = s.bundles.at(svc->stable);
  return AnalysisTarget{b->id, b->version, b->service, stable.id, stable.version};
}

sm::Transition MeasureRound(const State& s, const std::string& bundle, int64_t now_ms) {
  const AnalysisTarget target = *AnalysisTargetOf(s, bundle);
  const sm::Analysis& a = s.bundles.at(bundle).manifest.analysis();
  std::vector<std::future<Measured>> asks;
  for (const sm::AnalysisMetric& am : a.metrics()) {
    asks.push_back(std::async(std::launch::async, [&am, &target, now_ms] {
      return Measure(am.source(), am.name(), target, now_ms);
    }));
  }
  std::future<Measured> samples;
  if (a.has_samples()) {
    samples = std::async(std::launch::async,
                         [&] { return Measure(a.samples(), "samples", target, now_ms); });
  }
  sm::Transition t;
  sm::Observe* o = t.mutable_observe();
  o->set_bundle(bundle);
  for (auto& f : asks) {
    Measured m = f.get();
    if (m.value) (*o->mutable_metrics())[m.measurement.metric()] = *m.value;
    *o->add_measurements() = std::move(m.measurement);
  }
  o->set_samples(1);
  if (samples.valid()) {
    Measured m = samples.get();
    // A sample count is a whole number: a rate-derived count is rounded, a negative one is none.
    o->set_samples(m.value ? static_cast<uint64_t>(std::llround(std::max(0.0, *m.value))) : 0);
    *o->mutable_samples_measurement() = std::move(m.measurement);
  }
  return t;
}

Observation ObservationOf(const sm::Observe& o) {
  Observation out;
  out.samples = o.samples();
  for (const auto& [k, v] : o.metrics()) out.metrics[k] = v;
  out.measurements.assign(o.measurements().begin(), o.measurements().end());
  if (o.has_samples_measurement()) out.samples_source = o.samples_measurement();
  return out;
}

}  // namespace dvs
