#include "statemachine/manifest_rules.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <set>
#include <vector>

#include "statemachine/condition.h"
#include "statemachine/limits.h"
#include "statemachine/version.h"

namespace dvs {

namespace {

Status Field(const std::string& field, const std::string& why) {
  return Status::InvalidArgument(field + ": " + why);
}

Status CheckText(const std::string& field, std::string_view v, bool required) {
  if (required && v.empty()) return Field(field, "is required");
  if (v.size() > kMaxFieldLength) {
    return Field(field, "is " + std::to_string(v.size()) + " characters, at most " +
                            std::to_string(kMaxFieldLength) + " allowed");
  }
  return CheckPrintable(field, v);
}

// The length of the UTF-8 sequence at s[i] and its code point; 0 when malformed (overlong,
// surrogate, past U+10FFFF, truncated).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t v = n == 1 ? c : c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

Status CheckMap(const std::string& field,
                const google::protobuf::Map<std::string, std::string>& m) {
  if (m.size() > kMaxMapEntries) {
    return Field(field, std::to_string(m.size()) + " entries, at most " +
                            std::to_string(kMaxMapEntries) + " allowed");
  }
  for (const auto& [k, v] : m) {
    DVS_RETURN_IF_ERROR(CheckName(field + " key", k));
    DVS_RETURN_IF_ERROR(CheckText(field + "." + k, v, false));
  }
  return Status::OK();
}

Status CheckConditions(const std::string& field,
                       const google::protobuf::RepeatedPtrField<std::string>& list) {
  if (static_cast<size_t>(list.size()) > kMaxConditions) {
    return Field(field, std::to_string(list.size()) + " conditions, at most " +
                            std::to_string(kMaxConditions) + " allowed");
  }
  for (int i = 0; i < list.size(); ++i) {
    auto c = ParseCondition(list[i]);
    if (!c.ok()) return Field(field + "[" + std::to_string(i) + "]", c.status().message());
  }
  return Status::OK();
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian), after H. Hinnant's algorithm.
// Templates name only what the controller fills in: {{bundle}}, {{version}}, {{service}},
// {{stable_bundle}}, {{stable_version}}.
Status CheckTemplate(const std::string& field, std::string_view text) {
  static constexpr std::string_view kNames[] = {"bundle", "version", "service", "stable_bundle",
                                                "stable_version"};
  for (size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
    size_t end = text.find("}}", at + 2);
    if (end == std::string_view::npos) return Field(field, "'{{' without a closing '}}'");
    std::string_view name = text.substr(at + 2, end - at - 2);
    if (std::find(std::begin(kNames), std::end(kNames), name) == std::end(kNames)) {
      return Field(field, "unknown template '{{" + std::string(name) +
                              "}}' (known: bundle, version, service, stable_bundle, "
                              "stable_version)");
    }
  }
  return Status::OK();
}

Status CheckMetricSource(const std::string& where, const sm::MetricSource& s) {
  const std::string& p = s.provider();
  if (p != "prometheus" && p != "web" && p != "exec") {
    return Field(where + ".provider",
                 p.empty() ? "is required (prometheus, web or exec)"
                           : "'" + p + "' is not a provider (prometheus, web or exec)");
  }
  const bool http = p != "exec";
  const std::string address_key = where + (p == "web" ? ".url" : ".address");
  const std::string query_key = where + (p == "exec" ? ".command" : ".query");
  if (http) {
    DVS_RETURN_IF_ERROR(CheckText(address_key, s.address(), true));
    if (s.address().rfind("http://", 0) != 0) {
      return Field(address_key, "'" + s.address() + "' is not an http:// URL (https: put a proxy "
                                "on loopback in front)");
    }
    DVS_RETURN_IF_ERROR(CheckTemplate(address_key, s.address()));
  } else if (!s.address().empty()) {
    return Field(where + ".address", "exec takes no address");
  }
  DVS_RETURN_IF_ERROR(CheckText(query_key, s.query(), p != "web"));
  DVS_RETURN_IF_ERROR(CheckTemplate(query_key, s.query()));
  if (p == "web") {
    if (!s.query().empty()) return Field(query_key, "web takes a url and a json_path, no query");
    DVS_RETURN_IF_ERROR(CheckText(where + ".json_path", s.json_path(), true));
    if (s.method() != "GET" && s.method() != "POST")
      return Field(where + ".method", "'" + s.method() + "' is neither GET nor POST");
    DVS_RETURN_IF_ERROR(CheckText(where + ".body", s.body(), false));
    DVS_RETURN_IF_ERROR(CheckTemplate(where + ".body", s.body()));
    if (s.method() == "GET" && !s.body().empty())
      return Field(where + ".body", "a GET sends no body (method: POST)");
  } else if (!s.json_path().empty() || !s.method().empty() || !s.body().empty()) {
    return Field(where, "json_path, method and body are for the web provider only");
  }
  if (s.timeout_ms() < 1 || s.timeout_ms() > 60'000)
    return Field(where + ".timeout", std::to_string(s.timeout_ms()) + " ms is outside 1ms..60s");
  if (s.range_ms() < 0) return Field(where + ".range", "must not be negative");
  if (p != "prometheus" && s.range_ms() != 0)
    return Field(where + ".range", "is for the prometheus provider only");
  if (s.range_ms() > 0 && (s.step_ms() < 1 || s.range_ms() / s.step_ms() > 11'000)) {
    return Field(where + ".step", "a range query needs a positive step, at most 11,000 per range");
  }
  if (s.range_ms() == 0 && s.step_ms() != 0) return Field(where + ".step", "needs a range");
  return Status::OK();
}

// An analysis section: every metric measurable and judged by a rollout condition, every
// condition on a measured metric, limits and intervals in range.
Status CheckAnalysis(const sm::Manifest& m) {
  const sm::Analysis& a = m.analysis();
  if (a.interval_ms() < 1) return Field("analysis.interval", "must be positive");
  if (a.metrics().empty())
    return Field("analysis.metrics", "needs at least one metric (else nothing is measured)");
  if (a.metrics_size() > static_cast<int>(kMaxMapEntries)) {
    return Field("analysis.metrics",
                 "too many (at most " + std::to_string(kMaxMapEntries) + ")");
  }
  std::set<std::string> names;
  std::set<std::string> judged;  // metrics some rollout condition names
  for (const auto* list : {&m.rollout().promote_when(), &m.rollout().rollback_when()}) {
    for (const std::string& text : *list) {
      auto c = ParseCondition(text);
      if (c.ok()) judged.insert(c->metric);
    }
  }
  bool deciding = false;
  for (int i = 0; i < a.metrics_size(); ++i) {
    const sm::AnalysisMetric& am = a.metrics(i);
    const std::string where = "analysis.metrics[" + std::to_string(i) + "]";
    if (!IsMetricName(am.name())) {
      return Field(where + ".name", am.name().empty() ? "is required"
                                                      : "'" + am.name() + "' is not a metric name");
    }
    if (!names.insert(am.name()).second) return Field(where + ".name", am.name() + " appears twice");
    DVS_RETURN_IF_ERROR(CheckMetricSource("analysis.metrics." + am.name(), am.source()));
    if (!am.dry_run() && judged.count(am.name()) == 0) {
      return Field("analysis.metrics." + am.name(),
                   "no rollout.promote_when or rollout.rollback_when condition names it, so it "
                   "could decide nothing (add one, or set dry_run: true)");
    }
    deciding = deciding || !am.dry_run();
  }
  if (!deciding)
    return Field("analysis.metrics", "every metric is dry_run: nothing would ever be decided");
  for (const auto& [field, list] : {std::pair{"rollout.promote_when", &m.rollout().promote_when()},
                                    std::pair{"rollout.rollback_when", &m.rollout().rollback_when()}}) {
    for (const std::string& text : *list) {
      auto c = ParseCondition(text);
      if (c.ok() && names.count(c->metric) == 0) {
        return Field(field, "'" + text + "' names " + c->metric +
                                ", which analysis.metrics does not measure");
      }
    }
  }
  if (a.has_samples()) {
    DVS_RETURN_IF_ERROR(CheckMetricSource("analysis.samples", a.samples()));
  } else if (m.rollout().min_samples() > 1) {
    return Field("analysis.samples",
                 "is needed: rollout.min_samples is " + std::to_string(m.rollout().min_samples()) +
                     " and without a samples query each round counts 1 sample (or set "
                     "rollout.min_samples: 1)");
  }
  return Status::OK();
}

void CivilFromDays(int64_t z, int* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int>(yy + (*m <= 2));
}

// CheckName, with or without '.': a service name joins a bundle id, so it has none, and the error
// lists exactly what is allowed where it is raised.
Status CheckNameChars(std::string_view what, std::string_view name, bool allow_dot) {
  std::string w(what);
  if (name.empty()) return Field(w, "is required");
  if (name.size() > kMaxNameLength) {
    return Field(w, "'" + std::string(name.substr(0, 16)) + "...' is longer than " +
                        std::to_string(kMaxNameLength) + " characters");
  }
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) {
    return Field(w, "'" + std::string(name) + "' must start with a letter");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' &&
        (c != '.' || !allow_dot)) {
      return Field(w, "'" + std::string(name) + "' has the character '" + std::string(1, c) +
                          (allow_dot ? "' (allowed: letters, digits, _ - .)"
                                     : "' (allowed: letters, digits, _ -; no '.': bundle ids "
                                       "join name and version)"));
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckName(std::string_view what, std::string_view name) {
  return CheckNameChars(what, name, /*allow_dot=*/true);
}

bool IsInvisibleOrBidi(uint32_t cp) {
  return cp == 0x061C || cp == 0x200B || cp == 0x200E || cp == 0x200F || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || cp == 0x2060 ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

Status CheckPrintable(const std::string& field, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) return Field(field, "is not valid UTF-8 (byte " + std::to_string(i) + ")");
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "U+%04X", static_cast<unsigned>(cp));
      return Field(field, std::string("has the control character ") + hex + " at byte " +
                              std::to_string(i) + " (control and escape characters are refused)");
    }
    if (IsInvisibleOrBidi(cp)) {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "U+%04X", static_cast<unsigned>(cp));
      return Field(field, std::string("has the invisible or direction-changing character ") + hex +
                              " at byte " + std::to_string(i) +
                              " (it would hide or reorder text on a reader's screen)");
    }
    i += n;
  }
  return Status::OK();
}

namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

// The first field of `d`'s encoding in `in` that the format does not know: a number `d` does not
// declare, or a declared number with another wire type (the parser would keep both aside as
// unknown, or, inside a map entry, drop them). Recurses into every message-typed field, map
// entries included. On finding one, returns false with `*number` set and `*path` naming the
// nested fields (".observe.metrics"); the path is built only then (no allocation on replay).
bool WalkKnownFields(google::protobuf::io::CodedInputStream* in, const Descriptor* d,
                     std::string* path, uint32_t* number) {
  for (;;) {
    const uint32_t tag = in->ReadTag();
    if (tag == 0) return true;  // the end (the bytes already parsed, so not garbage)
    const FieldDescriptor* f = d->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    if (f == nullptr) {
      *number = WireFormatLite::GetTagFieldNumber(tag);
      return false;
    }
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    const bool expected_type =
        wire_type == WireFormatLite::WireTypeForFieldType(
                         static_cast<WireFormatLite::FieldType>(f->type())) ||
        (f->is_packable() && wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    if (!expected_type) {
      *number = WireFormatLite::GetTagFieldNumber(tag);
      return false;
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!WireFormatLite::SkipField(in, tag)) return true;  // ParseFromArray refused it already
      continue;
    }
    uint32_t length = 0;
    if (!in->ReadVarint32(&length)) return true;
    const auto limit = in->PushLimit(static_cast<int>(length));
    if (!WalkKnownFields(in, f->message_type(), path, number)) {
      path->insert(0, "." + f->name());
      return false;
    }
    in->PopLimit(limit);
  }
}

}  // namespace

Status RefuseUnknownFields(std::string_view bytes, const Descriptor* d, const std::string& where) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  std::string path;
  uint32_t number = 0;
  if (WalkKnownFields(&in, d, &path, &number)) return Status::OK();
  return Status::InvalidArgument("unknown field " + std::to_string(number) + " in " + where + path +
                                 ": not part of the signed format");
}

Status CheckReason(std::string_view what, std::string_view text) {
  return CheckText(std::string(what), text, true);
}

Status ValidateManifest(const sm::Manifest& m) {
  DVS_RETURN_IF_ERROR(CheckNameChars("name", m.name(), /*allow_dot=*/false));
  if (m.version().empty()) return Field("version", "is required");
  auto v = ParseVersion(m.version());
  if (!v.ok()) return Field("version", v.status().message());
  DVS_RETURN_IF_ERROR(CheckText("code", m.code(), false));
  DVS_RETURN_IF_ERROR(CheckText("model", m.model(), false));
  if (m.code().empty() && m.model().empty() && m.config().empty()) {
    return Field("code", "a bundle needs at least one of code, model or config");
  }
  DVS_RETURN_IF_ERROR(CheckMap("config", m.config()));
  DVS_RETURN_IF_ERROR(CheckMap("governance", m.governance()));
  if (m.canary_pct() < 1 || m.canary_pct() > 100) {
    return Field("canary_pct", std::to_string(m.canary_pct()) + " is outside 1..100");
  }
  const sm::RolloutPolicy& r = m.rollout();
  if (r.step_pct() < 1 || r.step_pct() > 100) {
    return Field("rollout.step_pct", std::to_string(r.step_pct()) + " is outside 1..100");
  }
  if (r.interval_ms() < 0) return Field("rollout.interval", "must not be negative");
  if (r.warm_for_ms() < 0) return Field("rollout.warm_for", "must not be negative");
  if (r.promote_when().empty()) {
    return Field("rollout.promote_when", "needs at least one condition (else nothing promotes)");
  }
  DVS_RETURN_IF_ERROR(CheckConditions("rollout.promote_when", r.promote_when()));
  DVS_RETURN_IF_ERROR(CheckConditions("rollout.rollback_when", r.rollback_when()));
  if (m.has_analysis()) DVS_RETURN_IF_ERROR(CheckAnalysis(m));
  if (m.artifacts_size() > static_cast<int>(kMaxMapEntries)) {
    return Field("artifacts", "too many (at most " + std::to_string(kMaxMapEntries) + ")");
  }
  for (const auto& a : m.artifacts()) {
    DVS_RETURN_IF_ERROR(CheckText("artifacts.path", a.path(), true));
    if (a.sha256().size() != kHashSize)
      return Field("artifacts." + a.path(), "sha256 is not 32 bytes");
  }
  return Status::OK();
}

std::string BundleId(const sm::Manifest& m, const Hash& digest) {
  return m.name() + "_" + m.version() + "_" + ToHex(digest).substr(0, 6);
}

std::string VersionTag(const sm::Manifest& m, int64_t time_ms) {
  int64_t days = time_ms / 86400000;
  if (time_ms < 0 && time_ms % 86400000 != 0) --days;
  int y;
  unsigned mo, d;
  CivilFromDays(days, &y, &mo, &d);
  char date[40];
  std::snprintf(date, sizeof(date), "%04d%02u%02u", y, mo, d);
  return m.name() + "_v" + m.version() + "+" + date;
}

std::string EncodeManifest(const sm::Manifest& m) { return SerializeDeterministic(m); }

std::string SerializeDeterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream sos(&out);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cos);
  }
  return out;
}

// Every failed check, not only the first: whoever fixes the manifest fixes it once.
Status CheckGovernance(const sm::GovernancePolicy& p, const sm::Manifest& m) {
  const auto& g = m.governance();
  std::vector<std::string> failed;
  auto license = g.find("license");
  if (license == g.end() || license->second.empty()) {
    failed.push_back("the manifest declares no license");
  } else if (!p.allowed_licenses().empty() &&
             std::find(p.allowed_licenses().begin(), p.allowed_licenses().end(),
                       license->second) == p.allowed_licenses().end()) {
    failed.push_back("license '" + license->second + "' is not in the policy's allowed licenses");
  }
  for (const std::string& review : p.required_reviews()) {
    auto it = g.find(review);
    if (it == g.end()) {
      failed.push_back("required review '" + review + "' is missing");
    } else if (it->second != "passed") {
      failed.push_back("review '" + review + "' is '" + it->second + "', not 'passed'");
    }
  }
  for (const auto& [tag, values] : p.required_tags()) {
    auto it = g.find(tag);
    if (it == g.end()) {
      failed.push_back("compliance tag '" + tag + "' is missing");
    } else if (!values.allowed().empty() &&
               std::find(values.allowed().begin(), values.allowed().end(), it->second) ==
                   values.allowed().end()) {
      failed.push_back("compliance tag " + tag + "='" + it->second +
                       "' is not one the policy allows");
    }
  }
  if (failed.empty()) return Status::OK();
  std::string why;
  for (const std::string& f : failed) why += (why.empty() ? "" : "; ") + f;
  return Status::Refused("governance: " + why);
}

Status ValidatePolicy(const sm::GovernancePolicy& p) {
  if (static_cast<size_t>(p.allowed_licenses_size() + p.required_reviews_size() +
                          p.required_tags_size()) > kMaxMapEntries) {
    return Field("policy", "has more than " + std::to_string(kMaxMapEntries) + " rules");
  }
  for (const auto& l : p.allowed_licenses())
    DVS_RETURN_IF_ERROR(CheckText("allowed_licenses", l, true));
  for (const auto& r : p.required_reviews()) DVS_RETURN_IF_ERROR(CheckName("required_reviews", r));
  for (const auto& [t, v] : p.required_tags()) {
    DVS_RETURN_IF_ERROR(CheckName("required_tags", t));
    if (v.allowed().empty() && !v.any_value()) {
      return Field("required_tags." + t,
                   "lists no allowed values (an empty list would allow any value; set any_value)");
    }
    if (!v.allowed().empty() && v.any_value()) {
      return Field("required_tags." + t, "lists allowed values and also allows any value");
    }
    for (const auto& a : v.allowed()) DVS_RETURN_IF_ERROR(CheckText("required_tags." + t, a, true));
  }
  return Status::OK();
}

}  // namespace dvs
