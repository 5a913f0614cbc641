// Roles a key may hold, and the role each transition requires.
#ifndef DVS_STATEMACHINE_ROLES_H_
#define DVS_STATEMACHINE_ROLES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dvs {

enum class Role : uint8_t {
  kRoot = 0,      // keys and governance policy
  kGovernance,    // approve and reject bundles
  kPublisher,     // package
  kReleaseAdmin,  // deploy, promote, pause, resume, rollback, retire
  kObserver,      // report metrics
  kController,    // automatic ramp, promote, rollback, only as the policy dictates
  kLog,           // sign checkpoints
};
inline constexpr int kRoleCount = 7;

using RoleSet = uint32_t;  // bit i set: holds Role(i)
inline RoleSet Bit(Role r) { return RoleSet{1} << static_cast<int>(r); }
inline bool Has(RoleSet s, Role r) { return (s & Bit(r)) != 0; }

const char* RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);
// "governance, publisher"
std::string RoleSetToString(RoleSet s);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_ROLES_H_
