#include "statemachine/invariants.h"

namespace dvs {

namespace {

Status Broken(int n, const std::string& what) {
  return Status::Corruption("invariant " + std::to_string(n) + " broken: " + what);
}

// The service's routing table at its last log time: weights, roles and the states they need.
// Costs the routes, not the bundles the service ever had.
Status CheckRouting(const State& s, const Service& svc) {
  // Each weight within 0..100 and the sum in 64 bits: Routes() computes the stable's share as
  // 100 - canary in uint32_t, so a canary above 100 would wrap the stable's weight around and a
  // 32-bit sum would still come to exactly 100.
  if (svc.canary && (svc.canary->weight < 1 || svc.canary->weight > 100)) {
    return Broken(2, "canary " + svc.canary->bundle + " of " + svc.name + " carries " +
                         std::to_string(svc.canary->weight) + " %, outside 1..100");
  }
  uint64_t total = 0;
  for (const Route& r : s.Routes(svc.name, s.last_time_ms)) {
    if (r.weight > 100) {
      return Broken(2, "route of " + svc.name + " to " + r.bundle + " carries " +
                           std::to_string(r.weight) + " %, outside 0..100");
    }
    const Bundle* b = s.FindBundle(r.bundle);
    if (b == nullptr) return Broken(1, "route to unknown bundle " + r.bundle);
    if (r.role != RouteRole::kWarm && !b->approved_seq) {
      return Broken(1, "bundle " + b->id + " is routed without an Approve");
    }
    if (IsFinal(b->state)) return Broken(5, "final bundle " + b->id + " is in the routing table");
    total += r.weight;
  }
  if (!svc.stable.empty() && total != 100) {
    return Broken(2, "weights of " + svc.name + " sum to " + std::to_string(total));
  }
  if (!svc.stable.empty() && s.bundles.at(svc.stable).state != BundleState::kStable) {
    return Broken(3, "stable of " + svc.name + " is in state " +
                         BundleStateName(s.bundles.at(svc.stable).state));
  }
  if (svc.canary) {
    BundleState st = s.bundles.at(svc.canary->bundle).state;
    bool paused = svc.canary->paused;
    if (st != (paused ? BundleState::kPaused : BundleState::kCanary)) {
      return Broken(3, "canary of " + svc.name + " is in state " + BundleStateName(st));
    }
    if (svc.stable.empty()) return Broken(3, "service " + svc.name + " has a canary but no stable");
  }
  return Status::OK();
}

// The routing, and every bundle the service ever kept warm (ended windows included).
Status CheckService(const State& s, const Service& svc) {
  DVS_RETURN_IF_ERROR(CheckRouting(s, svc));
  for (const auto& [id, until] : svc.warm_until) {
    if (s.bundles.at(id).state != BundleState::kSuperseded) {
      return Broken(5, "warm bundle " + id + " is " + BundleStateName(s.bundles.at(id).state));
    }
  }
  return Status::OK();
}

Status CheckBundle(const State& s, const std::string& id, const Bundle& b) {
  const Service* svc = s.FindService(b.service);
  bool routed = svc != nullptr && (svc->stable == id || (svc->canary && svc->canary->bundle == id));
  bool routing_state = b.state == BundleState::kStable || b.state == BundleState::kCanary ||
                       b.state == BundleState::kPaused;
  if (routed != routing_state) {
    return Broken(3, "bundle " + id + " is " + BundleStateName(b.state) + " but " +
                         (routed ? "is" : "is not") + " routed by its service");
  }
  if (routing_state && !b.approved_seq)
    return Broken(1, "bundle " + id + " is live without an Approve");
  auto v = s.versions.find({b.service, b.version});
  if (v == s.versions.end() || v->second != id) {
    return Broken(4, b.service + " " + b.version + " does not map to bundle " + id);
  }
  return Status::OK();
}

}  // namespace

Status CheckInvariants(const State& s) {
  for (const auto& [name, svc] : s.services) DVS_RETURN_IF_ERROR(CheckService(s, svc));
  for (const auto& [id, b] : s.bundles) DVS_RETURN_IF_ERROR(CheckBundle(s, id, b));
  if (s.versions.size() != s.bundles.size()) {
    return Broken(4, "the version map and the bundles disagree in number");
  }
  return Status::OK();
}

Status CheckRoutingInvariants(const State& s, const std::string& service) {
  if (const Service* svc = s.FindService(service)) return CheckRouting(s, *svc);
  return Status::OK();
}

Status CheckServiceInvariants(const State& s, const std::string& service) {
  if (const Service* svc = s.FindService(service)) DVS_RETURN_IF_ERROR(CheckService(s, *svc));
  auto it = s.versions.lower_bound({service, ""});
  for (; it != s.versions.end() && it->first.first == service; ++it) {
    DVS_RETURN_IF_ERROR(CheckBundle(s, it->second, s.bundles.at(it->second)));
  }
  return Status::OK();
}

}  // namespace dvs
