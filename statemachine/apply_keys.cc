// Keys and governance policy: genesis, grant, revoke, set policy. All need the root role
// (genesis is signed by the root key it introduces).
#include "statemachine/apply_internal.h"
#include "statemachine/manifest_rules.h"

namespace dvs::apply {

Status Genesis(State& s, const Ctx& c, const sm::Genesis& m) {
  if (c.seq != 0) return Status::Refused("genesis is only allowed as entry 0");
  DVS_RETURN_IF_ERROR(CheckName("ledger_name", m.ledger_name()));
  DVS_RETURN_IF_ERROR(CheckName("root_name", m.root_name()));
  auto root = PublicKey::FromBytes(m.root_key());
  if (!root.ok()) return root.status().Prefixed("root_key");
  if (!(*root == c.signer)) {
    return Status::Refused("genesis must be signed by the root key it names (" + root->Id() +
                           "), not " + c.signer.Id());
  }
  s.ledger_name = m.ledger_name();
  KeyRecord k{m.root_name(), *root, Bit(Role::kRoot), c.seq, false, 0, ""};
  s.key_names[std::string(root->bytes())] = k.name;
  s.keys[k.name] = std::move(k);
  return Status::OK();
}

Status GrantKey(State& s, const Ctx& c, const sm::GrantKey& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kRoot, "granting a key"));
  DVS_RETURN_IF_ERROR(CheckName("key name", m.name()));
  if (auto it = s.keys.find(m.name()); it != s.keys.end()) {
    return Status::Refused("key name '" + m.name() + "' is already taken (granted at seq " +
                           std::to_string(it->second.granted_seq) + "); names are never reused");
  }
  auto pub = PublicKey::FromBytes(m.public_key());
  if (!pub.ok()) return pub.status().Prefixed("public_key");
  if (const KeyRecord* other = s.KeyOf(*pub)) {
    return Status::Refused("public key " + pub->Id() + " is already registered as '" + other->name +
                           "'");
  }
  if (m.roles().empty()) return Status::InvalidArgument("a key needs at least one role");
  RoleSet roles = 0;
  for (const std::string& r : m.roles()) {
    auto role = ParseRole(r);
    if (!role) {
      return Status::InvalidArgument("unknown role '" + r +
                                     "' (roles: root governance publisher release_admin observer "
                                     "controller log)");
    }
    roles |= Bit(*role);
  }
  s.key_names[std::string(pub->bytes())] = m.name();
  s.keys[m.name()] = KeyRecord{m.name(), *pub, roles, c.seq, false, 0, ""};
  return Status::OK();
}

Status RevokeKey(State& s, const Ctx& c, const sm::RevokeKey& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kRoot, "revoking a key"));
  auto it = s.keys.find(m.name());
  if (it == s.keys.end()) return Status::Refused("no key named '" + m.name() + "'");
  KeyRecord& k = it->second;
  if (k.revoked) {
    return Status::Refused("key '" + m.name() + "' was already revoked at seq " +
                           std::to_string(k.revoked_seq));
  }
  DVS_RETURN_IF_ERROR(CheckReason("reason", m.reason()));
  if (Has(k.roles, Role::kRoot)) {
    int live_roots = 0;
    for (const auto& [name, other] : s.keys)
      live_roots += !other.revoked && Has(other.roles, Role::kRoot);
    if (live_roots <= 1) {
      return Status::Refused(
          "key '" + m.name() +
          "' is the last root key; revoking it would leave nobody to manage keys");
    }
  }
  k.revoked = true;
  k.revoked_seq = c.seq;
  k.revoke_reason = m.reason();
  return Status::OK();
}

Status SetPolicy(State& s, const Ctx& c, const sm::SetGovernancePolicy& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kRoot, "setting the governance policy"));
  DVS_RETURN_IF_ERROR(ValidatePolicy(m.policy()));
  s.policy = m.policy();
  return Status::OK();
}

}  // namespace dvs::apply
