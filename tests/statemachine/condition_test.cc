#include "statemachine/condition.h"

#include <gtest/gtest.h>

#include "statemachine/limits.h"

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

TEST(Condition, MetricNamesAreBoundedAndNeverEmpty) {
  EXPECT_TRUE(IsMetricName(std::string(kMaxMetricNameLength, 'm')));
  EXPECT_FALSE(IsMetricName(std::string(kMaxMetricNameLength + 1, 'm')));
  // An empty view into a longer buffer, as a tokenizer makes one: still no name.
  EXPECT_FALSE(IsMetricName(std::string_view("abc", 0)));
  EXPECT_FALSE(IsMetricName("9lives"));
  EXPECT_TRUE(IsMetricName("_p99.ms"));
}

TEST(Condition, EachOperatorMeansWhatItSaysAtTheBoundary) {
  struct Case {
    const char* op;
    CompareOp want;
    bool below, equal, above;  // the condition for a value 1 below, at and 1 above the threshold
  } cases[] = {{"<", CompareOp::kLess, true, false, false},
               {"<=", CompareOp::kLessEqual, true, true, false},
               {">", CompareOp::kGreater, false, false, true},
               {">=", CompareOp::kGreaterEqual, false, true, true},
               {"==", CompareOp::kEqual, false, true, false},
               {"!=", CompareOp::kNotEqual, true, false, true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    auto cond = ParseCondition(std::string("x ") + c.op + " 10");
    ASSERT_TRUE(cond.ok());
    EXPECT_EQ(cond->op, c.want);
    EXPECT_EQ(Evaluate(*cond, {{"x", 9}}, nullptr), c.below);
    EXPECT_EQ(Evaluate(*cond, {{"x", 10}}, nullptr), c.equal);
    EXPECT_EQ(Evaluate(*cond, {{"x", 11}}, nullptr), c.above);
  }
}

TEST(Condition, NumbersAreWholeFiniteAndInRange) {
  for (const char* text : {"x < 1e999", "x < 1e-999", "x < 1.5x", "x < inf", "x < nan",
                           "x < baseline * 0", "x < baseline * fast", "x < baseline * nan"}) {
    EXPECT_FALSE(ParseCondition(text).ok()) << text;
  }
  EXPECT_TRUE(ParseCondition("x < 1e300").ok());
}

TEST(Condition, ABaselineWithoutTheMetricCannotDecide) {
  Metrics m{{"latency_ms", 210}};
  Metrics base{{"error_rate", 0.1}};
  EXPECT_EQ(Evaluate(*ParseCondition("latency_ms <= baseline * 2"), m, &base), std::nullopt);
}

}  // namespace
}  // namespace dvs
