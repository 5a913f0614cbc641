#include "statemachine/decide.h"

#include <gtest/gtest.h>

#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

using K = Decision::Kind;

class DecideTest : public ::testing::Test {
 protected:
  sm::RolloutPolicy policy = test::Manifest("svc", "1.0").rollout();
  Rollout rollout{"b", 5, false, 0, {}};
  std::vector<Observation> Obs(double err, double lat, uint64_t samples) {
    return {Observation{1, 0, {{"error_rate", err}, {"latency_ms", lat}}, samples}};
  }
};

TEST_F(DecideTest, TooFewSamplesHold) {
  Decision d = Decide(policy, rollout, Obs(5, 999, 99), nullptr, 120'000);
  EXPECT_EQ(d.kind, K::kHold);
  EXPECT_NE(d.reason.find("99 of 100 samples"), std::string::npos);
}

TEST_F(DecideTest, AnyRollbackConditionRollsBackEvenBeforeTheInterval) {
  Decision d = Decide(policy, rollout, Obs(0.01, 450, 100), nullptr, 1);
  EXPECT_EQ(d.kind, K::kRollback);
  EXPECT_NE(d.reason.find("latency_ms > 400' holds: latency_ms = 450"), std::string::npos)
      << d.reason;
}

TEST_F(DecideTest, IntervalIsLedgerTimeSinceTheLastDecision) {
  EXPECT_EQ(Decide(policy, rollout, Obs(0.01, 100, 100), nullptr, 59'999).kind, K::kHold);
  Decision d = Decide(policy, rollout, Obs(0.01, 100, 100), nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kStep);
  EXPECT_EQ(d.to_pct, 25u);
}

TEST_F(DecideTest, StepIsCappedAtOneHundredThenPromotes) {
  rollout.weight = 85;
  EXPECT_EQ(Decide(policy, rollout, Obs(0.01, 100, 100), nullptr, 60'000).to_pct, 100u);
  rollout.weight = 100;
  EXPECT_EQ(Decide(policy, rollout, Obs(0.01, 100, 100), nullptr, 60'000).kind, K::kPromote);
}

TEST_F(DecideTest, BetweenThresholdsHolds) {
  Decision d = Decide(policy, rollout, Obs(0.5, 100, 100), nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kHold);
  EXPECT_NE(d.reason.find("'error_rate < 0.1' does not hold"), std::string::npos) << d.reason;
}

TEST_F(DecideTest, AMissingMetricNeverPromotes) {
  std::vector<Observation> o = {Observation{1, 0, {{"error_rate", 0.0}}, 500}};
  Decision d = Decide(policy, rollout, o, nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kHold);
  EXPECT_NE(d.reason.find("latency_ms not observed"), std::string::npos) << d.reason;
}

TEST_F(DecideTest, BaselineComparisonsUseTheStableBundle) {
  policy.clear_promote_when();
  policy.add_promote_when("latency_ms <= baseline * 1.0");
  Metrics base{{"latency_ms", 120}};
  EXPECT_EQ(Decide(policy, rollout, Obs(0, 110, 100), &base, 60'000).kind, K::kStep);
  EXPECT_EQ(Decide(policy, rollout, Obs(0, 130, 100), &base, 60'000).kind, K::kHold);
  Decision none = Decide(policy, rollout, Obs(0, 110, 100), nullptr, 60'000);
  EXPECT_EQ(none.kind, K::kHold);
  EXPECT_NE(none.reason.find("no baseline"), std::string::npos);
}

TEST_F(DecideTest, ObservationsCombineWeightedBySamples) {
  std::vector<Observation> o = {Observation{1, 0, {{"error_rate", 0.0}, {"latency_ms", 100}}, 900},
                                Observation{2, 0, {{"error_rate", 5.0}, {"latency_ms", 100}}, 100}};
  uint64_t total = 0;
  Metrics m = CombineMetrics(o, &total);
  EXPECT_EQ(total, 1000u);
  EXPECT_DOUBLE_EQ(m["error_rate"], 0.5);
  EXPECT_EQ(Decide(policy, rollout, o, nullptr, 60'000).kind, K::kHold);
}

TEST_F(DecideTest, PausedHolds) {
  rollout.paused = true;
  EXPECT_EQ(Decide(policy, rollout, Obs(9, 999, 1000), nullptr, 60'000).kind, K::kHold);
}

TEST_F(DecideTest, AnUnreadableConditionHoldsAndSaysWhy) {
  sm::RolloutPolicy bad = policy;
  bad.clear_rollback_when();
  bad.add_rollback_when("error_rate << 1");
  Decision d = Decide(bad, rollout, Obs(9, 999, 100), nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kHold);
  EXPECT_NE(d.reason.find("expected an operator"), std::string::npos) << d.reason;
  bad = policy;
  bad.clear_promote_when();
  bad.add_promote_when("latency_ms < fast");
  d = Decide(bad, rollout, Obs(0.01, 100, 100), nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kHold);
  EXPECT_NE(d.reason.find("expected a number"), std::string::npos) << d.reason;
}

TEST_F(DecideTest, ARollbackConditionOnAMetricNotObservedDoesNotRollBack) {
  policy.add_rollback_when("overcharge_count > 0");
  Decision d = Decide(policy, rollout, Obs(0.01, 100, 100), nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kStep) << d.reason;
}

TEST_F(DecideTest, AnUndecidablePromoteConditionHoldsWithItsReason) {
  policy.add_promote_when("agreement_pct >= 99.9");
  Decision d = Decide(policy, rollout, Obs(0.01, 100, 100), nullptr, 60'000);
  EXPECT_EQ(d.kind, K::kHold);
  EXPECT_NE(d.reason.find("'agreement_pct >= 99.9' cannot be decided: agreement_pct not observed"),
            std::string::npos)
      << d.reason;
}

TEST_F(DecideTest, CombineMetricsWeighsAnObservationWithoutSamplesAsOne) {
  std::vector<Observation> o = {Observation{1, 0, {{"latency_ms", 100}}, 0},
                                Observation{2, 0, {{"latency_ms", 300}}, 0}};
  Metrics m = CombineMetrics(o, nullptr);  // no sample count wanted
  EXPECT_DOUBLE_EQ(m["latency_ms"], 200);
}

TEST_F(DecideTest, DecideForServiceTakesTheStablesLatestObservationAsBaseline) {
  test::Harness h;
  h.Bootstrap();
  auto v1 = h.Release("svc", "1.0");
  sm::Manifest m = test::Manifest("svc", "2.0");
  m.mutable_rollout()->clear_promote_when();
  m.mutable_rollout()->add_promote_when("latency_ms <= baseline * 1.0");
  auto v2 = *h.Package(m);
  ASSERT_TRUE(h.Approve(v2).ok());
  ASSERT_TRUE(h.Deploy(v2).ok());
  h.now += 61'000;
  ASSERT_TRUE(h.Observe(v2, 0.01, 110).ok());
  const Service& svc = h.state.services.at("svc");
  Decision none = DecideForService(h.state, svc, h.now);
  EXPECT_EQ(none.kind, K::kHold);
  EXPECT_NE(none.reason.find("no baseline"), std::string::npos) << none.reason;
  ASSERT_TRUE(h.Observe(v1, 0.01, 120).ok());
  EXPECT_EQ(DecideForService(h.state, svc, h.now).kind, K::kStep);
}

}  // namespace
}  // namespace dvs
