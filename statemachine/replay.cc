#include "statemachine/replay.h"

#include <algorithm>

#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/snapshot.pb.h"

namespace dvs {

namespace {

void PutObservation(const Observation& o, sm::SnapObservation* out) {
  out->set_seq(o.seq);
  out->set_time_ms(o.time_ms);
  for (const auto& [k, v] : o.metrics) (*out->mutable_metrics())[k] = v;
  out->set_samples(o.samples);
  for (const sm::Measurement& m : o.measurements) *out->add_measurements() = m;
  if (o.samples_source) *out->mutable_samples_measurement() = *o.samples_source;
}

Observation GetObservation(const sm::SnapObservation& in) {
  Observation o{in.seq(), in.time_ms(), {}, in.samples()};
  for (const auto& [k, v] : in.metrics()) o.metrics[k] = v;
  o.measurements.assign(in.measurements().begin(), in.measurements().end());
  if (in.has_samples_measurement()) o.samples_source = in.samples_measurement();
  return o;
}

void PutBundle(const Bundle& b, sm::SnapBundle* out) {
  out->set_id(b.id);
  out->set_manifest(b.manifest_bytes ? *b.manifest_bytes : EncodeManifest(b.manifest));
  out->set_digest(std::string(AsBytes(b.digest)));
  out->set_version_tag(b.version_tag);
  out->set_state(static_cast<uint32_t>(b.state));
  out->set_packaged_seq(b.packaged_seq);
  out->set_packaged_by(b.packaged_by);
  out->set_approved(b.approved_seq.has_value());
  out->set_approved_seq(b.approved_seq.value_or(0));
  out->set_approved_by(b.approved_by);
  out->set_reason(b.reason);
  if (b.latest) PutObservation(*b.latest, out->mutable_latest());
}

Result<Bundle> GetBundle(const sm::SnapBundle& in) {
  Bundle b;
  b.id = in.id();
  if (!b.manifest.ParseFromString(in.manifest())) {
    return Status::Corruption("snapshot: manifest of bundle " + in.id() + " does not parse");
  }
  b.manifest_bytes = std::make_shared<const std::string>(in.manifest());
  auto digest = HashFromBytes(in.digest());
  if (!digest) return Status::Corruption("snapshot: digest of bundle " + in.id() + " is malformed");
  if (in.state() > static_cast<uint32_t>(BundleState::kRetired)) {
    return Status::Corruption("snapshot: bundle " + in.id() + " has an unknown state");
  }
  b.digest = *digest;
  b.service = b.manifest.name();
  b.version = b.manifest.version();
  b.version_tag = in.version_tag();
  b.state = static_cast<BundleState>(in.state());
  b.packaged_seq = in.packaged_seq();
  b.packaged_by = in.packaged_by();
  if (in.approved()) b.approved_seq = in.approved_seq();
  b.approved_by = in.approved_by();
  b.reason = in.reason();
  if (in.has_latest()) b.latest = GetObservation(in.latest());
  return b;
}

void PutService(const Service& svc, sm::SnapService* out) {
  out->set_name(svc.name);
  out->set_stable(svc.stable);
  if (svc.canary) {
    sm::SnapRollout* r = out->mutable_canary();
    r->set_bundle(svc.canary->bundle);
    r->set_weight(svc.canary->weight);
    r->set_paused(svc.canary->paused);
    r->set_last_decision_ms(svc.canary->last_decision_ms);
    for (const Observation& o : svc.canary->pending) PutObservation(o, r->add_pending());
  }
  for (const auto& id : svc.stable_history) out->add_stable_history(id);
  for (const auto& [id, until] : svc.warm_until) (*out->mutable_warm_until())[id] = until;
  for (const auto& [router, c] : svc.confirmed) {
    sm::SnapConfirmation* sc = out->add_confirmed();
    sc->set_router(router);
    sc->set_seq(c.seq);
    sc->set_time_ms(c.time_ms);
    sc->set_table_seq(c.table_seq);
    for (const auto& [bundle, w] : c.weights) (*sc->mutable_weights())[bundle] = w;
  }
}

Service GetService(const sm::SnapService& in) {
  Service svc;
  svc.name = in.name();
  svc.stable = in.stable();
  if (in.has_canary()) {
    const sm::SnapRollout& r = in.canary();
    Rollout ro{r.bundle(), r.weight(), r.paused(), r.last_decision_ms(), {}};
    for (const auto& o : r.pending()) ro.pending.push_back(GetObservation(o));
    svc.canary = std::move(ro);
  }
  svc.stable_history.assign(in.stable_history().begin(), in.stable_history().end());
  for (const auto& [id, until] : in.warm_until()) svc.warm_until.Put(id, until);
  for (const auto& sc : in.confirmed()) {
    RouterConfirmation& c = svc.confirmed[sc.router()];
    c.seq = sc.seq();
    c.time_ms = sc.time_ms();
    c.table_seq = sc.table_seq();
    for (const auto& [bundle, w] : sc.weights()) c.weights[bundle] = w;
  }
  return svc;
}

}  // namespace

Status Replay(State* state, const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    Status s = ApplyEntry(state, e);
    if (!s.ok()) return s.Prefixed("seq " + std::to_string(e.seq));
  }
  return Status::OK();
}

namespace {

// The snapshot message of `s`; request-id buckets by their digests' SHA-256 when `for_digest`.
sm::Snapshot ToSnapshot(const State& s, const Hash& head_hash, const MerkleFrontier* frontier,
                        bool for_digest) {
  sm::Snapshot snap;
  snap.set_size(s.size);
  snap.set_head_hash(std::string(AsBytes(head_hash)));
  snap.set_last_time_ms(s.last_time_ms);
  snap.set_ledger_name(s.ledger_name);
  for (const auto& [name, k] : s.keys) {
    sm::SnapKey* out = snap.add_keys();
    out->set_name(k.name);
    out->set_public_key(std::string(k.key.bytes()));
    out->set_roles(k.roles);
    out->set_granted_seq(k.granted_seq);
    out->set_revoked(k.revoked);
    out->set_revoked_seq(k.revoked_seq);
    out->set_revoke_reason(k.revoke_reason);
  }
  *snap.mutable_policy() = s.policy;
  for (const auto& [id, b] : s.bundles) PutBundle(b, snap.add_bundles());
  for (const auto& [name, svc] : s.services) PutService(svc, snap.add_services());
  for (const auto& [bucket, encoded] : s.request_ids.EncodedBuckets()) {
    sm::RequestIdBucket* b = snap.add_request_ids();
    b->set_bucket(bucket);
    if (for_digest) {
      b->set_digests_sha256(std::string(AsBytes(encoded->sha256)));
    } else {
      b->set_digests(encoded->bytes);
    }
  }
  snap.set_last_checkpoint_size(s.last_checkpoint_size);
  if (frontier != nullptr) snap.set_merkle_frontier(frontier->Encode());
  return snap;
}

}  // namespace

std::string EncodeSnapshot(const State& s, const Hash& head_hash, const MerkleFrontier* frontier) {
  return SerializeDeterministic(ToSnapshot(s, head_hash, frontier, /*for_digest=*/false));
}

Result<Snapshot> DecodeSnapshot(std::string_view bytes) {
  sm::Snapshot snap;
  if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("snapshot does not parse");
  }
  auto head = HashFromBytes(snap.head_hash());
  if (!head) return Status::Corruption("snapshot head hash is malformed");
  Snapshot out;
  out.head_hash = *head;
  State& s = out.state;
  s.size = snap.size();
  s.last_time_ms = snap.last_time_ms();
  s.ledger_name = snap.ledger_name();
  for (const auto& k : snap.keys()) {
    auto pub = PublicKey::FromBytes(k.public_key());
    if (!pub.ok()) return Status::Corruption("snapshot: key " + k.name() + " is malformed");
    s.key_names[std::string(pub->bytes())] = k.name();
    s.keys[k.name()] =
        KeyRecord{k.name(),         *pub, k.roles(), k.granted_seq(), k.revoked(), k.revoked_seq(),
                  k.revoke_reason()};
  }
  s.policy = snap.policy();
  for (const auto& sb : snap.bundles()) {
    DVS_ASSIGN_OR_RETURN(Bundle b, GetBundle(sb));
    s.versions[{b.service, b.version}] = b.id;
    std::string id = b.id;
    s.bundles[id] = std::move(b);
  }
  for (const auto& svc : snap.services()) s.services[svc.name()] = GetService(svc);
  std::vector<std::pair<int64_t, std::string>> buckets;
  for (const auto& b : snap.request_ids()) buckets.emplace_back(b.bucket(), b.digests());
  DVS_ASSIGN_OR_RETURN(s.request_ids, RequestIdWindow::Decode(buckets));
  s.last_checkpoint_size = snap.last_checkpoint_size();
  if (!snap.merkle_frontier().empty()) {
    DVS_ASSIGN_OR_RETURN(out.frontier, MerkleFrontier::Decode(snap.merkle_frontier()));
  }
  return out;
}

Hash StateDigest(const State& state) {
  return Sha256(SerializeDeterministic(ToSnapshot(state, Hash{}, nullptr, /*for_digest=*/true)));
}

}  // namespace dvs
