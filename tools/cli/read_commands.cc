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

int StatusCmd(const Globals& g, const ReadArgs& a) {
  if (!g.server.empty())
    return PrintRemote(g, "status", "/v1/status/" + UrlEncode(a.target), OutputFormat(g));
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("status", svc.status());
  auto b = (*svc)->StatusOf(a.target);
  if (b.ok()) {
    std::fputs(RenderBundleStatus(*b, OutputFormat(g)).c_str(), stdout);
    return kExitOk;
  }
  auto list = (*svc)->StatusOfService(a.target);
  if (!list.ok()) {
    return Fail("status", Status::NotFound("'" + a.target + "' is neither a bundle nor a service"));
  }
  std::fputs(RenderServiceStatus(a.target, *list, OutputFormat(g), TerminalWidth()).c_str(),
             stdout);
  return kExitOk;
}

int RoutesCmd(const Globals& g) {
  if (!g.server.empty()) return PrintRemote(g, "routes", "/v1/routes", OutputFormat(g));
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("routes", svc.status());
  auto routes = (*svc)->Routes();
  if (!routes.ok()) return Fail("routes", routes.status());
  std::fputs(RenderRoutes(*routes, OutputFormat(g), TerminalWidth()).c_str(), stdout);
  return kExitOk;
}

int HistoryCmd(const Globals& g, const ReadArgs& a) {
  if (!g.server.empty())
    return PrintRemote(g, "history", "/v1/history/" + UrlEncode(a.target), OutputFormat(g));
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
  if (!g.server.empty()) {
    std::string target = "/v1/log?from=" + std::to_string(a.from);
    if (a.to != UINT64_MAX) target += "&to=" + std::to_string(a.to);
    return PrintRemote(g, "log", target, OutputFormat(g));
  }
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
  if (!g.server.empty()) {
    std::string target = "/v1/audit?";
    for (auto [name, v] : {std::pair{"service", &a.service}, std::pair{"bundle", &a.bundle},
                           std::pair{"actor", &a.actor}, std::pair{"type", &a.type}}) {
      if (!v->empty()) target += std::string(name) + "=" + UrlEncode(*v) + "&";
    }
    if (!a.since.empty()) target += "since=" + std::to_string(since) + "&";
    if (!a.until.empty()) target += "until=" + std::to_string(until) + "&";
    target.pop_back();
    return PrintRemote(g, "audit", target, a.csv && !g.json ? Format::kCsv : OutputFormat(g));
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
  WholeNumber(log->add_option("--from", a.from, "first seq (default 0)"), 0, kMaxSeq);
  WholeNumber(log->add_option("--to", a.to, "last seq, inclusive (default: the head)"), 0, kMaxSeq);
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
  TimeValue(audit->add_option("--since", a.since, "from this time (RFC 3339 or unix ms)"));
  TimeValue(audit->add_option("--until", a.until, "to this time (RFC 3339 or unix ms)"));
  audit->add_flag("--csv", a.csv, "print CSV");
  AddJsonOption(audit, &g);
  audit->footer(
      "Example: every rollback of tax_calc, with who signed it and the evidence cited\n"
      "  dvs audit --service tax_calc --type rollback");
  audit->callback([&] { g.exit_code = AuditCmd(g, a); });
}

}  // namespace dvs::cli
