#include "statemachine/confirm.h"

namespace dvs {

std::map<std::string, uint32_t> WeightsWithTraffic(const State& s, const Service& svc) {
  std::map<std::string, uint32_t> out;
  for (const Route& r : s.Routes(svc.name, s.last_time_ms)) {
    if (r.weight > 0) out[r.bundle] = r.weight;
  }
  return out;
}

std::optional<std::string> StepWaitsForRouter(const State& s, const Service& svc,
                                              const std::vector<std::string>& routers) {
  const Rollout& r = *svc.canary;
  const Bundle& canary = s.bundles.at(r.bundle);
  if (canary.manifest.rollout().steps_without_confirmation()) return std::nullopt;
  auto waits = [&](const std::string& router) -> std::optional<std::string> {
    auto it = svc.confirmed.find(router);
    uint32_t confirmed = 0;
    if (it != svc.confirmed.end()) {
      auto w = it->second.weights.find(r.bundle);
      if (w != it->second.weights.end()) confirmed = w->second;
    }
    if (confirmed == r.weight) return std::nullopt;
    return "router " + router + " has not confirmed " + r.bundle + " at " +
           std::to_string(r.weight) + " % (it confirmed " +
           (it == svc.confirmed.end() ? std::string("nothing yet")
                                      : std::to_string(confirmed) + " %") +
           ")";
  };
  for (const auto& [router, c] : svc.confirmed) {
    if (auto w = waits(router)) return w;
  }
  for (const std::string& router : routers) {
    if (auto w = waits(router)) return w;
  }
  return std::nullopt;
}

}  // namespace dvs
