#include "statemachine/apply.h"

#include <google/protobuf/arena.h>

#include "ledger/assert.h"
#include "statemachine/apply_internal.h"
#include "statemachine/limits.h"
#include "statemachine/manifest_rules.h"

namespace dvs {

namespace apply {

Status Require(const Ctx& c, Role role, const char* action) {
  if (c.key != nullptr && Has(c.key->roles, role)) return Status::OK();
  return Status::Forbidden(std::string(action) + " needs the " + RoleName(role) + " role; key '" +
                           (c.key ? c.key->name : c.signer.Id()) + "' holds " +
                           (c.key ? RoleSetToString(c.key->roles) : "none"));
}

Result<Bundle*> FindBundle(State& s, const std::string& id) {
  auto it = s.bundles.find(id);
  if (it == s.bundles.end()) return Status::Refused("no bundle '" + id + "'");
  return &it->second;
}

}  // namespace apply

namespace {

// What every parsed body must satisfy before any rule looks at it (`body`: the bytes `t` was
// parsed from).
Status CheckParsed(const sm::Transition& t, std::string_view body) {
  if (t.kind_case() == sm::Transition::KIND_NOT_SET) {
    return Status::InvalidArgument("body carries no transition");
  }
  return RefuseUnknownFields(body, sm::Transition::descriptor(), "transition");
}

}  // namespace

Result<sm::Transition> ParseTransition(std::string_view body) {
  sm::Transition t;
  if (!t.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return Status::InvalidArgument("body is not a transition (does not parse)");
  }
  DVS_RETURN_IF_ERROR(CheckParsed(t, body));
  return t;
}

std::string BundleOfTransition(const sm::Transition& t) {
  switch (t.kind_case()) {
    case sm::Transition::kApprove:
      return t.approve().bundle();
    case sm::Transition::kReject:
      return t.reject().bundle();
    case sm::Transition::kDeploy:
      return t.deploy().bundle();
    case sm::Transition::kObserve:
      return t.observe().bundle();
    case sm::Transition::kRamp:
      return t.ramp().bundle();
    case sm::Transition::kPause:
      return t.pause().bundle();
    case sm::Transition::kResume:
      return t.resume().bundle();
    case sm::Transition::kPromote:
      return t.promote().bundle();
    case sm::Transition::kRollback:
      return t.rollback().bundle();
    case sm::Transition::kRetire:
      return t.retire().bundle();
    default:
      return "";
  }
}

const char* TransitionKindName(sm::Transition::KindCase kind) {
  switch (kind) {
    case sm::Transition::kGenesis:
      return "genesis";
    case sm::Transition::kGrantKey:
      return "grant_key";
    case sm::Transition::kRevokeKey:
      return "revoke_key";
    case sm::Transition::kSetGovernancePolicy:
      return "set_policy";
    case sm::Transition::kPackage:
      return "package";
    case sm::Transition::kApprove:
      return "approve";
    case sm::Transition::kReject:
      return "reject";
    case sm::Transition::kDeploy:
      return "deploy";
    case sm::Transition::kObserve:
      return "observe";
    case sm::Transition::kRamp:
      return "ramp";
    case sm::Transition::kPause:
      return "pause";
    case sm::Transition::kResume:
      return "resume";
    case sm::Transition::kPromote:
      return "promote";
    case sm::Transition::kRollback:
      return "rollback";
    case sm::Transition::kRetire:
      return "retire";
    case sm::Transition::kCheckpoint:
      return "checkpoint";
    case sm::Transition::kConfirm:
      return "confirm";
    case sm::Transition::KIND_NOT_SET:
      return "";
  }
  return "";
}

std::string BundleConcerned(const sm::Transition& t) {
  if (!t.has_package()) return BundleOfTransition(t);
  sm::Manifest m;
  if (!m.ParseFromString(t.package().manifest())) return "";
  return BundleId(m, Sha256(t.package().manifest()));
}

const char* TransitionName(const sm::Transition& t) { return TransitionKindName(t.kind_case()); }

namespace {

Status Dispatch(State& s, const apply::Ctx& c, const sm::Transition& t) {
  using T = sm::Transition;
  switch (t.kind_case()) {
    case T::kGenesis:
      return apply::Genesis(s, c, t.genesis());
    case T::kGrantKey:
      return apply::GrantKey(s, c, t.grant_key());
    case T::kRevokeKey:
      return apply::RevokeKey(s, c, t.revoke_key());
    case T::kSetGovernancePolicy:
      return apply::SetPolicy(s, c, t.set_governance_policy());
    case T::kPackage:
      return apply::Package(s, c, t.package());
    case T::kApprove:
      return apply::Approve(s, c, t.approve());
    case T::kReject:
      return apply::Reject(s, c, t.reject());
    case T::kDeploy:
      return apply::Deploy(s, c, t.deploy());
    case T::kObserve:
      return apply::Observe(s, c, t.observe());
    case T::kRamp:
      return apply::Ramp(s, c, t.ramp());
    case T::kPause:
      return apply::Pause(s, c, t.pause());
    case T::kResume:
      return apply::Resume(s, c, t.resume());
    case T::kPromote:
      return apply::Promote(s, c, t.promote());
    case T::kRollback:
      return apply::Rollback(s, c, t.rollback());
    case T::kRetire:
      return apply::Retire(s, c, t.retire());
    case T::kCheckpoint:
      return apply::Checkpoint(s, c, t.checkpoint());
    case T::kConfirm:
      return apply::Confirm(s, c, t.confirm());
    case T::KIND_NOT_SET:
      break;
  }
  return Status::InvalidArgument("body carries no transition");
}

// The bundle a transition concerns, and its service, as of state `s`.
void BundleAndService(const State& s, const sm::Transition& t, Applied* out) {
  if (t.has_package()) {
    sm::Manifest m;
    if (m.ParseFromString(t.package().manifest())) {
      out->bundle = BundleId(m, Sha256(t.package().manifest()));
      out->service = m.name();
    }
    return;
  }
  out->bundle = BundleOfTransition(t);
  if (t.has_confirm()) {
    out->service = t.confirm().service();
    return;
  }
  if (const Bundle* b = s.FindBundle(out->bundle)) out->service = b->service;
}

// "3 h 12 min", "45 s": a duration for people.
std::string DurationText(int64_t ms) {
  const int64_t s = ms / 1000, h = s / 3600, m = s % 3600 / 60;
  if (h > 0) return std::to_string(h) + " h" + (m ? " " + std::to_string(m) + " min" : "");
  if (m > 0) return std::to_string(m) + " min";
  return std::to_string(s) + " s";
}

Status ApplyChecked(State* state, const Entry& entry, Applied* applied, const Hash* state_digest) {
  State& s = *state;
  if (entry.seq != s.size) {
    return Status::Corruption("entry seq " + std::to_string(entry.seq) +
                              " applied to a state of size " + std::to_string(s.size));
  }
  if (entry.seq > 0 && entry.append_time_ms < s.last_time_ms) {
    return Status::Refused("log time " + std::to_string(entry.append_time_ms) +
                           " is earlier than the previous entry's " +
                           std::to_string(s.last_time_ms));
  }
  // Parsed into an arena whose first block is on the stack: no allocation for a typical entry
  // (replay speed).
  alignas(8) char first_block[2048];
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = first_block;
  arena_options.initial_block_size = sizeof(first_block);
  google::protobuf::Arena arena(arena_options);
  sm::Transition& t = *google::protobuf::Arena::CreateMessage<sm::Transition>(&arena);
  if (!t.ParseFromArray(entry.body.data(), static_cast<int>(entry.body.size()))) {
    return Status::InvalidArgument("body is not a transition (does not parse)");
  }
  DVS_RETURN_IF_ERROR(CheckParsed(t, entry.body));
  RequestIdSet::Digest request;
  DVS_RETURN_IF_ERROR(CheckRequest(s, t, entry.append_time_ms, &request));
  const int64_t actor_ms = t.actor_time_ms();
  const bool genesis = t.kind_case() == sm::Transition::kGenesis;
  if (entry.seq == 0 && !genesis) return Status::Refused("entry 0 must be genesis");
  const KeyRecord* key = s.KeyOf(entry.signer);
  if (!genesis) {
    if (key == nullptr) {
      return Status::Forbidden("signer key " + entry.signer.Id() + " is not registered");
    }
    if (key->revoked) {
      return Status::Forbidden("key '" + key->name + "' was revoked at seq " +
                               std::to_string(key->revoked_seq) + ": " + key->revoke_reason);
    }
  }
  apply::Ctx c{entry.seq, entry.append_time_ms, entry.signer, key, state_digest};
  if (applied != nullptr) {
    *applied = Applied{.details = applied->details};
    applied->kind = t.kind_case();
    if (applied->details) {
      BundleAndService(s, t, applied);
      const Bundle* before = s.FindBundle(applied->bundle);
      applied->weight_before = before ? s.WeightOf(*before) : 0;
    }
  }
  Status st = Dispatch(s, c, t);
  if (!st.ok()) return st.Prefixed(TransitionName(t));
  if (applied != nullptr) {
    if (applied->details) {
      const Bundle* after = s.FindBundle(applied->bundle);
      applied->weight_after = after ? s.WeightOf(*after) : 0;
      // A service with a stable bundle routes exactly 100 % (invariant 2): the rules above keep
      // it so; this only catches a rule that broke it, before the write path commits.
      if (const Service* svc = s.FindService(applied->service); svc && !svc->stable.empty()) {
        uint32_t total = 0;
        for (const Route& r : s.Routes(svc->name, entry.append_time_ms)) total += r.weight;
        DVS_ASSERT(total == 100);
      }
    }
    if (t.has_checkpoint()) applied->checkpoint_root = t.checkpoint().root();
  }
  s.request_ids.Insert(request, actor_ms);
  s.request_ids.Prune(entry.append_time_ms);
  s.size = entry.seq + 1;
  s.last_time_ms = entry.append_time_ms;
  return Status::OK();
}

}  // namespace

Status CheckRequest(const State& s, const sm::Transition& t, int64_t log_time_ms,
                    RequestIdSet::Digest* digest) {
  if (t.request_id().empty()) return Status::InvalidArgument("request_id is required");
  if (t.request_id().size() > kMaxRequestIdLength) {
    return Status::InvalidArgument("request_id is longer than " +
                                   std::to_string(kMaxRequestIdLength) + " characters");
  }
  DVS_RETURN_IF_ERROR(CheckPrintable("request_id", t.request_id()));
  // Replays are refused in two ways: a request signed more than the window away from its log
  // time is refused outright, and within the window its id must be new. So the state remembers
  // only the window's ids (request_ids.h), and what it holds does not grow with the ledger.
  const int64_t actor_ms = t.actor_time_ms();
  const int64_t skew_ms = log_time_ms - actor_ms;
  if (skew_ms > RequestIdWindow::kWindowMs || -skew_ms > RequestIdWindow::kWindowMs) {
    return Status::Refused("request " + t.request_id() + " was signed " +
                           DurationText(skew_ms > 0 ? skew_ms : -skew_ms) +
                           (skew_ms > 0 ? " before" : " after") +
                           " the log time it would be applied at; a request "
                           "must be applied within " +
                           DurationText(RequestIdWindow::kWindowMs) + " of being signed (" +
                           (skew_ms > 0 ? "sign it again" : "check the signer's clock") + ")");
  }
  const RequestIdSet::Digest request = RequestIdSet::DigestOf(t.request_id());
  if (s.request_ids.Contains(request, actor_ms)) {
    return Status::Refused("request " + t.request_id() +
                           " was already applied (a replayed signed request)");
  }
  if (digest != nullptr) *digest = request;
  return Status::OK();
}

Status ApplyEntry(State* state, const Entry& entry, Applied* applied, const Hash* state_digest) {
  return ApplyChecked(state, entry, applied, state_digest);
}

Result<State> Apply(const State& state, const Entry& entry) {
  State next = state;
  DVS_RETURN_IF_ERROR(ApplyEntry(&next, entry));
  return next;
}

}  // namespace dvs
