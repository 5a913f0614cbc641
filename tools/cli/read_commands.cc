// status, routes, history, log, audit.
#include <cstdio>
#include <tuple>

#include "api/service/events.h"
#include "tools/cli/cli.h"
#include "tools/cli/watch.h"

namespace dvs::cli {

namespace {

struct ReadArgs {
  std::string target, service, bundle, actor, type, since, until;
  uint64_t from = 0, to = UINT64_MAX;
  bool csv = false, watch = false;
};

int StatusCmd(const Globals& g, const ReadArgs& a) {
  if (a.watch) {
    if (g.json) return Usage("status: --watch redraws a table; it does not combine with --json");
    return StatusWatch(g, a.target);
  }
  return PrintQuery(g, "status", Query::Status(a.target), OutputFormat(g));
}

int RoutesCmd(const Globals& g) { return PrintQuery(g, "routes", Query::Routes(), OutputFormat(g)); }

int HistoryCmd(const Globals& g, const ReadArgs& a) {
  return PrintQuery(g, "history", Query::History(a.target), OutputFormat(g));
}

int LogCmd(const Globals& g, const ReadArgs& a) {
  if (a.from > a.to)
    return Usage("log: --from " + std::to_string(a.from) + " is after --to " +
                 std::to_string(a.to));
  return PrintQuery(g, "log", Query::Log(a.from, a.to), OutputFormat(g));
}

int AuditCmd(const Globals& g, const ReadArgs& a) {
  AuditQuery q;
  q.service = a.service;
  q.bundle = a.bundle;
  q.actor = a.actor;
  q.type = a.type;
  for (auto [flag, text, dst] : {std::tuple{"--since", &a.since, &q.since_ms},
                                 std::tuple{"--until", &a.until, &q.until_ms}}) {
    if (text->empty()) continue;
    auto t = ParseTime(*text);
    if (!t.ok()) return Usage(std::string("audit: ") + flag + " " + t.status().message());
    *dst = *t;
  }
  return PrintQuery(g, "audit", Query::Audit(std::move(q)),
                    a.csv && !g.json ? Format::kCsv : OutputFormat(g));
}

}  // namespace

void AddReadCommands(CLI::App& app, Globals& g) {
  static ReadArgs a;

  auto* status =
      app.add_subcommand("status", "A bundle's or a service's state, weight and latest metrics");
  status->add_option("target", a.target, "bundle id or service name")->required();
  AddJsonOption(status, &g);
  status->add_flag("--watch", a.watch,
                   "redraw whenever the ledger grows, with the latest decision, until Ctrl-C");
  status->footer("Examples:\n  dvs status tax_calc --json\n  dvs status tax_calc --watch");
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
