// A stateful RapidCheck test (rc::state): random command sequences drive one service's rollouts
// through the real Apply, and after each command the routing table must equal a simple model's.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include "statemachine/invariants.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

// The model: versions are numbers 1.n; one stable, at most one canary.
struct Model {
  int next = 2;
  int stable = 1;
  std::optional<int> canary;
  uint32_t weight = 0;
  bool paused = false;
  bool pending_bad = false;       // a bad observation waits for the next decision
  std::vector<int> good_history;  // superseded stables, oldest first
};

struct Sut {
  test::Harness h;
  std::map<int, std::string> ids;  // version number -> bundle id
  Sut() {
    h.Bootstrap();
    ids[1] = h.Release("svc", "1.1");
  }
};

std::string V(int n) { return "1." + std::to_string(n); }

void CheckAgainst(const Model& m, Sut& s) {
  RC_ASSERT(CheckInvariants(s.h.state).ok());
  const Service& svc = s.h.state.services.at("svc");
  RC_ASSERT(svc.stable == s.ids[m.stable]);
  RC_ASSERT(svc.canary.has_value() == m.canary.has_value());
  if (m.canary) {
    RC_ASSERT(svc.canary->bundle == s.ids[*m.canary]);
    RC_ASSERT(svc.canary->weight == m.weight);
    RC_ASSERT(svc.canary->paused == m.paused);
  }
}

using Cmd = rc::state::Command<Model, Sut>;

struct Release : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.canary.has_value()); }
  void apply(Model& m) const override {
    m.canary = m.next++;
    m.weight = 5;
    m.paused = false;
    m.pending_bad = false;
  }
  void run(const Model& m, Sut& s) const override {
    s.h.now += 61'000;
    s.ids[m.next] = s.h.Release("svc", V(m.next));
    Model next = m;
    apply(next);
    CheckAgainst(next, s);
  }
  void show(std::ostream& os) const override { os << "Release"; }
};

// Observes the canary (healthy or bad) and runs one controller tick.
struct ObserveAndTick : Cmd {
  bool healthy = *rc::gen::arbitrary<bool>();
  void checkPreconditions(const Model& m) const override { RC_PRE(m.canary.has_value()); }
  void apply(Model& m) const override {
    if (!healthy) m.pending_bad = true;
    if (m.paused) return;  // the controller holds
    if (m.pending_bad) {
      m.canary.reset();
    } else if (m.weight == 100) {
      m.good_history.push_back(m.stable);
      m.stable = *m.canary;
      m.canary.reset();
    } else {
      m.weight = std::min<uint32_t>(100, m.weight + 20);
    }
    m.pending_bad = false;
  }
  void run(const Model& m, Sut& s) const override {
    s.h.now += 61'000;
    // A bad observation dominates the sample-weighted mean of everything pending.
    Harness::Must(healthy ? s.h.Observe(s.ids[*m.canary], 0.01, 100, 100)
                          : s.h.Observe(s.ids[*m.canary], 50.0, 500, 1'000'000));
    s.h.Tick("svc");
    Model next = m;
    apply(next);
    CheckAgainst(next, s);
  }
  void show(std::ostream& os) const override { os << (healthy ? "HealthyTick" : "BadTick"); }
  using Harness = test::Harness;
};

struct PauseOrResume : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.canary.has_value()); }
  void apply(Model& m) const override { m.paused = !m.paused; }
  void run(const Model& m, Sut& s) const override {
    s.h.now += 61'000;
    sm::Transition t;
    if (m.paused) {
      t.mutable_resume()->set_bundle(s.ids[*m.canary]);
    } else {
      t.mutable_pause()->set_bundle(s.ids[*m.canary]);
    }
    RC_ASSERT(s.h.Submit(s.h.admin, t).ok());
    Model next = m;
    apply(next);
    CheckAgainst(next, s);
  }
  void show(std::ostream& os) const override { os << "PauseOrResume"; }
};

// A release_admin's rollback by hand: of the canary if one flies, else of the stable.
struct ManualRollback : Cmd {
  void apply(Model& m) const override {
    if (m.canary) {
      m.canary.reset();
      m.pending_bad = false;
    } else if (!m.good_history.empty()) {
      m.stable = m.good_history.back();
      m.good_history.pop_back();
    }
  }
  void run(const Model& m, Sut& s) const override {
    s.h.now += 61'000;
    sm::Transition t;
    t.mutable_rollback()->set_bundle(s.ids[m.canary ? *m.canary : m.stable]);
    t.mutable_rollback()->set_reason("by hand");
    Status st = s.h.Submit(s.h.admin, t);
    const bool expect_refusal = !m.canary && m.good_history.empty();
    RC_ASSERT(st.ok() != expect_refusal);
    if (expect_refusal)
      RC_ASSERT(st.message().find("no previous good bundle") != std::string::npos);
    Model next = m;
    apply(next);
    CheckAgainst(next, s);
  }
  void show(std::ostream& os) const override { os << "ManualRollback"; }
};

RC_GTEST_PROP(RolloutModel, RoutingFollowsTheModel, ()) {
  Model initial;
  Sut sut;
  rc::state::check(
      initial, sut,
      rc::state::gen::execOneOfWithArgs<Release, ObserveAndTick, ObserveAndTick, ObserveAndTick,
                                        PauseOrResume, ManualRollback>());
}

}  // namespace
}  // namespace dvs
