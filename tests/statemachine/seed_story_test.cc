// The seed's story: tax_calc 8.7 is stable; 9.0 is packaged, approved and starts a 5 % canary.
#include <gtest/gtest.h>

#include "statemachine/invariants.h"
#include "statemachine/replay.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

class SeedStory : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Bootstrap();
    v87 = h.Release("tax_calc", "8.7");
    ASSERT_TRUE(h.Observe(v87, 0.05, 150).ok());  // the baseline
    h.now += 1000;
    auto id = h.Package(test::Manifest("tax_calc", "9.0"));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    v90 = *id;
    ASSERT_TRUE(h.Approve(v90).ok());
    ASSERT_TRUE(h.Deploy(v90).ok());
  }

  std::vector<Route> Routes() { return h.state.Routes("tax_calc", h.now); }
  uint32_t Weight(const std::string& id) { return h.state.WeightOf(h.state.bundles.at(id)); }
  BundleState StateOf(const std::string& id) { return h.state.bundles.at(id).state; }

  test::Harness h;
  std::string v87, v90;
};

TEST_F(SeedStory, CanaryStartsAtFivePercent) {
  EXPECT_EQ(StateOf(v87), BundleState::kStable);
  EXPECT_EQ(StateOf(v90), BundleState::kCanary);
  EXPECT_EQ(Weight(v87), 95u);
  EXPECT_EQ(Weight(v90), 5u);
  EXPECT_EQ(h.state.bundles.at(v90).version_tag, "tax_calc_v9.0+20240605");
  EXPECT_EQ(v90.substr(0, 13), "tax_calc_9.0_");
  EXPECT_EQ(v90.size(), 19u);
}

TEST_F(SeedStory, HealthyMetricsRampToOneHundredAndPromote) {
  std::vector<uint32_t> weights = {Weight(v90)};
  for (int step = 0; step < 6; ++step) {
    h.now += 61'000;
    ASSERT_TRUE(h.Observe(v90, 0.03, 110).ok());
    Decision d = h.Tick("tax_calc");
    if (d.kind == Decision::Kind::kPromote) break;
    ASSERT_EQ(d.kind, Decision::Kind::kStep) << d.reason;
    weights.push_back(Weight(v90));
  }
  EXPECT_EQ(weights, (std::vector<uint32_t>{5, 25, 45, 65, 85, 100}));
  EXPECT_EQ(StateOf(v90), BundleState::kStable);
  EXPECT_EQ(StateOf(v87), BundleState::kSuperseded);
  auto routes = Routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].bundle, v90);
  EXPECT_EQ(routes[0].weight, 100u);
  EXPECT_EQ(routes[1].bundle, v87);
  EXPECT_EQ(routes[1].role, RouteRole::kWarm);  // kept warm for 30 min
  EXPECT_TRUE(h.state.Routes("tax_calc", h.now + 30 * 60'000).size() == 1);
}

TEST_F(SeedStory, ErrorSpikeRollsBackToTheStableWithoutAnEngineer) {
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v90, 0.03, 110).ok());
  ASSERT_EQ(h.Tick("tax_calc").kind, Decision::Kind::kStep);  // 25 %
  h.now += 5'000;
  ASSERT_TRUE(h.Observe(v90, 1.4, 120).ok());
  Decision d = h.Tick("tax_calc");  // rollback does not wait for the interval
  ASSERT_EQ(d.kind, Decision::Kind::kRollback);
  EXPECT_NE(d.reason.find("error_rate > 1"), std::string::npos) << d.reason;
  EXPECT_EQ(StateOf(v90), BundleState::kRolledBack);
  EXPECT_EQ(Weight(v87), 100u);
  EXPECT_EQ(Routes().size(), 1u);
  // Final: it can never be deployed again.
  EXPECT_TRUE(h.Deploy(v90).IsRefused());
}

TEST_F(SeedStory, RollingBackAPromotedBundleReturnsTrafficToThePreviousGood) {
  for (int step = 0; step < 6; ++step) {
    h.now += 61'000;
    ASSERT_TRUE(h.Observe(v90, 0.03, 110).ok());
    h.Tick("tax_calc");
  }
  ASSERT_EQ(StateOf(v90), BundleState::kStable);
  sm::Transition t;
  t.mutable_rollback()->set_bundle(v90);
  t.mutable_rollback()->set_reason("overcharges reported by taxpayers");
  ASSERT_TRUE(h.Submit(h.admin, t).ok());
  EXPECT_EQ(StateOf(v87), BundleState::kStable);
  EXPECT_EQ(StateOf(v90), BundleState::kRolledBack);
  EXPECT_EQ(Weight(v87), 100u);
  EXPECT_EQ(h.state.bundles.at(v90).reason, "overcharges reported by taxpayers");
}

TEST_F(SeedStory, WholeStoryReplaysToTheSameStateAndKeepsInvariants) {
  for (int step = 0; step < 6; ++step) {
    h.now += 61'000;
    ASSERT_TRUE(h.Observe(v90, 0.03, 110).ok());
    h.Tick("tax_calc");
    ASSERT_TRUE(CheckInvariants(h.state).ok());
  }
  State replayed;
  ASSERT_TRUE(Replay(&replayed, h.log).ok());
  EXPECT_EQ(EncodeSnapshot(replayed, Hash{}), EncodeSnapshot(h.state, Hash{}));
}

}  // namespace
}  // namespace dvs
