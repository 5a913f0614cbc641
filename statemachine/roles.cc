#include "statemachine/roles.h"

namespace dvs {

namespace {
constexpr const char* kNames[kRoleCount] = {"root",     "governance", "publisher", "release_admin",
                                            "observer", "controller", "log"};
}

const char* RoleName(Role r) { return kNames[static_cast<int>(r)]; }

std::optional<Role> ParseRole(std::string_view name) {
  for (int i = 0; i < kRoleCount; ++i) {
    if (name == kNames[i]) return static_cast<Role>(i);
  }
  return std::nullopt;
}

std::string RoleSetToString(RoleSet s) {
  std::string out;
  for (int i = 0; i < kRoleCount; ++i) {
    if (!Has(s, static_cast<Role>(i))) continue;
    if (!out.empty()) out += ", ";
    out += kNames[i];
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace dvs
