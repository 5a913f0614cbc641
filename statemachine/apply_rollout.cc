// A bundle carrying traffic: deploy, observe, ramp, pause, resume, promote, rollback.
//
// Ramp, Promote and Rollback are automatic when they cite evidence: the signer must then be a
// controller, the evidence must be exactly the rollout's observations since its last decision,
// and Decide() on them must give the same decision. Without evidence they are a release_admin's
// decision by hand, and the record says so.
#include <cmath>
#include <set>

#include "statemachine/apply_internal.h"
#include "statemachine/confirm.h"
#include "statemachine/decide.h"
#include "statemachine/limits.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/version.h"

namespace dvs::apply {

namespace {

Service& ServiceOf(State& s, const Bundle& b) {
  Service& svc = s.services[b.service];
  svc.name = b.service;
  return svc;
}

// The rollout whose canary is `b`, or Refused.
Result<Rollout*> CanaryRollout(State& s, const Bundle& b, const char* action) {
  auto it = s.services.find(b.service);
  if (it == s.services.end() || !it->second.canary || it->second.canary->bundle != b.id) {
    return Status::Refused(std::string(action) + " needs a canary; bundle " + b.id + " is " +
                           BundleStateName(b.state));
  }
  return &*it->second.canary;
}

std::string Seqs(const std::vector<uint64_t>& v) {
  std::string out;
  for (uint64_t x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return "[" + out + "]";
}

// Checks an automatic decision against Decide() on its evidence.
Status CheckAutomatic(const State& s, const Ctx& c, const Bundle& b, const Rollout& r,
                      const sm::Evidence& ev, const Decision& claimed) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kController, "an automatic decision"));
  std::vector<uint64_t> cited(ev.observation_seqs().begin(), ev.observation_seqs().end());
  std::vector<uint64_t> pending;
  for (const Observation& o : r.pending) pending.push_back(o.seq);
  if (cited != pending) {
    return Status::Refused("evidence " + Seqs(cited) + " is not exactly the observations of " +
                           b.id + " since its last decision " + Seqs(pending));
  }
  Decision d = DecideForService(s, s.services.at(b.service), c.time_ms);
  if (!(d == claimed)) {
    std::string got = DecisionKindName(d.kind);
    if (d.kind == Decision::Kind::kStep) got += " to " + std::to_string(d.to_pct) + " %";
    return Status::Refused("the policy decides " + got + " (" + d.reason +
                           ") on this evidence, not " + DecisionKindName(claimed.kind) +
                           (claimed.kind == Decision::Kind::kStep
                                ? " to " + std::to_string(claimed.to_pct) + " %"
                                : std::string()));
  }
  // The reason people read is the policy's own, re-derived here: a controller cannot sign a
  // rollback that cites one thing and says another.
  if ((claimed.kind == Decision::Kind::kRollback || claimed.kind == Decision::Kind::kPause) &&
      claimed.reason != d.reason) {
    return Status::Refused(std::string("an automatic ") + DecisionKindName(claimed.kind) +
                           "'s reason must be the policy's own ('" + d.reason + "'), not '" +
                           claimed.reason + "'");
  }
  return Status::OK();
}

// Automatic (evidence cited) or by hand (release_admin).
Status Authorize(const State& s, const Ctx& c, const Bundle& b, const Rollout* r,
                 const sm::Evidence& ev, const Decision& claimed, const char* action) {
  if (ev.observation_seqs().empty()) return Require(c, Role::kReleaseAdmin, action);
  if (r == nullptr)
    return Status::Refused(std::string(action) + " of a stable bundle is never automatic");
  if (r->paused)
    return Status::Refused("bundle " + b.id + " is paused; the controller does not act on it");
  DVS_RETURN_IF_ERROR(CheckAutomatic(s, c, b, *r, ev, claimed));
  // A step waits until the routers serve the previous one; a rollback never waits.
  if (claimed.kind != Decision::Kind::kRollback) {
    if (auto wait = StepWaitsForRouter(s, s.services.at(b.service), {})) {
      return Status::Refused("an automatic decision of " + b.id +
                             " waits for the routers: " + *wait);
    }
  }
  return Status::OK();
}

}  // namespace

Status Deploy(State& s, const Ctx& c, const sm::Deploy& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kReleaseAdmin, "deploying"));
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  if (b->state == BundleState::kPackaged) {
    return Status::Refused(
        "bundle " + b->id +
        " is not approved; no bundle carries traffic unless governance approved it");
  }
  if (b->state != BundleState::kApproved) {
    return Status::Refused(
        "bundle " + b->id + " is " + BundleStateName(b->state) +
        (IsFinal(b->state) ? ", which is final" : "; only an approved bundle can be deployed"));
  }
  const uint32_t pct = m.canary_pct() != 0 ? m.canary_pct() : b->manifest.canary_pct();
  if (pct < 1 || pct > 100) {
    return Status::InvalidArgument("canary_pct " + std::to_string(pct) + " is outside 1..100");
  }
  const Service* existing = s.FindService(b->service);
  const bool first_release = existing == nullptr || existing->stable.empty();
  if (!first_release) {
    if (existing->canary) {
      return Status::Refused("service " + b->service + " already has a canary, " +
                             existing->canary->bundle + " (one canary per service)");
    }
    const Bundle& stable = s.bundles.at(existing->stable);
    if (CompareVersions(*ParseVersion(b->version), *ParseVersion(stable.version)) <= 0) {
      return Status::Refused("version " + b->version + " is not newer than the stable " +
                             stable.version + " of " + b->service +
                             "; to return to an older bundle, roll back");
    }
  }
  Service& svc = ServiceOf(s, *b);
  if (first_release) {
    b->state = BundleState::kStable;
    svc.stable = b->id;
    svc.stable_history.push_back(b->id);
  } else {
    b->state = BundleState::kCanary;
    svc.canary = Rollout{b->id, pct, false, c.time_ms, {}};
    svc.confirmed.clear();  // the routers confirm this rollout afresh
  }
  return Status::OK();
}

namespace {

// Where a measured value came from: checked like every signed text, and consistent with the
// values (a value measurement's number is in the metrics map; nothing else is).
Status CheckMeasurement(const sm::Measurement& m, const std::string& where) {
  if (m.outcome() == sm::Measurement::OUTCOME_UNSPECIFIED) {
    return Status::InvalidArgument(where + " has no outcome");
  }
  DVS_RETURN_IF_ERROR(CheckPrintable(where + ".provider", m.provider()));
  DVS_RETURN_IF_ERROR(CheckPrintable(where + ".address", m.address()));
  DVS_RETURN_IF_ERROR(CheckPrintable(where + ".query", m.query()));
  DVS_RETURN_IF_ERROR(CheckPrintable(where + ".detail", m.detail()));
  for (const std::string* f : {&m.provider(), &m.address(), &m.query(), &m.detail()}) {
    if (f->size() > kMaxFieldLength) {
      return Status::InvalidArgument(where + " has a field over " +
                                     std::to_string(kMaxFieldLength) + " bytes");
    }
  }
  if (m.provider().empty()) return Status::InvalidArgument(where + " names no provider");
  if (!m.answer_sha256().empty() && m.answer_sha256().size() != kHashSize) {
    return Status::InvalidArgument(where + ".answer_sha256 is not 32 bytes");
  }
  if (m.outcome() != sm::Measurement::OUTCOME_VALUE && m.detail().empty()) {
    return Status::InvalidArgument(where + " has no value and does not say why (detail)");
  }
  if (m.end_ms() < m.start_ms()) return Status::InvalidArgument(where + " ends before it starts");
  return Status::OK();
}

Status CheckMeasurements(const sm::Observe& m) {
  if (m.measurements_size() > static_cast<int>(kMaxMapEntries)) {
    return Status::InvalidArgument("an observation has at most " + std::to_string(kMaxMapEntries) +
                                   " measurements");
  }
  std::set<std::string> seen;
  for (const sm::Measurement& x : m.measurements()) {
    const std::string where = "measurement of " + x.metric();
    if (!IsMetricName(x.metric()))
      return Status::InvalidArgument("measurement metric name '" + x.metric() + "' is not valid");
    if (!seen.insert(x.metric()).second) return Status::InvalidArgument(where + " appears twice");
    DVS_RETURN_IF_ERROR(CheckMeasurement(x, where));
    const bool has_value = m.metrics().count(x.metric()) != 0;
    if (has_value != (x.outcome() == sm::Measurement::OUTCOME_VALUE)) {
      return Status::InvalidArgument(where + (has_value
                                                  ? " has a value but its outcome is not value"
                                                  : " has outcome value but no value"));
    }
  }
  for (const auto& [name, value] : m.metrics()) {
    if (seen.count(name) == 0)
      return Status::InvalidArgument("metric " + name +
                                     " has no measurement saying where it came from");
  }
  if (m.has_samples_measurement()) {
    DVS_RETURN_IF_ERROR(CheckMeasurement(m.samples_measurement(), "samples measurement"));
  }
  return Status::OK();
}

}  // namespace

Status Observe(State& s, const Ctx& c, const sm::Observe& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kObserver, "reporting metrics"));
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  if (b->state != BundleState::kCanary && b->state != BundleState::kPaused &&
      b->state != BundleState::kStable) {
    return Status::Refused("bundle " + b->id + " is " + BundleStateName(b->state) +
                           " and carries no traffic; there is nothing to observe");
  }
  // A measured round may have no value at all (every provider failed): the measurements say why.
  const bool measured = m.measurements_size() > 0 || m.has_samples_measurement();
  if (m.metrics().empty() && !measured)
    return Status::InvalidArgument("an observation needs at least one metric");
  if (m.metrics_size() > static_cast<int>(kMaxMapEntries)) {
    return Status::InvalidArgument("an observation has at most " + std::to_string(kMaxMapEntries) +
                                   " metrics");
  }
  Observation o{c.seq, c.time_ms, {}, m.samples()};
  for (const auto& [name, value] : m.metrics()) {
    if (!IsMetricName(name))
      return Status::InvalidArgument("metric name '" + name + "' is not valid");
    if (!std::isfinite(value))
      return Status::InvalidArgument("metric " + name + " is not a finite number");
    o.metrics[name] = value;
  }
  if (m.samples() == 0 && !measured) return Status::InvalidArgument("samples must be at least 1");
  if (measured) {
    DVS_RETURN_IF_ERROR(CheckMeasurements(m));
    o.measurements.assign(m.measurements().begin(), m.measurements().end());
    if (m.has_samples_measurement()) o.samples_source = m.samples_measurement();
  }
  Service& svc = ServiceOf(s, *b);
  if (svc.canary && svc.canary->bundle == b->id) svc.canary->pending.push_back(o);
  b->latest = std::move(o);
  return Status::OK();
}

Status Ramp(State& s, const Ctx& c, const sm::Ramp& m) {
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  // First, whoever signed it (the CLI caps its flag, but an entry made with the library or by
  // hand reaches Apply unfiltered): the stable's share is 100 - canary, so invariant 2 rests here.
  if (m.to_pct() < 1 || m.to_pct() > 100) {
    return Status::InvalidArgument("ramp of " + b->id + " to " + std::to_string(m.to_pct()) +
                                   " % is outside 1..100");
  }
  DVS_ASSIGN_OR_RETURN(Rollout * r, CanaryRollout(s, *b, "ramping"));
  if (r->paused) return Status::Refused("bundle " + b->id + " is paused; resume it first");
  DVS_RETURN_IF_ERROR(Authorize(s, c, *b, r, m.evidence(),
                                Decision{Decision::Kind::kStep, m.to_pct(), ""}, "ramping"));
  if (m.to_pct() <= r->weight) {
    return Status::Refused("ramp of " + b->id + " to " + std::to_string(m.to_pct()) +
                           " %: must be above the current " + std::to_string(r->weight) + " %");
  }
  r->weight = m.to_pct();
  r->last_decision_ms = c.time_ms;
  r->pending.clear();
  return Status::OK();
}

// By hand (release_admin), or automatic (a controller citing the inconclusive measurements that
// reached the analysis' inconclusive_limit: a person must look).
Status Pause(State& s, const Ctx& c, const sm::Pause& m) {
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  DVS_ASSIGN_OR_RETURN(Rollout * r, CanaryRollout(s, *b, "pausing"));
  if (r->paused) return Status::Refused("bundle " + b->id + " is already paused");
  const bool automatic = !m.evidence().observation_seqs().empty();
  DVS_RETURN_IF_ERROR(Authorize(s, c, *b, r, m.evidence(),
                                Decision{Decision::Kind::kPause, 0, m.reason()}, "pausing"));
  if (!m.reason().empty() || automatic) DVS_RETURN_IF_ERROR(CheckReason("reason", m.reason()));
  if (automatic) {
    r->last_decision_ms = c.time_ms;
    r->pending.clear();
  }
  r->paused = true;
  b->state = BundleState::kPaused;
  return Status::OK();
}

Status Resume(State& s, const Ctx& c, const sm::Resume& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kReleaseAdmin, "resuming"));
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  DVS_ASSIGN_OR_RETURN(Rollout * r, CanaryRollout(s, *b, "resuming"));
  if (!r->paused) return Status::Refused("bundle " + b->id + " is not paused");
  r->paused = false;
  b->state = BundleState::kCanary;
  return Status::OK();
}

Status Promote(State& s, const Ctx& c, const sm::Promote& m) {
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  DVS_ASSIGN_OR_RETURN(Rollout * r, CanaryRollout(s, *b, "promoting"));
  DVS_RETURN_IF_ERROR(
      Authorize(s, c, *b, r, m.evidence(), Decision{Decision::Kind::kPromote, 0, ""}, "promoting"));
  Service& svc = ServiceOf(s, *b);
  Bundle& old = s.bundles.at(svc.stable);
  old.state = BundleState::kSuperseded;
  svc.warm_until.Put(old.id, c.time_ms + b->manifest.rollout().warm_for_ms());
  b->state = BundleState::kStable;
  svc.stable = b->id;
  svc.stable_history.push_back(b->id);
  svc.canary.reset();
  return Status::OK();
}

Status Rollback(State& s, const Ctx& c, const sm::Rollback& m) {
  DVS_ASSIGN_OR_RETURN(Bundle * b, FindBundle(s, m.bundle()));
  if (b->state == BundleState::kCanary || b->state == BundleState::kPaused) {
    DVS_ASSIGN_OR_RETURN(Rollout * r, CanaryRollout(s, *b, "rolling back"));
    DVS_RETURN_IF_ERROR(Authorize(s, c, *b, r, m.evidence(),
                                  Decision{Decision::Kind::kRollback, 0, m.reason()},
                                  "rolling back"));
    DVS_RETURN_IF_ERROR(CheckReason("reason", m.reason()));
    b->state = BundleState::kRolledBack;
    b->reason = m.reason();
    ServiceOf(s, *b).canary.reset();  // 100 % back to the stable
    return Status::OK();
  }
  if (b->state != BundleState::kStable) {
    return Status::Refused("bundle " + b->id + " is " + BundleStateName(b->state) +
                           "; only a canary or the stable bundle can be rolled back");
  }
  DVS_RETURN_IF_ERROR(Authorize(s, c, *b, nullptr, m.evidence(), Decision{}, "rolling back"));
  DVS_RETURN_IF_ERROR(CheckReason("reason", m.reason()));
  Service& svc = ServiceOf(s, *b);
  if (svc.canary) {
    return Status::Refused("service " + svc.name + " has a canary in flight, " +
                           svc.canary->bundle + "; roll it back first");
  }
  // Previous good: the last bundle that was stable before and is now superseded (not failed,
  // not retired). History decides, not version strings.
  const Bundle* target = nullptr;
  for (auto it = svc.stable_history.rbegin(); it != svc.stable_history.rend(); ++it) {
    const Bundle& cand = s.bundles.at(*it);
    if (cand.id != b->id && cand.state == BundleState::kSuperseded) {
      target = &cand;
      break;
    }
  }
  if (target == nullptr) {
    return Status::Refused("no previous good bundle for " + svc.name +
                           ": no earlier stable is superseded (rolled back, retired or none)");
  }
  const std::string target_id = target->id;
  b->state = BundleState::kRolledBack;
  b->reason = m.reason();
  s.bundles.at(target_id).state = BundleState::kStable;
  svc.warm_until.Erase(target_id);
  svc.stable = target_id;
  svc.stable_history.push_back(target_id);
  return Status::OK();
}

}  // namespace dvs::apply
