#include "statemachine/condition.h"

#include <gtest/gtest.h>

namespace dvs {
namespace {

TEST(Condition, ParsesNumbersAndBaselines) {
  auto c = ParseCondition("error_rate < 0.1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->metric, "error_rate");
  EXPECT_EQ(c->op, CompareOp::kLess);
  EXPECT_DOUBLE_EQ(c->number, 0.1);
  auto b = ParseCondition("latency_p99_ms <= baseline * 1.0");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->against_baseline);
  EXPECT_TRUE(ParseCondition("overcharge_count == 0").ok());
  EXPECT_TRUE(ParseCondition("agreement_pct>=99.9").ok());
  EXPECT_TRUE(ParseCondition("x != -3e2").ok());
}

TEST(Condition, ErrorsPointAtTheBadToken) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"", "column 1: expected a metric name, got ''"},
      {"9lives < 1", "column 1: expected a metric name, got '9lives'"},
      {"error_rate << 1", "column 12: expected an operator (< <= > >= == !=), got '<<'"},
      {"error_rate =< 1", "got '=<'"},
      {"error_rate < high", "column 14: expected a number or 'baseline * factor', got 'high'"},
      {"latency < baseline 2", "column 20: expected '*' after baseline, got '2'"},
      {"latency < baseline * -1", "expected a positive factor, got '-1'"},
      {"latency < 200 ms", "column 15: unexpected 'ms' after the condition"},
  };
  for (const auto& c : cases) {
    auto r = ParseCondition(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().ToString();
  }
}

TEST(Condition, EvaluatesAgainstObservationsAndBaseline) {
  Metrics m{{"latency_ms", 210}, {"error_rate", 0.05}};
  Metrics base{{"latency_ms", 200}};
  EXPECT_EQ(Evaluate(*ParseCondition("error_rate < 0.1"), m, nullptr), true);
  EXPECT_EQ(Evaluate(*ParseCondition("latency_ms <= baseline * 1.1"), m, &base), true);
  EXPECT_EQ(Evaluate(*ParseCondition("latency_ms <= baseline * 1.0"), m, &base), false);
  EXPECT_EQ(Evaluate(*ParseCondition("latency_ms <= baseline * 1.0"), m, nullptr), std::nullopt);
  EXPECT_EQ(Evaluate(*ParseCondition("agreement_pct >= 99.9"), m, nullptr), std::nullopt);
}

}  // namespace
}  // namespace dvs
