// Router confirmations (Confirm entries) and the gate they put before automatic steps: a step or
// promotion waits until every router that confirmed during the rollout confirmed the canary's
// current weight; a rollback never waits; a manifest may opt out. One test per guard, each
// refusal asserting its message and an unchanged state.
#include "statemachine/confirm.h"

#include <gtest/gtest.h>

#include "statemachine/replay.h"
#include "tests/statemachine/expect_refused.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

constexpr char kRouter[] = "haproxy:/run/haproxy/admin.sock";

class Confirmations : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Bootstrap();
    stable = h.Release("tax_calc", "8.7");
    Healthy(stable);
  }

  static sm::Transition Confirm(const std::string& service, const std::string& router,
                                std::vector<std::pair<std::string, uint32_t>> routes,
                                uint64_t table_seq = 1) {
    sm::Transition t;
    t.mutable_confirm()->set_service(service);
    t.mutable_confirm()->set_router(router);
    t.mutable_confirm()->set_table_seq(table_seq);
    for (const auto& [bundle, weight] : routes) {
      sm::ConfirmedRoute* r = t.mutable_confirm()->add_routes();
      r->set_bundle(bundle);
      r->set_weight(weight);
    }
    return t;
  }
  // What the router serves when it serves the ledger's table.
  Status ConfirmCurrent(const std::string& router = kRouter) {
    std::vector<std::pair<std::string, uint32_t>> routes;
    for (const auto& [bundle, w] : WeightsWithTraffic(h.state, h.state.services.at("tax_calc")))
      routes.emplace_back(bundle, w);
    return h.Submit(h.controller, Confirm("tax_calc", router, routes, h.state.size));
  }
  void Healthy(const std::string& id) { test::Harness::Must(h.Observe(id, 0.01, 100, 500)); }
  // A canary of 9.0 at 5 % with healthy metrics, due for a step.
  std::string CanaryDueForStep(sm::Manifest m = test::Manifest("tax_calc", "9.0")) {
    auto id = h.Package(m);
    test::Harness::Must(id.status());
    test::Harness::Must(h.Approve(*id));
    test::Harness::Must(h.Deploy(*id));
    h.now += 61'000;
    Healthy(*id);
    return *id;
  }
  void ExpectRefused(const SecretKey& key, const sm::Transition& t, const std::string& want) {
    test::ExpectRefused(h, key, t, want);
  }

  test::Harness h;
  std::string stable;
};

TEST_F(Confirmations, ARouterConfirmingTheLedgersTableIsRecordedAndSurvivesASnapshot) {
  ASSERT_TRUE(ConfirmCurrent().ok());
  const Service& svc = h.state.services.at("tax_calc");
  ASSERT_EQ(svc.confirmed.count(kRouter), 1u);
  const RouterConfirmation& c = svc.confirmed.at(kRouter);
  EXPECT_EQ(c.seq, h.state.size - 1);
  EXPECT_EQ(c.time_ms, h.now);
  EXPECT_EQ(c.weights, (std::map<std::string, uint32_t>{{stable, 100}}));
  // Replay and a snapshot give the same state, confirmation included.
  State replayed;
  ASSERT_TRUE(Replay(&replayed, h.log).ok());
  EXPECT_EQ(EncodeSnapshot(replayed, Hash{}), EncodeSnapshot(h.state, Hash{}));
  auto snap = DecodeSnapshot(EncodeSnapshot(h.state, Hash{}));
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  EXPECT_EQ(snap->state.services.at("tax_calc").confirmed.at(kRouter), c);
}

TEST_F(Confirmations, OnlyAControllerKeyConfirms) {
  ExpectRefused(h.observer, Confirm("tax_calc", kRouter, {{stable, 100}}),
                "confirming a router's table needs the controller role");
}

TEST_F(Confirmations, TheRouterMustBeNamedPrintablyAndBriefly) {
  ExpectRefused(h.controller, Confirm("tax_calc", "", {{stable, 100}}),
                "a confirmation must name its router");
  ExpectRefused(h.controller, Confirm("tax_calc", std::string(513, 'r'), {{stable, 100}}),
                "router name is longer than 512 characters");
  ExpectRefused(h.controller, Confirm("tax_calc", "file:/x\x1b[2J", {{stable, 100}}),
                "control character");
}

TEST_F(Confirmations, AnUnknownServiceIsRefused) {
  ExpectRefused(h.controller, Confirm("payroll", kRouter, {{stable, 100}}), "no service 'payroll'");
}

TEST_F(Confirmations, ATableFromTheFutureIsRefused) {
  ExpectRefused(h.controller, Confirm("tax_calc", kRouter, {{stable, 100}}, h.state.size + 1),
                "names a table after this entry");
}

TEST_F(Confirmations, WeightsOutsideOneToAHundredAndRepeatedBundlesAreRefused) {
  ExpectRefused(h.controller, Confirm("tax_calc", kRouter, {{stable, 0}}),
                "confirmed weight 0 of " + stable + " is outside 1..100");
  ExpectRefused(h.controller, Confirm("tax_calc", kRouter, {{stable, 101}}),
                "confirmed weight 101 of " + stable + " is outside 1..100");
  ExpectRefused(h.controller, Confirm("tax_calc", kRouter, {{stable, 50}, {stable, 50}}),
                "bundle " + stable + " is confirmed twice");
}

TEST_F(Confirmations, ARouterServingSomethingElseThanTheLedgerDecidedIsRefused) {
  const std::string canary = CanaryDueForStep();
  // The router still serves the stable alone: not what the ledger decided (a 5 % canary).
  ExpectRefused(h.controller, Confirm("tax_calc", kRouter, {{stable, 100}}),
                "confirms tax_calc serving " + stable + " 100 %, but the ledger decided " + stable +
                    " 95 %, " + canary + " 5 %");
  ExpectRefused(h.controller, Confirm("tax_calc", kRouter, {{canary, 25}, {stable, 75}}),
                "but the ledger decided");
}

TEST_F(Confirmations, AnAutomaticStepWaitsForEveryRouterThatConfirmedDuringTheRollout) {
  // A router that confirmed before the canary started (and is gone since) does not gate it.
  ASSERT_TRUE(ConfirmCurrent("nginx:/etc/nginx/conf.d/dvs.conf").ok());
  const std::string canary = CanaryDueForStep();
  EXPECT_TRUE(h.state.services.at("tax_calc").confirmed.empty());
  ASSERT_TRUE(ConfirmCurrent("file:/run/dvs/routes.json").ok());
  ASSERT_TRUE(ConfirmCurrent(kRouter).ok());
  // Both confirmed 5 %: the step to 25 % is taken.
  Status refusal;
  Decision d = h.Tick("tax_calc", false, &refusal);
  ASSERT_EQ(d.kind, Decision::Kind::kStep);
  ASSERT_TRUE(refusal.ok()) << refusal.ToString();
  EXPECT_EQ(h.state.services.at("tax_calc").canary->weight, 25u);
  // Only one router confirms 25 %: the next step is refused, naming the one that did not.
  ASSERT_TRUE(ConfirmCurrent("file:/run/dvs/routes.json").ok());
  h.now += 61'000;
  Healthy(canary);
  const std::string before = EncodeSnapshot(h.state, Hash{});
  d = h.Tick("tax_calc", false, &refusal);
  ASSERT_EQ(d.kind, Decision::Kind::kStep);
  ASSERT_FALSE(refusal.ok());
  EXPECT_NE(refusal.message().find("waits for the routers: router " + std::string(kRouter) +
                                   " has not confirmed " + canary + " at 25 % (it confirmed 5 %)"),
            std::string::npos)
      << refusal.ToString();
  EXPECT_EQ(EncodeSnapshot(h.state, Hash{}), before);
  ASSERT_TRUE(ConfirmCurrent(kRouter).ok());
  d = h.Tick("tax_calc", false, &refusal);
  ASSERT_TRUE(refusal.ok()) << refusal.ToString();
  EXPECT_EQ(h.state.services.at("tax_calc").canary->weight, 45u);
}

TEST_F(Confirmations, APromotionWaitsToo) {
  const std::string canary = CanaryDueForStep();
  sm::Transition ramp;
  ramp.mutable_ramp()->set_bundle(canary);
  ramp.mutable_ramp()->set_to_pct(100);
  ASSERT_TRUE(h.Submit(h.admin, ramp).ok());  // by hand: never waits
  ASSERT_TRUE(h.Submit(h.controller, Confirm("tax_calc", kRouter, {{canary, 100}}, 1)).ok());
  h.now += 61'000;
  Healthy(canary);
  Status refusal;
  ASSERT_EQ(h.Tick("tax_calc", false, &refusal).kind, Decision::Kind::kPromote);
  EXPECT_TRUE(refusal.ok()) << refusal.ToString();
}

TEST_F(Confirmations, APromotionWaitsForARouterThatConfirmedOnlyAnEarlierWeight) {
  const std::string canary = CanaryDueForStep();
  ASSERT_TRUE(ConfirmCurrent().ok());  // 5 %
  sm::Transition ramp;
  ramp.mutable_ramp()->set_bundle(canary);
  ramp.mutable_ramp()->set_to_pct(100);
  ASSERT_TRUE(h.Submit(h.admin, ramp).ok());
  h.now += 61'000;
  Healthy(canary);
  Status refusal;
  ASSERT_EQ(h.Tick("tax_calc", false, &refusal).kind, Decision::Kind::kPromote);
  ASSERT_FALSE(refusal.ok());
  EXPECT_NE(refusal.message().find("has not confirmed " + canary + " at 100 %"), std::string::npos)
      << refusal.ToString();
}

TEST_F(Confirmations, ARollbackNeverWaits) {
  const std::string canary = CanaryDueForStep();
  ASSERT_TRUE(ConfirmCurrent().ok());
  ASSERT_EQ(h.Tick("tax_calc").kind, Decision::Kind::kStep);  // to 25 %, unconfirmed
  h.now += 1'000;
  test::Harness::Must(h.Observe(canary, 2.5, 100, 500));
  Status refusal;
  ASSERT_EQ(h.Tick("tax_calc", false, &refusal).kind, Decision::Kind::kRollback);
  EXPECT_TRUE(refusal.ok()) << refusal.ToString();
  EXPECT_EQ(h.state.bundles.at(canary).state, BundleState::kRolledBack);
}

TEST_F(Confirmations, AManifestMayLetStepsGoWithoutConfirmation) {
  sm::Manifest m = test::Manifest("tax_calc", "9.0");
  m.mutable_rollout()->set_steps_without_confirmation(true);
  CanaryDueForStep(m);
  ASSERT_TRUE(ConfirmCurrent().ok());
  ASSERT_EQ(h.Tick("tax_calc").kind, Decision::Kind::kStep);  // 25 %, unconfirmed
  h.now += 61'000;
  Healthy(h.state.services.at("tax_calc").canary->bundle);
  Status refusal;
  ASSERT_EQ(h.Tick("tax_calc", false, &refusal).kind, Decision::Kind::kStep);
  EXPECT_TRUE(refusal.ok()) << refusal.ToString();
  EXPECT_EQ(StepWaitsForRouter(h.state, h.state.services.at("tax_calc"), {"exec:x"}), std::nullopt);
}

TEST_F(Confirmations, TheControllersOwnRoutersGateTooBeforeTheyEverConfirmed) {
  const std::string canary = CanaryDueForStep();
  const Service& svc = h.state.services.at("tax_calc");
  EXPECT_EQ(StepWaitsForRouter(h.state, svc, {}), std::nullopt);  // the ledger knows no router
  auto wait = StepWaitsForRouter(h.state, svc, {kRouter});
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, "router " + std::string(kRouter) + " has not confirmed " + canary +
                       " at 5 % (it confirmed nothing yet)");
  ASSERT_TRUE(ConfirmCurrent().ok());
  EXPECT_EQ(StepWaitsForRouter(h.state, h.state.services.at("tax_calc"), {kRouter}), std::nullopt);
  EXPECT_TRUE(StepWaitsForRouter(h.state, h.state.services.at("tax_calc"), {kRouter, "exec:y"})
                  .has_value());
}

}  // namespace
}  // namespace dvs
