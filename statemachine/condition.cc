#include "statemachine/condition.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "statemachine/limits.h"

namespace dvs {

namespace {

class Tokens {
 public:
  explicit Tokens(std::string_view s) : s_(s) {}
  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= s_.size();
  }
  size_t column() const { return pos_ + 1; }
  // The next run of characters of one class: name characters, operator characters, or other.
  std::string_view Next() {
    SkipSpace();
    size_t start = pos_;
    auto is_op = [](char c) { return c == '<' || c == '>' || c == '=' || c == '!'; };
    auto is_word = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
             c == '+';
    };
    if (pos_ < s_.size() && is_op(s_[pos_])) {
      while (pos_ < s_.size() && is_op(s_[pos_])) ++pos_;
    } else if (pos_ < s_.size() && is_word(s_[pos_])) {
      while (pos_ < s_.size() && is_word(s_[pos_])) ++pos_;
    } else if (pos_ < s_.size()) {
      ++pos_;
    }
    return s_.substr(start, pos_ - start);
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::optional<CompareOp> ParseOp(std::string_view t) {
  if (t == "<") return CompareOp::kLess;
  if (t == "<=") return CompareOp::kLessEqual;
  if (t == ">") return CompareOp::kGreater;
  if (t == ">=") return CompareOp::kGreaterEqual;
  if (t == "==") return CompareOp::kEqual;
  if (t == "!=") return CompareOp::kNotEqual;
  return std::nullopt;
}

std::optional<double> ParseNumber(std::string_view t) {
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

bool IsMetricName(std::string_view t) {
  if (t.empty() || t.size() > kMaxMetricNameLength) return false;
  if (!std::isalpha(static_cast<unsigned char>(t[0])) && t[0] != '_') return false;
  for (char c : t) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

Result<Condition> ParseCondition(std::string_view text) {
  Condition c;
  c.text = std::string(text);
  Tokens tok(text);
  auto fail = [&](size_t col, const std::string& why) {
    return Status::InvalidArgument("condition '" + std::string(text) + "': at column " +
                                   std::to_string(col) + ": " + why);
  };
  size_t col = (tok.SkipSpace(), tok.column());
  std::string_view metric = tok.Next();
  if (!IsMetricName(metric)) {
    return fail(col, "expected a metric name, got '" + std::string(metric) + "'");
  }
  c.metric = std::string(metric);
  col = (tok.SkipSpace(), tok.column());
  std::string_view op = tok.Next();
  auto parsed_op = ParseOp(op);
  if (!parsed_op) {
    return fail(col, "expected an operator (< <= > >= == !=), got '" + std::string(op) + "'");
  }
  c.op = *parsed_op;
  col = (tok.SkipSpace(), tok.column());
  std::string_view rhs = tok.Next();
  if (rhs == "baseline") {
    c.against_baseline = true;
    col = (tok.SkipSpace(), tok.column());
    std::string_view star = tok.Next();
    if (star != "*")
      return fail(col, "expected '*' after baseline, got '" + std::string(star) + "'");
    col = (tok.SkipSpace(), tok.column());
    rhs = tok.Next();
    auto f = ParseNumber(rhs);
    if (!f || *f <= 0)
      return fail(col, "expected a positive factor, got '" + std::string(rhs) + "'");
    c.number = *f;
  } else {
    auto n = ParseNumber(rhs);
    if (!n)
      return fail(col, "expected a number or 'baseline * factor', got '" + std::string(rhs) + "'");
    c.number = *n;
  }
  if (!tok.AtEnd()) {
    col = tok.column();
    return fail(col, "unexpected '" + std::string(tok.Next()) + "' after the condition");
  }
  return c;
}

std::string FormatValue(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

const char* CompareOpText(CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return "<";
    case CompareOp::kLessEqual:
      return "<=";
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kGreaterEqual:
      return ">=";
    case CompareOp::kEqual:
      return "==";
    case CompareOp::kNotEqual:
      return "!=";
  }
  return "?";
}

std::string FormatCondition(const Condition& c) {
  char number[64];
  auto [end, ec] = std::to_chars(number, number + sizeof(number), c.number);
  std::string n = ec == std::errc() ? std::string(number, end) : std::string("nan");
  return c.metric + " " + CompareOpText(c.op) + " " + (c.against_baseline ? "baseline * " : "") + n;
}

std::optional<bool> Evaluate(const Condition& c, const Metrics& observed, const Metrics* baseline) {
  auto it = observed.find(c.metric);
  if (it == observed.end()) return std::nullopt;
  double rhs = c.number;
  if (c.against_baseline) {
    if (baseline == nullptr) return std::nullopt;
    auto b = baseline->find(c.metric);
    if (b == baseline->end()) return std::nullopt;
    rhs = b->second * c.number;
  }
  double v = it->second;
  switch (c.op) {
    case CompareOp::kLess:
      return v < rhs;
    case CompareOp::kLessEqual:
      return v <= rhs;
    case CompareOp::kGreater:
      return v > rhs;
    case CompareOp::kGreaterEqual:
      return v >= rhs;
    case CompareOp::kEqual:
      return v == rhs;
    case CompareOp::kNotEqual:
      return v != rhs;
  }
  return std::nullopt;
}

}  // namespace dvs
