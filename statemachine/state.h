// The derived State: everything the release rules know, and nothing that replaying the log would
// not yield. Apply (apply.h) is the only function that changes it.
//
// Thread safety: a State is a value; share it read-only or copy it.
#ifndef DVS_STATEMACHINE_STATE_H_
#define DVS_STATEMACHINE_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "statemachine/condition.h"
#include "statemachine/request_ids.h"
#include "statemachine/roles.h"
#include "statemachine/transition.pb.h"
#include "statemachine/warm_set.h"

namespace dvs {

enum class BundleState : uint8_t {
  kPackaged,
  kApproved,
  kRejected,
  kCanary,
  kPaused,
  kStable,
  kSuperseded,
  kRolledBack,
  kRetired,
};
const char* BundleStateName(BundleState s);
// rolled_back, rejected and retired: nothing leaves them.
inline bool IsFinal(BundleState s) {
  return s == BundleState::kRolledBack || s == BundleState::kRejected || s == BundleState::kRetired;
}

struct KeyRecord {
  std::string name;
  PublicKey key;
  RoleSet roles = 0;
  uint64_t granted_seq = 0;
  bool revoked = false;
  uint64_t revoked_seq = 0;
  std::string revoke_reason;
};

struct Observation {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  Metrics metrics;
  uint64_t samples = 0;
  // Where the values came from when dvs measured them (Observe.measurements); empty when pushed.
  std::vector<sm::Measurement> measurements = {};
  std::optional<sm::Measurement> samples_source = {};
};

struct Bundle {
  std::string id;       // <name>_<version>_<6 hex of digest>
  std::string service;  // the manifest's name
  std::string version;
  std::string version_tag;  // <name>_v<version>+<YYYYMMDD of the Package entry's log time>
  Hash digest{};            // SHA-256 of the stored manifest bytes
  sm::Manifest manifest;
  // EncodeManifest(manifest), kept from when the bundle was made (Package encodes it once; a
  // snapshot's decoding keeps the record's bytes, which its check against the checkpoint then
  // covers). A manifest never changes after Package, and without this every state digest, at
  // every checkpoint, would encode every manifest the ledger ever held. Null: encoded when
  // needed. Copies of a state share it.
  std::shared_ptr<const std::string> manifest_bytes;
  BundleState state = BundleState::kPackaged;
  uint64_t packaged_seq = 0;
  std::string packaged_by;
  std::optional<uint64_t> approved_seq;  // set once an Approve applied; never cleared
  std::string approved_by;
  std::string reason;                 // of the reject, rollback or retire
  std::optional<Observation> latest;  // the latest observation of this bundle
};

// A service's canary in flight.
struct Rollout {
  std::string bundle;
  uint32_t weight = 0;  // % of traffic on the canary, 1..100
  bool paused = false;
  int64_t last_decision_ms = 0;      // log time of the deploy or last ramp decision
  std::vector<Observation> pending;  // canary observations since the last decision, in log order
};

// What one router last confirmed it serves for a service (a Confirm entry).
struct RouterConfirmation {
  uint64_t seq = 0;     // the Confirm entry
  int64_t time_ms = 0;  // its log time
  uint64_t table_seq = 0;
  std::map<std::string, uint32_t> weights;  // bundle -> % it serves (bundles with traffic)
  bool operator==(const RouterConfirmation& o) const {
    return seq == o.seq && time_ms == o.time_ms && table_seq == o.table_seq && weights == o.weights;
  }
};

struct Service {
  std::string name;
  std::string stable;  // "" before the first release
  std::optional<Rollout> canary;
  std::vector<std::string> stable_history;    // every bundle that became stable, in order
  WarmSet warm_until;  // superseded bundles kept warm, each until a log time
  // By router: what it last confirmed serving. Cleared when a canary starts, so the routers that
  // gate a rollout's automatic steps are those that confirmed during it.
  std::map<std::string, RouterConfirmation> confirmed;
};

enum class RouteRole : uint8_t { kStable, kCanary, kWarm };
const char* RouteRoleName(RouteRole r);

struct Route {
  std::string bundle;
  std::string version;
  uint32_t weight = 0;
  RouteRole role = RouteRole::kStable;
  bool operator==(const Route& o) const {
    return bundle == o.bundle && version == o.version && weight == o.weight && role == o.role;
  }
};

struct State {
  uint64_t size = 0;         // entries applied; the next seq
  int64_t last_time_ms = 0;  // log time of the last entry applied
  std::string ledger_name;
  std::map<std::string, KeyRecord, std::less<>> keys;         // by name
  std::map<std::string, std::string, std::less<>> key_names;  // public key bytes -> name
  sm::GovernancePolicy policy;
  std::map<std::string, Bundle> bundles;                                // by id
  std::map<std::pair<std::string, std::string>, std::string> versions;  // (name, version) -> id
  std::map<std::string, Service> services;                              // by name
  RequestIdWindow request_ids;  // requests applied within the replay window, to refuse replays
  // The seq of the last Checkpoint entry + 1 (the size it committed to plus itself); 0 if none.
  uint64_t last_checkpoint_size = 0;

  const KeyRecord* KeyOf(const PublicKey& k) const;
  // OK when `k` is granted, not revoked, and holds `role`; else Forbidden, starting with `who`
  // ("--controller-key 1a2b3c4d5e6f7a8b") and saying which: "does not hold the controller role in
  // this ledger (key 'alice' holds release_admin)", "... (no key by that id is granted)" or
  // "... (key 'alice' was revoked)". For programs that check a key before they sign with it.
  Status RequireRole(const PublicKey& k, Role role, const std::string& who) const;
  const Bundle* FindBundle(const std::string& id) const;
  const Service* FindService(const std::string& name) const;
  // The weight a bundle carries now (0 for one that carries no traffic).
  uint32_t WeightOf(const Bundle& b) const;
  // The routing table of one service at log time `now_ms`: stable and canary first, then warm
  // bundles whose window has not ended (weight 0). Empty for an unknown service.
  std::vector<Route> Routes(const std::string& service, int64_t now_ms) const;
};

}  // namespace dvs

#endif  // DVS_STATEMACHINE_STATE_H_
