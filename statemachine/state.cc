#include "statemachine/state.h"

namespace dvs {

const char* BundleStateName(BundleState s) {
  switch (s) {
    case BundleState::kPackaged:
      return "packaged";
    case BundleState::kApproved:
      return "approved";
    case BundleState::kRejected:
      return "rejected";
    case BundleState::kCanary:
      return "canary";
    case BundleState::kPaused:
      return "paused";
    case BundleState::kStable:
      return "stable";
    case BundleState::kSuperseded:
      return "superseded";
    case BundleState::kRolledBack:
      return "rolled_back";
    case BundleState::kRetired:
      return "retired";
  }
  return "unknown";
}

const char* RouteRoleName(RouteRole r) {
  switch (r) {
    case RouteRole::kStable:
      return "stable";
    case RouteRole::kCanary:
      return "canary";
    case RouteRole::kWarm:
      return "warm";
  }
  return "unknown";
}

const KeyRecord* State::KeyOf(const PublicKey& k) const {
  auto it = key_names.find(k.bytes());  // no allocation: heterogeneous lookup
  if (it == key_names.end()) return nullptr;
  return &keys.find(it->second)->second;
}

Status State::RequireRole(const PublicKey& k, Role role, const std::string& who) const {
  const KeyRecord* r = KeyOf(k);
  if (r != nullptr && !r->revoked && Has(r->roles, role)) return Status::OK();
  const std::string why = r == nullptr  ? "no key by that id is granted"
                          : r->revoked ? "key '" + r->name + "' was revoked"
                                       : "key '" + r->name + "' holds " + RoleSetToString(r->roles);
  return Status::Forbidden(who + " does not hold the " + RoleName(role) + " role in this ledger (" +
                           why + ")");
}

const Bundle* State::FindBundle(const std::string& id) const {
  auto it = bundles.find(id);
  return it == bundles.end() ? nullptr : &it->second;
}

const Service* State::FindService(const std::string& name) const {
  auto it = services.find(name);
  return it == services.end() ? nullptr : &it->second;
}

uint32_t State::WeightOf(const Bundle& b) const {
  const Service* s = FindService(b.service);
  if (s == nullptr) return 0;
  uint32_t canary = s->canary ? s->canary->weight : 0;
  if (s->canary && s->canary->bundle == b.id) return canary;
  if (s->stable == b.id) return 100 - canary;
  return 0;
}

std::vector<Route> State::Routes(const std::string& service, int64_t now_ms) const {
  std::vector<Route> out;
  const Service* s = FindService(service);
  if (s == nullptr) return out;
  auto version_of = [&](const std::string& id) { return bundles.at(id).version; };
  uint32_t canary = s->canary ? s->canary->weight : 0;
  if (!s->stable.empty())
    out.push_back({s->stable, version_of(s->stable), 100 - canary, RouteRole::kStable});
  if (s->canary)
    out.push_back({s->canary->bundle, version_of(s->canary->bundle), canary, RouteRole::kCanary});
  for (const auto& [id, until] : s->warm_until.LiveAt(now_ms))
    out.push_back({id, version_of(id), 0, RouteRole::kWarm});
  return out;
}

}  // namespace dvs
