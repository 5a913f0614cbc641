// RapidCheck properties over random histories: random signers (with and without the needed role),
// random transitions (valid and invalid), random clocks. After every prefix the invariants of
// DESIGN.md hold; refusals change nothing; replay and snapshots are deterministic.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "statemachine/invariants.h"
#include "statemachine/replay.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

// The role a transition needs by hand (automatic decisions need controller).
std::optional<Role> NeededRole(const sm::Transition& t) {
  using T = sm::Transition;
  switch (t.kind_case()) {
    case T::kGrantKey:
    case T::kRevokeKey:
    case T::kSetGovernancePolicy:
      return Role::kRoot;
    case T::kPackage:
      return Role::kPublisher;
    case T::kApprove:
    case T::kReject:
      return Role::kGovernance;
    case T::kObserve:
      return Role::kObserver;
    case T::kRamp:
      return t.ramp().evidence().observation_seqs().empty() ? Role::kReleaseAdmin
                                                            : Role::kController;
    case T::kPromote:
      return t.promote().evidence().observation_seqs().empty() ? Role::kReleaseAdmin
                                                               : Role::kController;
    case T::kRollback:
      return t.rollback().evidence().observation_seqs().empty() ? Role::kReleaseAdmin
                                                                : Role::kController;
    default:
      return Role::kReleaseAdmin;
  }
}

// A random history over two services and a handful of versions.
struct World {
  test::Harness h;
  std::vector<std::string> ids;
  World() { h.Bootstrap(); }

  // Mostly the signer whose role the kind needs; sometimes any key, to exercise refusals.
  const SecretKey& Signer(int kind, int choice) {
    const SecretKey* keys[] = {&h.root,  &h.governance, &h.publisher,
                               &h.admin, &h.observer,   &h.controller};
    if (choice >= 8) return *keys[choice % 6];
    switch (kind) {
      case 0:
        return h.publisher;
      case 1:
      case 2:
        return h.governance;
      case 4:
        return h.observer;
      case 11:
        return h.root;
      default:
        return h.admin;
    }
  }
  // Usually a bundle in a state where `kind` applies, so histories get somewhere; one time in
  // five any bundle at all, so refusals are exercised too.
  std::string PickBundle(int kind, int i) {
    std::vector<std::string> fit;
    for (const auto& [id, b] : h.state.bundles) {
      BundleState st = b.state;
      bool ok = false;
      switch (kind) {
        case 1:
        case 2:
          ok = st == BundleState::kPackaged;
          break;
        case 3:
          ok = st == BundleState::kApproved;
          break;
        case 4:
          ok = st == BundleState::kCanary || st == BundleState::kStable ||
               st == BundleState::kPaused;
          break;
        case 5:
        case 6:
        case 8:
          ok = st == BundleState::kCanary;
          break;
        case 7:
          ok = st == BundleState::kPaused;
          break;
        case 9:
          ok = st == BundleState::kCanary || st == BundleState::kStable;
          break;
        default:
          ok = true;
      }
      if (ok) fit.push_back(id);
    }
    if (i % 5 == 0 || fit.empty()) return ids.empty() ? "nothing" : ids[i % ids.size()];
    return fit[i % fit.size()];
  }

  // Builds a transition of kind `kind` from random numbers; may well be invalid.
  sm::Transition Make(int kind, int a, int b) {
    sm::Transition t;
    const std::string id = PickBundle(kind, a);
    switch (kind) {
      case 0: {
        const char* versions[] = {"1.0", "1.1", "2.0-rc.1", "2.0",   "2.0.1",
                                  "3",   "3.1", "4",        "4.0.1", "5"};
        sm::Manifest m =
            test::Manifest(a % 2 ? "alpha" : "beta", versions[(b + h.state.size / 8) % 10]);
        if (b % 7 == 0) m.set_model("other");  // same version, other content sometimes
        if (b % 11 == 5) (*m.mutable_governance())["license"] = "GPL-3.0";
        t.mutable_package()->set_manifest(EncodeManifest(m));
        ids.push_back(BundleId(m, Sha256(EncodeManifest(m))));
        break;
      }
      case 1:
        t.mutable_approve()->set_bundle(id);
        break;
      case 2:
        t.mutable_reject()->set_bundle(id);
        t.mutable_reject()->set_reason("no");
        break;
      case 3:
        t.mutable_deploy()->set_bundle(id);
        t.mutable_deploy()->set_canary_pct(b % 3 == 0 ? 0 : b % 120);
        break;
      case 4:
        t.mutable_observe()->set_bundle(id);
        (*t.mutable_observe()->mutable_metrics())["error_rate"] = (b % 20) / 10.0;
        (*t.mutable_observe()->mutable_metrics())["latency_ms"] = 100 + (b % 5) * 80;
        t.mutable_observe()->set_samples(b % 300);
        break;
      case 5:
        t.mutable_ramp()->set_bundle(id);
        t.mutable_ramp()->set_to_pct(b % 110);
        break;
      case 6:
        t.mutable_pause()->set_bundle(id);
        break;
      case 7:
        t.mutable_resume()->set_bundle(id);
        break;
      case 8:
        t.mutable_promote()->set_bundle(id);
        break;
      case 9:
        t.mutable_rollback()->set_bundle(id);
        t.mutable_rollback()->set_reason("r");
        break;
      case 10:
        t.mutable_retire()->set_bundle(id);
        t.mutable_retire()->set_reason("r");
        break;
      default: {  // key management: mostly grants, rarely a revocation that stalls a role
        sm::Transition r;
        if (b % 10 == 0) {
          r.mutable_revoke_key()->set_name(b % 20 ? "observer" : "controller");
          r.mutable_revoke_key()->set_reason("rotation");
        } else {
          r.mutable_grant_key()->set_name("k" + std::to_string(b));
          r.mutable_grant_key()->set_public_key(
              std::string(test::KeyFromNumber(200 + b % 50).public_key().bytes()));
          r.mutable_grant_key()->add_roles(b % 3 ? "observer" : "wizard");
        }
        return r;
      }
    }
    return t;
  }
};

// One step of a history: either a random transition by a random signer, or a controller tick.
struct Step {
  int kind, a, b, signer, advance_ms;
};

rc::Gen<std::vector<Step>> GenHistory() {
  const size_t length = *rc::gen::inRange<size_t>(40, 250);
  return rc::gen::container<std::vector<Step>>(
      length,
      rc::gen::construct<Step>(
          rc::gen::weightedElement<int>({{4, 0},
                                         {4, 1},
                                         {1, 2},
                                         {4, 3},
                                         {8, 4},
                                         {1, 5},
                                         {1, 6},
                                         {1, 7},
                                         {1, 8},
                                         {1, 9},
                                         {1, 10},
                                         {1, 11},
                                         {8, 12}}),
          rc::gen::inRange(0, 50), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 10),
          rc::gen::weightedElement<int>({{3, 0}, {2, 30'000}, {2, 61'000}, {1, 3'600'000}})));
}

// What a history reached at some point, to show the generator exercises the rules.
struct Reached {
  bool canary = false, promoted = false, rolled_back = false, automatic = false;
};

// Runs a history, checking per-step properties.
Reached RunHistory(World& w, const std::vector<Step>& steps) {
  Reached reached;
  std::set<std::string> ever_final;
  for (const Step& s : steps) {
    w.h.now += s.advance_ms;
    const State before = w.h.state;
    if (s.kind == 12) {  // a controller tick on a service with a canary
      for (const char* svc : {"alpha", "beta"}) {
        auto it = w.h.state.services.find(svc);
        if (it == w.h.state.services.end() || !it->second.canary) continue;
        Status refusal;
        w.h.Tick(svc, /*must=*/false, &refusal);
        // The controller's decision is Decide's own, so only a revoked controller is refused.
        if (!refusal.ok()) RC_ASSERT(before.keys.at("controller").revoked);
      }
    } else {
      sm::Transition t = w.Make(s.kind, s.a, s.b);
      const SecretKey& signer = w.Signer(s.kind, s.signer);
      Status st = w.h.Submit(signer, t);
      if (st.ok() && t.kind_case() != sm::Transition::kGenesis) {
        // Invariant 6: an accepted entry's signer held the needed role and was not revoked.
        const KeyRecord* k = before.KeyOf(signer.public_key());
        RC_ASSERT(k != nullptr);
        RC_ASSERT(!k->revoked);
        RC_ASSERT(Has(k->roles, *NeededRole(t)));
      }
      if (!st.ok()) {  // a refusal changes nothing
        RC_ASSERT(EncodeSnapshot(w.h.state, Hash{}) == EncodeSnapshot(before, Hash{}));
      }
    }
    Status inv = CheckInvariants(w.h.state);  // invariants 1-5
    RC_ASSERT_FALSE(!inv.ok());
    // Invariant 5 over time: once final, never traffic again.
    for (const auto& [id, b] : w.h.state.bundles) {
      if (IsFinal(b.state)) ever_final.insert(id);
    }
    for (const std::string& id : ever_final) {
      const Bundle& b = w.h.state.bundles.at(id);
      RC_ASSERT(IsFinal(b.state));
      RC_ASSERT(w.h.state.WeightOf(b) == 0u);
    }
    for (const auto& [id, b] : w.h.state.bundles) {
      reached.canary |= b.state == BundleState::kCanary;
      reached.promoted |= b.state == BundleState::kSuperseded;
      reached.rolled_back |= b.state == BundleState::kRolledBack;
    }
    reached.automatic |= !w.h.log.empty() && w.h.log.back().signer == w.h.controller.public_key();
  }
  return reached;
}

RC_GTEST_PROP(StateMachineProperties, InvariantsHoldAfterEveryPrefix, ()) {
  World w;
  Reached r = RunHistory(w, *GenHistory());
  // Printed by RapidCheck as a distribution: a generator that stops exercising the rules shows.
  RC_TAG(r.canary, r.promoted, r.rolled_back, r.automatic);
}

RC_GTEST_PROP(StateMachineProperties, ReplayIsDeterministicAndSnapshotPlusSuffixEqualsFullReplay,
              ()) {
  World w;
  RunHistory(w, *GenHistory());
  State full;
  RC_ASSERT(Replay(&full, w.h.log).ok());
  const std::string want = EncodeSnapshot(w.h.state, Hash{});
  RC_ASSERT(EncodeSnapshot(full, Hash{}) == want);
  const size_t cut = *rc::gen::inRange<size_t>(0, w.h.log.size() + 1);
  State prefix;
  RC_ASSERT(Replay(&prefix, {w.h.log.begin(), w.h.log.begin() + cut}).ok());
  auto snap = DecodeSnapshot(EncodeSnapshot(prefix, Hash{}));
  RC_ASSERT(snap.ok());
  State resumed = snap->state;
  RC_ASSERT(Replay(&resumed, {w.h.log.begin() + cut, w.h.log.end()}).ok());
  RC_ASSERT(EncodeSnapshot(resumed, Hash{}) == want);
}

RC_GTEST_PROP(StateMachineProperties, AutomaticDecisionsEqualDecideOnTheirEvidence, ()) {
  // Invariant 8, from the outside: replay each accepted controller entry against the state before
  // it and recompute Decide on the observations it cites.
  World w;
  RunHistory(w, *GenHistory());
  State s;
  for (const Entry& e : w.h.log) {
    auto t = *ParseTransition(e.body);
    const sm::Evidence* ev = t.has_ramp()       ? &t.ramp().evidence()
                             : t.has_promote()  ? &t.promote().evidence()
                             : t.has_rollback() ? &t.rollback().evidence()
                                                : nullptr;
    if (ev != nullptr && !ev->observation_seqs().empty()) {
      const std::string& id = t.has_ramp()      ? t.ramp().bundle()
                              : t.has_promote() ? t.promote().bundle()
                                                : t.rollback().bundle();
      const Bundle& b = s.bundles.at(id);
      const Service& svc = s.services.at(b.service);
      std::vector<Observation> cited;
      for (uint64_t seq : ev->observation_seqs()) {
        auto o = *ParseTransition(w.h.log[seq].body);
        Observation ob{seq, w.h.log[seq].append_time_ms, {}, o.observe().samples()};
        for (const auto& [k, v] : o.observe().metrics()) ob.metrics[k] = v;
        cited.push_back(ob);
      }
      const Bundle& stable = s.bundles.at(svc.stable);
      Decision d = Decide(b.manifest.rollout(), *svc.canary, cited,
                          stable.latest ? &stable.latest->metrics : nullptr, e.append_time_ms);
      Decision::Kind want = t.has_ramp()      ? Decision::Kind::kStep
                            : t.has_promote() ? Decision::Kind::kPromote
                                              : Decision::Kind::kRollback;
      RC_ASSERT(d.kind == want);
      if (t.has_ramp()) RC_ASSERT(d.to_pct == t.ramp().to_pct());
    }
    RC_ASSERT(ApplyEntry(&s, e).ok());
  }
}

RC_GTEST_PROP(StateMachineProperties, ApplyNeverCrashesOnArbitraryBytes, ()) {
  google::protobuf::LogSilencer quiet;  // invalid UTF-8 in string fields is refused, not news
  World w;
  Entry e = w.h.MakeEntry(w.h.admin, sm::Transition());
  e.body = *rc::gen::container<std::string>(rc::gen::arbitrary<char>());
  const std::string before = EncodeSnapshot(w.h.state, Hash{});
  Status s = ApplyEntry(&w.h.state, e);
  if (!s.ok()) RC_ASSERT(EncodeSnapshot(w.h.state, Hash{}) == before);
}

RC_GTEST_PROP(StateMachineProperties, CorruptedBodiesOfRealEntriesNeverCrash, ()) {
  google::protobuf::LogSilencer quiet;
  World w;
  RunHistory(w, *GenHistory());
  if (w.h.log.size() < 2) return;
  size_t cut = *rc::gen::inRange<size_t>(1, w.h.log.size());
  State s;
  RC_ASSERT(Replay(&s, {w.h.log.begin(), w.h.log.begin() + cut}).ok());
  Entry e = w.h.log[cut];
  if (e.body.empty()) return;
  size_t pos = *rc::gen::inRange<size_t>(0, e.body.size());
  e.body[pos] ^= static_cast<char>(*rc::gen::inRange(1, 256));
  (void)ApplyEntry(&s, e);  // may be accepted or refused; must not crash
  RC_ASSERT(CheckInvariants(s).ok());
}

}  // namespace
}  // namespace dvs
