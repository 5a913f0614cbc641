// Ramp-policy conditions: `metric op number` or `metric op baseline * factor`, op one of
// < <= > >= == !=. The baseline is the stable bundle's latest observation of the same metric.
//
//   error_rate < 0.1      latency_p99_ms <= baseline * 1.0      overcharge_count == 0
#ifndef DVS_STATEMACHINE_CONDITION_H_
#define DVS_STATEMACHINE_CONDITION_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/status.h"
#include "statemachine/limits.h"

namespace dvs {

enum class CompareOp { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

struct Condition {
  std::string metric;
  CompareOp op = CompareOp::kLess;
  double number = 0;  // the threshold, or the factor when against_baseline
  bool against_baseline = false;
  std::string text;  // as written, for reasons and audits
};

// A metric name: a letter or '_', then letters, digits, '_' or '.'; at most kMaxMetricNameLength.
bool IsMetricName(std::string_view name);

// InvalidArgument naming the offending token and its position, e.g.
// "condition 'error_rate << 1': at column 12: expected an operator (< <= > >= == !=), got '<<'".
Result<Condition> ParseCondition(std::string_view text);

// The condition in canonical form ("error_rate < 0.1", "latency_ms <= baseline * 1.5"): the
// number in its shortest form that reads back to the same double, so that
// ParseCondition(FormatCondition(c)) gives c back (metric, op, number, against_baseline).
std::string FormatCondition(const Condition& c);
// An observed value as reasons cite it ("%g": 0.1, 250, 1e+06). Reasons are signed and re-derived
// by Apply, so this form is part of the ledger format: changing it changes verdicts' reasons.
std::string FormatValue(double v);

// The operator's text: "<", "<=", ">", ">=", "==" or "!=".
const char* CompareOpText(CompareOp op);

using Metrics = std::map<std::string, double>;

// Whether the condition holds for `value`; nullopt when it cannot be decided (the metric was not
// observed, or a baseline comparison has no baseline value).
std::optional<bool> Evaluate(const Condition& c, const Metrics& observed, const Metrics* baseline);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_CONDITION_H_
