// RapidCheck properties over random histories: random signers (with and without the needed role),
// random transitions (valid and invalid), random clocks. After every prefix the invariants of
// DESIGN.md hold; refusals change nothing; replay and snapshots are deterministic.
#include <google/protobuf/stubs/logging.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdio>

#include "statemachine/invariants.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/replay.h"
#include "statemachine/snapshot.pb.h"
#include "statemachine/snapshot_digest.h"
#include "tests/statemachine/harness.h"
#include "tests/statemachine/random_history.h"

namespace dvs {
namespace {

using test::GenHistory;
using test::Step;
using test::World;

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
    } else if (s.kind == 13) {
      w.ShipNext(s.a);
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

// The invariants are only as well tested as the histories that reach the states they are about:
// the run counts what its histories reached and fails when the generator stops reaching canaries
// and automatic decisions often enough (a generator change that starves them fails here).
TEST(StateMachineProperties, InvariantsHoldAfterEveryPrefix) {
  int runs = 0, canary = 0, promoted = 0, rolled_back = 0, automatic = 0;
  const bool ok = rc::check("invariants hold after every prefix of a random history", [&] {
    World w;
    Reached r = RunHistory(w, *GenHistory());
    ++runs;
    canary += r.canary;
    promoted += r.promoted;
    rolled_back += r.rolled_back;
    automatic += r.automatic;
  });
  EXPECT_TRUE(ok);
  ASSERT_GT(runs, 0);
  std::printf(
      "%d histories: %d%% reached a canary, %d%% an automatic decision, %d%% a promotion, "
      "%d%% a rollback\n",
      runs, 100 * canary / runs, 100 * automatic / runs, 100 * promoted / runs,
      100 * rolled_back / runs);
  EXPECT_GE(100 * canary, 40 * runs) << canary << " of " << runs << " histories reached a canary";
  EXPECT_GE(100 * automatic, 25 * runs)
      << automatic << " of " << runs << " histories contain an automatic decision";
  EXPECT_GE(100 * promoted, 10 * runs) << promoted << " of " << runs << " promoted";
  EXPECT_GE(100 * rolled_back, 10 * runs) << rolled_back << " of " << runs << " rolled back";
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

RC_GTEST_PROP(StateMachineProperties, ASnapshotRecordsDigestIsItsStatesDigest, ()) {
  // What opening a ledger relies on (statemachine/snapshot_digest.h): the digest taken from a
  // record's own bytes is the state's, whatever the head hash and frontier stored beside it, and
  // decoding the record gives a state of that same digest.
  World w;
  RunHistory(w, *GenHistory());
  const size_t cut = *rc::gen::inRange<size_t>(0, w.h.log.size() + 1);
  State prefix;
  RC_ASSERT(Replay(&prefix, {w.h.log.begin(), w.h.log.begin() + cut}).ok());
  MerkleFrontier frontier;
  for (size_t i = 0; i < cut; ++i) frontier.Append(LeafHash(w.h.log[i].Encode()));
  const Hash head = cut > 0 ? LeafHash(w.h.log[cut - 1].Encode()) : Hash{};
  const std::string record = EncodeSnapshot(prefix, head, &frontier);
  auto snap = DecodeSnapshot(record);
  RC_ASSERT(snap.ok());
  const Hash want = StateDigest(prefix);
  RC_ASSERT(RecordStateDigest(record, *snap) == want);
  RC_ASSERT(StateDigest(snap->state) == want);
  // A record with one byte of a bundle changed is never taken for the state's.
  if (!prefix.bundles.empty()) {
    std::string edited = record;
    const size_t at = edited.find(prefix.bundles.begin()->first);
    RC_ASSERT(at != std::string::npos);
    edited[at] ^= 0x01;
    auto e = DecodeSnapshot(edited);
    if (e.ok()) RC_ASSERT(RecordStateDigest(edited, *e) != want);
    // Nor is a record whose manifest bytes decode to the same manifest but are not its
    // deterministic encoding (a name written twice; the last wins): the state would keep those
    // bytes, and every later checkpoint of it would commit to them.
    sm::Snapshot msg;
    RC_ASSERT(msg.ParseFromString(record));
    sm::SnapBundle* b = msg.mutable_bundles(0);
    sm::Manifest name_only;
    name_only.set_name(prefix.bundles.at(b->id()).manifest.name());
    b->set_manifest(b->manifest() + name_only.SerializeAsString());
    const std::string redundant = SerializeDeterministic(msg);
    auto r = DecodeSnapshot(redundant);
    RC_ASSERT(r.ok());
    RC_ASSERT(r->state.bundles.at(b->id()).manifest.name() == name_only.name());
    RC_ASSERT(RecordStateDigest(redundant, *r) != want);
    RC_ASSERT(StateDigest(r->state) != want);
  }
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
