// A bundle's life before and after traffic: package, approve, reject, retire.
#include "statemachine/apply_internal.h"
#include "statemachine/limits.h"
#include "statemachine/manifest_rules.h"

namespace dvs::apply {

namespace {
Status FinalRefusal(const Bundle& b) {
  return Status::Refused("bundle " + b.id + " is " + BundleStateName(b.state) + ", which is final");
}
}  // namespace

Status Package(State& s, const Ctx& c, const sm::Package& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kPublisher, "packaging"));
  if (m.manifest().size() > kMaxManifestBytes) {
    return Status::InvalidArgument("manifest is " + std::to_string(m.manifest().size()) +
                                   " bytes, at most " + std::to_string(kMaxManifestBytes));
  }
  sm::Manifest manifest;
  if (!manifest.ParseFromString(m.manifest())) {
    return Status::InvalidArgument("manifest bytes do not parse");
  }
  DVS_RETURN_IF_ERROR(RefuseUnknownFields(m.manifest(), sm::Manifest::descriptor(), "manifest"));
  DVS_RETURN_IF_ERROR(ValidateManifest(manifest));
  const Hash digest = Sha256(m.manifest());
  auto key = std::make_pair(manifest.name(), manifest.version());
  if (auto it = s.versions.find(key); it != s.versions.end()) {
    const Bundle& existing = s.bundles.at(it->second);
    if (existing.digest == digest) return Status::OK();  // identical content: idempotent
    return Status::Refused(
        manifest.name() + " " + manifest.version() + " is already packaged as " + existing.id +
        " with other content (digest " + ToHex(existing.digest).substr(0, 12) + ", this one " +
        ToHex(digest).substr(0, 12) + "); a version's content never changes: bump the version");
  }
  Bundle b;
  b.id = BundleId(manifest, digest);
  b.service = manifest.name();
  b.version = manifest.version();
  b.version_tag = VersionTag(manifest, c.time_ms);
  b.digest = digest;
  b.manifest = std::move(manifest);
  b.manifest_bytes = std::make_shared<const std::string>(EncodeManifest(b.manifest));
  b.packaged_seq = c.seq;
  b.packaged_by = c.key->name;
  s.versions[key] = b.id;
  std::string id = b.id;
  s.bundles[id] = std::move(b);
  return Status::OK();
}

Status Approve(State& s, const Ctx& c, const sm::Approve& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kGovernance, "approving"));
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  if (IsFinal(b->state)) return FinalRefusal(*b);
  if (b->state != BundleState::kPackaged) {
    return Status::Refused("bundle " + b->id + " is already " + BundleStateName(b->state));
  }
  DVS_RETURN_IF_ERROR(CheckGovernance(s.policy, b->manifest).Prefixed("bundle " + b->id));
  b->state = BundleState::kApproved;
  b->approved_seq = c.seq;
  b->approved_by = c.key->name;
  return Status::OK();
}

Status Reject(State& s, const Ctx& c, const sm::Reject& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kGovernance, "rejecting"));
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  if (IsFinal(b->state)) return FinalRefusal(*b);
  if (b->state != BundleState::kPackaged && b->state != BundleState::kApproved) {
    return Status::Refused("bundle " + b->id + " is " + BundleStateName(b->state) +
                           "; only a bundle that never carried traffic can be rejected");
  }
  DVS_RETURN_IF_ERROR(CheckReason("reason", m.reason()));
  b->state = BundleState::kRejected;
  b->reason = m.reason();
  return Status::OK();
}

Status Retire(State& s, const Ctx& c, const sm::Retire& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kReleaseAdmin, "retiring"));
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  if (IsFinal(b->state)) return FinalRefusal(*b);
  if (b->state == BundleState::kStable || b->state == BundleState::kCanary ||
      b->state == BundleState::kPaused) {
    return Status::Refused("bundle " + b->id + " is " + BundleStateName(b->state) +
                           " and carries " + std::to_string(s.WeightOf(*b)) +
                           " % of traffic; only a bundle that carries none can be retired");
  }
  DVS_RETURN_IF_ERROR(CheckReason("reason", m.reason()));
  b->state = BundleState::kRetired;
  b->reason = m.reason();
  if (auto it = s.services.find(b->service); it != s.services.end())
    it->second.warm_until.Erase(b->id);
  return Status::OK();
}

}  // namespace dvs::apply
