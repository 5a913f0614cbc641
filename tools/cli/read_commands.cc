// status, routes, history, log, audit.
#include <cstdio>

#include "dvs/events.h"
#include "tools/cli/cli.h"

namespace dvs::cli {

namespace {

struct ReadArgs {
  std::string target, service, bundle, actor, type, since, until;
  uint64_t from = 0, to = UINT64_MAX;
  bool csv = false;
};

void MetricsJson(Json& j, const Metrics& m) {
  j.BeginObject();
  for (const auto& [k, v] : m) j.Key(k).Number(v);
  j.EndObject();
}

std::string MetricsText(const Metrics& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : " ") + k + "=" + Num(v);
  return out.empty() ? "(none observed)" : out;
}

void StatusJsonFields(Json& j, const BundleStatus& s) {
  j.Key("bundle").String(s.bundle).Key("service").String(s.service).Key("version").String(
      s.version);
  j.Key("version_tag")
      .String(s.version_tag)
      .Key("state")
      .String(s.state)
      .Key("weight")
      .Uint(s.weight);
  j.Key("role").String(s.role).Key("metrics");
  MetricsJson(j, s.metrics);
  j.Key("samples").Uint(s.samples);
  if (s.observed_ms) j.Key("observed_at").String(FormatTime(s.observed_ms));
  j.Key("digest").String(s.digest_hex).Key("packaged_by").String(s.packaged_by);
  j.Key("approved_by").String(s.approved_by).Key("reason").String(s.reason);
}

void PrintStatusText(const BundleStatus& s) {
  std::printf("bundle    %s\n", s.bundle.c_str());
  std::printf("service   %s\n", s.service.c_str());
  std::printf("version   %s  (tag %s)\n", s.version.c_str(), s.version_tag.c_str());
  std::printf("state     %s%s, weight %u %%\n", s.state.c_str(),
              s.role.empty() ? "" : (" (" + s.role + ")").c_str(), s.weight);
  std::printf("metrics   %s", MetricsText(s.metrics).c_str());
  if (s.observed_ms)
    std::printf("  [%llu samples at %s]", static_cast<unsigned long long>(s.samples),
                FormatTime(s.observed_ms).c_str());
  std::printf("\napproved  %s\n", s.approved_by.empty() ? "no" : ("by " + s.approved_by).c_str());
  if (!s.reason.empty()) std::printf("reason    %s\n", s.reason.c_str());
  std::printf("digest    %s\n", s.digest_hex.c_str());
}

int StatusCmd(const Globals& g, const ReadArgs& a) {
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("status", svc.status());
  auto b = (*svc)->StatusOf(a.target);
  if (b.ok()) {
    if (g.json) {
      Json j;
      j.BeginObject();
      StatusJsonFields(j, *b);
      j.EndObject();
      std::printf("%s\n", j.str().c_str());
    } else {
      PrintStatusText(*b);
    }
    return kExitOk;
  }
  auto list = (*svc)->StatusOfService(a.target);
  if (!list.ok()) {
    return Fail("status", Status::NotFound("'" + a.target + "' is neither a bundle nor a service"));
  }
  if (g.json) {
    Json j;
    j.BeginObject();
    if (list->empty()) {
      j.Key("service").String(a.target);
    } else {
      StatusJsonFields(j, list->front());  // the stable bundle's fields at the top
    }
    j.Key("bundles").BeginArray();
    for (const auto& s : *list) {
      j.BeginObject();
      StatusJsonFields(j, s);
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("service %s\n", a.target.c_str());
  std::printf("  %-28s %-10s %-8s %-12s %s\n", "BUNDLE", "VERSION", "WEIGHT", "STATE", "METRICS");
  for (const auto& s : *list) {
    std::printf("  %-28s %-10s %5u %%  %-12s %s\n", s.bundle.c_str(), s.version.c_str(), s.weight,
                (s.state + (s.role == "warm" ? " (warm)" : "")).c_str(),
                MetricsText(s.metrics).c_str());
  }
  return kExitOk;
}

int RoutesCmd(const Globals& g) {
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("routes", svc.status());
  auto routes = (*svc)->Routes();
  if (!routes.ok()) return Fail("routes", routes.status());
  if (g.json) {
    Json j;
    j.BeginObject().Key("services").BeginObject();
    for (const auto& [name, rs] : *routes) {
      j.Key(name).BeginArray();
      for (const Route& r : rs) {
        j.BeginObject().Key("bundle").String(r.bundle).Key("version").String(r.version);
        j.Key("weight").Uint(r.weight).Key("role").String(RouteRoleName(r.role)).EndObject();
      }
      j.EndArray();
    }
    j.EndObject().EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%-16s %-28s %-10s %-7s %s\n", "SERVICE", "BUNDLE", "VERSION", "WEIGHT", "ROLE");
  for (const auto& [name, rs] : *routes) {
    for (const Route& r : rs) {
      std::printf("%-16s %-28s %-10s %4u %%  %s\n", name.c_str(), r.bundle.c_str(),
                  r.version.c_str(), r.weight, RouteRoleName(r.role));
    }
  }
  return kExitOk;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// "5 % -> 25 %" when the entry moved traffic, else "".
std::string WeightChange(const LogRow& r) {
  if (r.weight_before == r.weight_after) return "";
  return std::to_string(r.weight_before) + " % -> " + std::to_string(r.weight_after) + " %";
}

std::string EvidenceText(const LogRow& r) {
  std::string out;
  for (const auto& [seq, m] : r.evidence) {
    out += (out.empty() ? "" : "; ") + std::string("seq ") + std::to_string(seq) + ": " +
           MetricsText(m);
  }
  return out;
}

int HistoryCmd(const Globals& g, const ReadArgs& a) {
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("history", svc.status());
  auto rows = (*svc)->History(a.target);
  if (!rows.ok()) return Fail("history", rows.status());
  return PrintRows(g, *rows, false);
}

int LogCmd(const Globals& g, const ReadArgs& a) {
  if (a.from > a.to)
    return Usage("log: --from " + std::to_string(a.from) + " is after --to " +
                 std::to_string(a.to));
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("log", svc.status());
  auto rows = (*svc)->Log(a.from, a.to == UINT64_MAX ? a.to : a.to + 1);
  if (!rows.ok()) return Fail("log", rows.status());
  return PrintRows(g, *rows, false);
}

int AuditCmd(const Globals& g, const ReadArgs& a) {
  int64_t since = INT64_MIN, until = INT64_MAX;
  if (!a.since.empty()) {
    auto t = ParseTime(a.since);
    if (!t.ok()) return Usage("audit: --since " + t.status().message());
    since = *t;
  }
  if (!a.until.empty()) {
    auto t = ParseTime(a.until);
    if (!t.ok()) return Usage("audit: --until " + t.status().message());
    until = *t;
  }
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("audit", svc.status());
  AuditQuery q;
  q.service = a.service;
  q.bundle = a.bundle;
  q.actor = a.actor;
  q.type = a.type;
  if (!a.since.empty()) q.since_ms = since;
  if (!a.until.empty()) q.until_ms = until;
  auto rows = (*svc)->Audit(q);
  if (!rows.ok()) return Fail("audit", rows.status());
  return PrintRows(g, *rows, a.csv);
}

}  // namespace

int PrintRows(const Globals& g, const std::vector<LogRow>& rows, bool csv) {
  if (g.json) {
    Json j;
    j.BeginObject().Key("entries").BeginArray();
    for (const auto& r : rows) WriteRowJson(j, r);
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else if (csv) {
    std::printf(
        "seq,time,type,actor,key_id,bundle,service,weight_change,detail,automatic,evidence\n");
    for (const auto& r : rows) {
      std::printf("%llu,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", static_cast<unsigned long long>(r.seq),
                  FormatTime(r.time_ms).c_str(), r.kind.c_str(), CsvField(r.actor).c_str(),
                  r.actor_key.c_str(), r.bundle.c_str(), r.service.c_str(), WeightChange(r).c_str(),
                  CsvField(r.detail).c_str(), r.automatic ? "yes" : "no",
                  CsvField(EvidenceText(r)).c_str());
    }
  } else {
    for (const auto& r : rows) {
      std::string change = WeightChange(r);
      std::printf("%5llu  %s  %-10s %-14s %-26s %s%s%s\n", static_cast<unsigned long long>(r.seq),
                  FormatTime(r.time_ms).c_str(), r.kind.c_str(), r.actor.c_str(), r.bundle.c_str(),
                  change.empty() ? "" : ("[" + change + "] ").c_str(), r.detail.c_str(),
                  r.automatic ? "  [automatic]" : "");
      if (r.automatic) std::printf("%7s evidence: %s\n", "", EvidenceText(r).c_str());
    }
  }
  return kExitOk;
}

void AddReadCommands(CLI::App& app, Globals& g) {
  static ReadArgs a;

  auto* status =
      app.add_subcommand("status", "A bundle's or a service's state, weight and latest metrics");
  status->add_option("target", a.target, "bundle id or service name")->required();
  AddJsonOption(status, &g);
  status->footer("Example:\n  dvs status tax_calc --json");
  status->callback([&] { g.exit_code = StatusCmd(g, a); });

  auto* routes =
      app.add_subcommand("routes", "The routing table: every service's bundles and weights");
  AddJsonOption(routes, &g);
  routes->footer("Example:\n  dvs routes --json");
  routes->callback([&] { g.exit_code = RoutesCmd(g); });

  auto* history =
      app.add_subcommand("history", "A service's timeline: every transition that concerns it");
  history->add_option("service", a.target, "service name")->required();
  AddJsonOption(history, &g);
  history->footer("Example:\n  dvs history tax_calc");
  history->callback([&] { g.exit_code = HistoryCmd(g, a); });

  auto* log = app.add_subcommand("log", "The ledger's entries, decoded");
  log->add_option("--from", a.from, "first seq (default 0)");
  log->add_option("--to", a.to, "last seq, inclusive (default: the head)");
  AddJsonOption(log, &g);
  log->footer("Example:\n  dvs log --from 10 --to 20");
  log->callback([&] { g.exit_code = LogCmd(g, a); });

  auto* audit =
      app.add_subcommand("audit", "Who did what, when, on what evidence: filtered entries");
  audit->add_option("--service", a.service, "only this service");
  audit->add_option("--bundle", a.bundle, "only this bundle");
  audit->add_option("--actor", a.actor, "only this key (name or key id)");
  audit->add_option("--type", a.type,
                    "only this type: package, approve, deploy, ramp, promote, rollback, ...");
  audit->add_option("--since", a.since, "from this time (RFC 3339 or unix ms)");
  audit->add_option("--until", a.until, "to this time (RFC 3339 or unix ms)");
  audit->add_flag("--csv", a.csv, "print CSV");
  AddJsonOption(audit, &g);
  audit->footer(
      "Example: every rollback of tax_calc, with who signed it and the evidence cited\n"
      "  dvs audit --service tax_calc --type rollback");
  audit->callback([&] { g.exit_code = AuditCmd(g, a); });
}

}  // namespace dvs::cli
