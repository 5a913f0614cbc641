// Invariant 8 against a lying controller: besides Decide's own decision, the controller key signs
// decisions that differ from it in one way each (the target weight, a promote below 100 %, a
// rollback on healthy evidence, evidence already used by an earlier decision, evidence observed on
// another bundle). Apply must refuse every one of them and change nothing, and the honest decision
// must still be accepted afterwards. The run counts how often each forgery met the state that makes
// it interesting, and fails when the generator stopped producing it.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>

#include "statemachine/invariants.h"
#include "statemachine/replay.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

enum Forgery {
  kWrongWeight,      // a step to another % than Decide's step
  kPromoteBelow100,  // promote while Decide steps
  kRollbackHealthy,  // rollback while Decide steps or promotes
  kStepWhenUnhealthy,
  kStaleEvidence,   // evidence observed before the last decision
  kOtherBundle,     // observations of another service's canary, decided on faithfully
  kStableEvidence,  // observations of the stable bundle
  kForgeryKinds,
};
const char* const kForgeryNames[] = {
    "wrong_weight",   "promote_below_100",     "rollback_healthy",      "step_when_unhealthy",
    "stale_evidence", "other_bundle_evidence", "stable_bundle_evidence"};

struct Tally {
  int runs = 0;
  int forged[kForgeryKinds] = {};
  int honest = 0;
};

sm::Evidence EvidenceOf(const std::vector<Observation>& obs) {
  sm::Evidence ev;
  for (const Observation& o : obs) ev.add_observation_seqs(o.seq);
  return ev;
}

// The transition the controller would sign for `d` on `bundle` citing `obs`.
sm::Transition Signed(const std::string& bundle, Decision::Kind kind, uint32_t to_pct,
                      const std::vector<Observation>& obs) {
  sm::Transition t;
  switch (kind) {
    case Decision::Kind::kStep:
      t.mutable_ramp()->set_bundle(bundle);
      t.mutable_ramp()->set_to_pct(to_pct);
      *t.mutable_ramp()->mutable_evidence() = EvidenceOf(obs);
      break;
    case Decision::Kind::kPromote:
      t.mutable_promote()->set_bundle(bundle);
      *t.mutable_promote()->mutable_evidence() = EvidenceOf(obs);
      break;
    case Decision::Kind::kPause:
      t.mutable_pause()->set_bundle(bundle);
      t.mutable_pause()->set_reason("forged");
      *t.mutable_pause()->mutable_evidence() = EvidenceOf(obs);
      break;
    case Decision::Kind::kRollback:
    case Decision::Kind::kHold:
      t.mutable_rollback()->set_bundle(bundle);
      t.mutable_rollback()->set_reason("forged");
      *t.mutable_rollback()->mutable_evidence() = EvidenceOf(obs);
      break;
  }
  return t;
}

struct Step {
  int kind;  // 0-2 observe the canary (healthy, unhealthy, between); 3 the stable; 4 the other
             // service's canary; 5 advance the clock; 6 tick
  int value;
};

class LyingController {
 public:
  explicit LyingController(Tally& tally) : tally_(tally) {
    h_.Bootstrap();
    h_.Release("svc", "1.0");
    h_.Release("other", "1.0");
    canary_ = h_.Release("svc", "2.0");
    other_ = h_.Release("other", "2.0");
  }

  void Run(const std::vector<Step>& steps) {
    for (const Step& s : steps) {
      const Service& svc = h_.state.services.at("svc");
      if (!svc.canary) {  // promoted or rolled back: the next version goes out as a canary
        canary_ = h_.Release("svc", std::to_string(++next_major_) + ".0");
        last_evidence_.clear();
      }
      const uint64_t samples = 40 + s.value % 120;
      switch (s.kind) {
        case 0:
          RC_ASSERT(h_.Observe(canary_, 0.01, 120, samples).ok());
          break;
        case 1:
          RC_ASSERT(h_.Observe(canary_, 2.5, 150, samples).ok());
          break;
        case 2:
          RC_ASSERT(h_.Observe(canary_, 0.5, 300, samples).ok());
          break;
        case 3:
          RC_ASSERT(h_.Observe(svc.stable, 0.02, 110, samples).ok());
          break;
        case 4:
          RC_ASSERT(h_.Observe(other_, 0.01, 100, samples).ok());
          break;
        case 5:
          h_.now += s.value % 3 ? 61'000 : 20'000;
          break;
        default:
          Tick();
      }
    }
  }

 private:
  void ExpectRefused(const sm::Transition& t, Forgery f) {
    const std::string before = EncodeSnapshot(h_.state, Hash{});
    Status st = h_.Submit(h_.controller, t);
    RC_ASSERT(!st.ok());
    RC_ASSERT(EncodeSnapshot(h_.state, Hash{}) == before);
    ++tally_.forged[f];
  }

  void Tick() {
    const Service& svc = h_.state.services.at("svc");
    const Rollout& r = *svc.canary;
    const std::vector<Observation> pending = r.pending;
    const Decision d = DecideForService(h_.state, svc, h_.now);
    if (!pending.empty()) {
      if (d.kind == Decision::Kind::kStep) {
        for (uint32_t pct : {r.weight + 1, d.to_pct - 1, d.to_pct + 1, 100u}) {
          if (pct != d.to_pct && pct > r.weight && pct <= 100)
            ExpectRefused(Signed(r.bundle, Decision::Kind::kStep, pct, pending), kWrongWeight);
        }
        ExpectRefused(Signed(r.bundle, Decision::Kind::kPromote, 0, pending), kPromoteBelow100);
      }
      if (d.kind == Decision::Kind::kStep || d.kind == Decision::Kind::kPromote)
        ExpectRefused(Signed(r.bundle, Decision::Kind::kRollback, 0, pending), kRollbackHealthy);
      if (d.kind == Decision::Kind::kRollback && r.weight < 100) {
        const uint32_t to = std::min<uint32_t>(100, r.weight + 20);
        ExpectRefused(Signed(r.bundle, Decision::Kind::kStep, to, pending), kStepWhenUnhealthy);
      }
    }
    // Evidence that an earlier decision already used, decided on faithfully.
    if (!last_evidence_.empty()) ForgeOn(r, last_evidence_, kStaleEvidence, pending);
    // Another bundle's observations, decided on faithfully as if they were the canary's.
    const Service& other = h_.state.services.at("other");
    if (other.canary && !other.canary->pending.empty())
      ForgeOn(r, other.canary->pending, kOtherBundle, pending);
    const Bundle& stable = h_.state.bundles.at(svc.stable);
    if (stable.latest) ForgeOn(r, {*stable.latest}, kStableEvidence, pending);

    Status honest;
    const Decision done = h_.Tick("svc", /*must=*/false, &honest);
    RC_ASSERT(honest.ok());
    RC_ASSERT(done == d);
    if (done.kind != Decision::Kind::kHold) {
      ++tally_.honest;
      last_evidence_ = pending;
    }
    RC_ASSERT(CheckInvariants(h_.state).ok());
  }

  // Signs what Decide says on `cited` (or a step, when it holds) for the canary; the evidence is
  // not the canary's pending observations, so Apply must refuse it whatever the decision.
  void ForgeOn(const Rollout& r, const std::vector<Observation>& cited, Forgery f,
               const std::vector<Observation>& pending) {
    std::vector<Observation> evidence = cited;
    if (f == kStaleEvidence) {  // the old observations, alone and followed by the new ones
      evidence.insert(evidence.end(), pending.begin(), pending.end());
    }
    const Bundle& stable = h_.state.bundles.at(h_.state.services.at("svc").stable);
    Decision d = Decide(h_.state.bundles.at(r.bundle).manifest.rollout(), r, evidence,
                        stable.latest ? &stable.latest->metrics : nullptr, h_.now);
    if (d.kind == Decision::Kind::kHold) d = {Decision::Kind::kStep, 100, ""};
    if (d.kind == Decision::Kind::kStep && d.to_pct <= r.weight) return;  // the range refuses it
    ExpectRefused(Signed(r.bundle, d.kind, d.to_pct, evidence), f);
    if (f == kStaleEvidence && !pending.empty()) {
      ExpectRefused(Signed(r.bundle, d.kind, d.to_pct, cited), f);
    }
  }

  Tally& tally_;
  test::Harness h_;
  std::string canary_, other_;
  int next_major_ = 2;
  std::vector<Observation> last_evidence_;
};

rc::Gen<std::vector<Step>> GenSteps() {
  return rc::gen::container<std::vector<Step>>(
      *rc::gen::inRange<size_t>(20, 80),
      rc::gen::construct<Step>(
          rc::gen::weightedElement<int>({{8, 0}, {2, 1}, {1, 2}, {1, 3}, {2, 4}, {4, 5}, {4, 6}}),
          rc::gen::inRange(0, 1000)));
}

TEST(ForgedDecisions, EveryDecisionThatIsNotDecidesOwnIsRefused) {
  Tally tally;
  const bool ok = rc::check("a lying controller is refused", [&] {
    ++tally.runs;
    LyingController(tally).Run(*GenSteps());
  });
  EXPECT_TRUE(ok);
  // Each forgery must have met the state that makes it a real test, many times over.
  for (int f = 0; f < kForgeryKinds; ++f) {
    std::printf("%s: %d forgeries refused\n", kForgeryNames[f], tally.forged[f]);
    EXPECT_GE(tally.forged[f], tally.runs / 6) << kForgeryNames[f] << " tried too rarely";
  }
  EXPECT_GE(tally.honest, tally.runs / 2) << "honest decisions too rare";
}

}  // namespace
}  // namespace dvs
