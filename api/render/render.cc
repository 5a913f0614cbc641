#include "api/render/render.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include "api/render/json.h"
#include "api/render/text_table.h"
#include "api/service/events.h"
#include "statemachine/condition.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/roles.h"

namespace dvs {

namespace {

// printf into a std::string.
__attribute__((format(printf, 2, 3))) void Appendf(std::string* out, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof(buf)) {
    out->append(buf, n);
    return;
  }
  std::string big(n + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(big.data(), big.size(), fmt, ap);
  va_end(ap);
  big.resize(n);
  *out += big;
}

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

void MetricsJson(Json& j, const Metrics& m) {
  j.BeginObject();
  for (const auto& [k, v] : m) j.Key(k).Number(v);
  j.EndObject();
}

std::string MetricsText(const Metrics& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + FormatValue(v);
  return out.empty() ? "(none observed)" : out;
}

void StatusJsonFields(Json& j, const BundleStatus& s) {
  j.Key("bundle").String(s.bundle).Key("service").String(s.service);
  j.Key("version").String(s.version).Key("version_tag").String(s.version_tag);
  j.Key("state").String(s.state).Key("weight").Uint(s.weight);
  j.Key("role").String(s.role).Key("step_pct").Uint(s.step_pct).Key("metrics");
  MetricsJson(j, s.metrics);
  j.Key("samples").Uint(s.samples);
  if (s.observed_ms) j.Key("observed_at").String(Rfc3339Time(s.observed_ms));
  j.Key("digest").String(s.digest_hex).Key("packaged_by").String(s.packaged_by);
  j.Key("approved_by").String(s.approved_by).Key("reason").String(s.reason);
  for (auto [name, list] : {std::pair{"promote_when", &s.promote_when},
                            std::pair{"rollback_when", &s.rollback_when}}) {
    j.Key(name).BeginArray();
    for (const std::string& c : *list) j.String(c);
    j.EndArray();
  }
  if (!s.confirmed.empty()) {
    j.Key("confirmed").BeginArray();
    for (const auto& c : s.confirmed) {
      j.BeginObject().Key("router").String(c.router).Key("weight").Uint(c.weight);
      j.Key("seq").Uint(c.seq).Key("time").String(Rfc3339Time(c.time_ms)).EndObject();
    }
    j.EndArray();
  }
}

// "25 %", or "5-25 %" when the routers disagree; "" when no router confirmed anything.
std::string ConfirmedText(const BundleStatus& s) {
  if (s.confirmed.empty()) return "";
  uint32_t lo = 100, hi = 0;
  for (const auto& c : s.confirmed) {
    lo = std::min(lo, c.weight);
    hi = std::max(hi, c.weight);
  }
  return lo == hi ? std::to_string(lo) + " %"
                  : std::to_string(lo) + "-" + std::to_string(hi) + " %";
}

std::string CsvField(const std::string& raw) {
  const std::string s = TerminalSafe(raw);
  if (s.find_first_of(",\"") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// "5 % -> 25 %" when the entry moved traffic, else "".
std::string WeightChange(const LogRow& r) {
  if (r.weight_before == r.weight_after) return "";
  return std::to_string(r.weight_before) + " % -> " + std::to_string(r.weight_after) + " %";
}

// "100 %".
std::string Percent(uint32_t weight) { return std::to_string(weight) + " %"; }

std::string EvidenceText(const LogRow& r) {
  std::string out;
  for (const auto& [seq, m] : r.evidence) {
    out += (out.empty() ? "" : "; ") + std::string("seq ") + std::to_string(seq) + ": " +
           MetricsText(m);
  }
  return out;
}

}  // namespace

Result<Format> ParseFormat(const std::string& name) {
  if (name == "text") return Format::kText;
  if (name == "json") return Format::kJson;
  if (name == "csv") return Format::kCsv;
  return Status::InvalidArgument("format '" + name + "' is not one of text, json, csv");
}

std::string TerminalSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k)
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    // C0 and DEL; C1 is U+0080..U+009F, in UTF-8 0xC2 0x80..0x9F.
    if (ok && n == 1 && (c < 0x20 || c == 0x7F)) ok = false;
    if (ok && n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) ok = false;
    if (ok && n >= 2) {
      uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      if (IsInvisibleOrBidi(cp)) {
        char buf[16];
        std::snprintf(buf, sizeof(buf), "\\u%04X", static_cast<unsigned>(cp));
        out += buf;
        i += n;
        continue;
      }
    }
    if (ok) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    char buf[8];
    std::snprintf(buf, sizeof(buf), "\\x%02X", c);
    out += buf;
    ++i;
  }
  return out;
}

std::string RenderBundleStatus(const BundleStatus& s, Format f) {
  if (f == Format::kJson) {
    Json j;
    j.BeginObject();
    StatusJsonFields(j, s);
    j.EndObject();
    return j.str() + "\n";
  }
  std::string out;
  Appendf(&out, "bundle    %s\n", s.bundle.c_str());
  Appendf(&out, "service   %s\n", s.service.c_str());
  Appendf(&out, "version   %s  (tag %s)\n", s.version.c_str(), s.version_tag.c_str());
  // The role only when it adds something: "superseded (warm)", "paused (canary)".
  const bool role_adds = !s.role.empty() && s.role != s.state;
  Appendf(&out, "state     %s%s, weight %u %%\n", s.state.c_str(),
          role_adds ? (" (" + s.role + ")").c_str() : "", s.weight);
  for (const auto& c : s.confirmed) {
    Appendf(&out, "confirmed %u %% by %s at seq %llu (%s)\n", c.weight,
            TerminalSafe(c.router).c_str(), U(c.seq), Rfc3339Time(c.time_ms).c_str());
  }
  Appendf(&out, "metrics   %s", MetricsText(s.metrics).c_str());
  if (s.observed_ms)
    Appendf(&out, "  [%llu samples at %s]", U(s.samples), Rfc3339Time(s.observed_ms).c_str());
  Appendf(&out, "\napproved  %s\n",
          s.approved_by.empty() ? "no" : ("by " + TerminalSafe(s.approved_by)).c_str());
  if (!s.reason.empty()) Appendf(&out, "reason    %s\n", TerminalSafe(s.reason).c_str());
  Appendf(&out, "digest    %s\n", s.digest_hex.c_str());
  return out;
}

std::string RenderServiceStatus(const std::string& service, const std::vector<BundleStatus>& list,
                                Format f, size_t width) {
  if (f == Format::kJson) {
    Json j;
    j.BeginObject();
    if (list.empty()) {
      j.Key("service").String(service);
    } else {
      StatusJsonFields(j, list.front());  // the stable bundle's fields at the top
    }
    j.Key("bundles").BeginArray();
    for (const auto& s : list) {
      j.BeginObject();
      StatusJsonFields(j, s);
      j.EndObject();
    }
    j.EndArray().EndObject();
    return j.str() + "\n";
  }
  // The weight the routers confirmed beside the decided one, once any router confirmed.
  const bool confirmed = std::any_of(list.begin(), list.end(),
                                     [](const BundleStatus& s) { return !s.confirmed.empty(); });
  std::vector<std::string> header = {"BUNDLE", "VERSION", "WEIGHT", "STATE", "METRICS"};
  if (confirmed) header.insert(header.begin() + 3, "CONFIRMED");
  TextTable t(header, confirmed ? std::vector<size_t>{2, 3} : std::vector<size_t>{2});
  for (const auto& s : list) {
    std::vector<std::string> row = {s.bundle, s.version, Percent(s.weight),
                                    s.state + (s.role == "warm" ? " (warm)" : ""),
                                    MetricsText(s.metrics)};
    if (confirmed) row.insert(row.begin() + 3, ConfirmedText(s));
    t.Row(row);
  }
  return "service " + service + "\n" + t.Render(width);
}

namespace {

void RoutesJson(Json& j, const std::map<std::string, std::vector<Route>>& routes) {
  j.BeginObject();
  for (const auto& [name, rs] : routes) {
    j.Key(name).BeginArray();
    for (const Route& r : rs) {
      j.BeginObject().Key("bundle").String(r.bundle).Key("version").String(r.version);
      j.Key("weight").Uint(r.weight).Key("role").String(RouteRoleName(r.role)).EndObject();
    }
    j.EndArray();
  }
  j.EndObject();
}

std::string RoutesText(const std::map<std::string, std::vector<Route>>& routes, size_t width) {
  TextTable t({"SERVICE", "BUNDLE", "VERSION", "WEIGHT", "ROLE"}, {3});
  for (const auto& [name, rs] : routes) {
    for (const Route& r : rs)
      t.Row({name, r.bundle, r.version, Percent(r.weight), RouteRoleName(r.role)});
  }
  return t.Render(width);
}

}  // namespace

std::string RenderRoutes(const std::map<std::string, std::vector<Route>>& routes, Format f,
                         size_t width) {
  if (f != Format::kJson) return RoutesText(routes, width);
  Json j;
  j.BeginObject().Key("services");
  RoutesJson(j, routes);
  j.EndObject();
  return j.str() + "\n";
}

std::string RenderStateAt(const State& s, Format f, size_t width) {
  std::map<std::string, std::vector<Route>> routes;
  for (const auto& [name, svc] : s.services) routes[name] = s.Routes(name, s.last_time_ms);
  if (f == Format::kJson) {
    Json j;
    j.BeginObject().Key("entries").Uint(s.size);
    if (s.size > 0) j.Key("seq").Uint(s.size - 1).Key("time").String(Rfc3339Time(s.last_time_ms));
    j.Key("services");
    RoutesJson(j, routes);
    j.Key("bundles").BeginArray();
    for (const auto& [id, b] : s.bundles) {
      j.BeginObject().Key("bundle").String(id).Key("service").String(b.service);
      j.Key("version").String(b.version).Key("state").String(BundleStateName(b.state));
      j.Key("weight").Uint(s.WeightOf(b)).EndObject();
    }
    j.EndArray().EndObject();
    return j.str() + "\n";
  }
  if (s.size == 0) return "before the first entry: nothing\n";
  std::string out;
  Appendf(&out, "as of seq %llu (%s)\n\n", U(s.size - 1), Rfc3339Time(s.last_time_ms).c_str());
  out += RoutesText(routes, width) + "\n";
  TextTable t({"BUNDLE", "VERSION", "STATE"});
  for (const auto& [id, b] : s.bundles) t.Row({id, b.version, BundleStateName(b.state)});
  return out + t.Render(width);
}

std::string RenderKeys(const State& s, Format f, size_t width) {
  if (f == Format::kJson) {
    Json j;
    j.BeginObject().Key("keys").BeginArray();
    for (const auto& [name, k] : s.keys) {
      j.BeginObject().Key("name").String(name).Key("key_id").String(k.key.Id());
      j.Key("roles").BeginArray();
      for (int r = 0; r < kRoleCount; ++r) {
        if (Has(k.roles, static_cast<Role>(r))) j.String(RoleName(static_cast<Role>(r)));
      }
      j.EndArray().Key("granted_seq").Uint(k.granted_seq).Key("revoked").Bool(k.revoked);
      if (k.revoked)
        j.Key("revoked_seq").Uint(k.revoked_seq).Key("revoke_reason").String(k.revoke_reason);
      j.EndObject();
    }
    j.EndArray().EndObject();
    return j.str() + "\n";
  }
  TextTable t({"NAME", "KEY ID", "ROLES", "STATUS"});
  for (const auto& [name, k] : s.keys) {
    std::string status = k.revoked ? "revoked at seq " + std::to_string(k.revoked_seq) + ": " +
                                         TerminalSafe(k.revoke_reason)
                                   : "granted at seq " + std::to_string(k.granted_seq);
    t.Row({TerminalSafe(name), k.key.Id(), RoleSetToString(k.roles), status});
  }
  return t.Render(width);
}

std::string RenderRows(const std::vector<LogRow>& rows, Format f, size_t width) {
  std::string out;
  if (f == Format::kJson) {
    Json j;
    j.BeginObject().Key("entries").BeginArray();
    for (const auto& r : rows) WriteRowJson(j, r);
    j.EndArray().EndObject();
    return j.str() + "\n";
  }
  if (f == Format::kCsv) {
    out += "seq,time,type,actor,key_id,bundle,service,weight_change,detail,automatic,evidence\n";
    for (const auto& r : rows) {
      Appendf(&out, "%llu,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", U(r.seq),
              Rfc3339Time(r.time_ms).c_str(), r.kind.c_str(), CsvField(r.actor).c_str(),
              r.actor_key.c_str(), CsvField(r.bundle).c_str(), CsvField(r.service).c_str(),
              WeightChange(r).c_str(), CsvField(r.detail).c_str(), r.automatic ? "yes" : "no",
              CsvField(EvidenceText(r)).c_str());
    }
    return out;
  }
  TextTable t({"SEQ", "TIME", "TYPE", "ACTOR", "BUNDLE", "DETAIL"}, {0});
  for (const auto& r : rows) {
    const std::string change = WeightChange(r);
    t.Row({std::to_string(r.seq), Rfc3339Time(r.time_ms), r.kind, TerminalSafe(r.actor),
           TerminalSafe(r.bundle),
           (change.empty() ? "" : "[" + change + "] ") + TerminalSafe(r.detail) +
               (r.automatic ? "  [automatic]" : "")});
    if (r.automatic) t.Note("evidence: " + EvidenceText(r));
  }
  return t.Render(width);
}

std::string RenderReceipt(const Receipt& r, Format f) {
  if (f == Format::kJson) {
    Json j;
    j.BeginObject().Key("seq").Uint(r.seq).Key("time").String(Rfc3339Time(r.time_ms));
    j.Key("kind").String(r.kind).Key("bundle").String(r.bundle);
    if (!r.key.empty()) j.Key("key").String(r.key);
    j.Key("request_id").String(r.request_id).Key("hash").String(ToHex(r.hash));
    if (!r.appended) j.Key("appended").Bool(false);
    if (!r.state.empty()) {
      j.Key("state").String(r.state).Key("weight_before").Uint(r.weight_before);
      j.Key("weight_after").Uint(r.weight_after);
    }
    if (!r.decision.empty()) {
      j.Key("decision").BeginObject().Key("decision").String(r.decision);
      if (r.decision == "step") j.Key("to_pct").Uint(r.decision_to_pct);
      j.Key("reason").String(r.decision_reason);
      if (r.decision_seq != 0) j.Key("seq").Uint(r.decision_seq);
      j.EndObject();
    }
    j.EndObject();
    return j.str() + "\n";
  }
  // One line: what was committed, then what it did ("canary at 45 % (was 25 %)") and, for an
  // observation `dvs serve` evaluated at once, what the controller decided on it.
  std::string out;
  const std::string& about = r.bundle.empty() ? r.key : r.bundle;
  Appendf(&out, "%s%s%s: %s at seq %llu", r.kind.c_str(), about.empty() ? "" : " ",
          about.c_str(), r.appended ? "committed" : "already committed (nothing appended)",
          U(r.seq));
  if (!r.state.empty()) {
    Appendf(&out, "; %s", r.state.c_str());
    if (r.weight_before != 0 || r.weight_after != 0) Appendf(&out, " at %u %%", r.weight_after);
    if (r.weight_before != r.weight_after) Appendf(&out, " (was %u %%)", r.weight_before);
  }
  if (!r.decision.empty()) {
    out += "; the controller decided " +
           DecisionSummary(r.decision, r.decision_to_pct, r.decision_reason, r.decision_seq);
  }
  return out + "\n";
}

std::string RenderTick(const std::vector<TickOutcome>& outcomes, Format f) {
  if (f == Format::kJson) {
    Json j;
    j.BeginObject().Key("decisions").BeginArray();
    for (const auto& o : outcomes) {
      j.BeginObject().Key("service").String(o.service).Key("bundle").String(o.bundle);
      j.Key("decision").String(DecisionKindName(o.decision.kind));
      if (o.decision.kind == Decision::Kind::kStep) j.Key("to_pct").Uint(o.decision.to_pct);
      j.Key("reason").String(o.decision.reason);
      if (o.receipt) j.Key("seq").Uint(o.receipt->seq);
      j.EndObject();
    }
    j.EndArray().EndObject();
    return j.str() + "\n";
  }
  std::string out;
  if (outcomes.empty()) out += "no active canary to evaluate\n";
  for (const auto& o : outcomes) {
    out += o.service + " " + o.bundle + ": " +
           DecisionSummary(DecisionKindName(o.decision.kind), o.decision.to_pct,
                           o.decision.reason, o.receipt ? o.receipt->seq : 0) +
           "\n";
  }
  return out;
}

std::string DecisionSummary(std::string_view kind, uint32_t to_pct, std::string_view reason,
                            uint64_t seq) {
  std::string what(kind);
  if (kind == "step") what += " to " + std::to_string(to_pct) + " %";
  const std::string restated = "; " + what;
  if (reason.size() > restated.size() && reason.ends_with(restated)) {
    reason.remove_suffix(restated.size());
  }
  if (seq != 0) what += " at seq " + std::to_string(seq);
  return what + " (" + TerminalSafe(reason) + ")";
}

}  // namespace dvs
