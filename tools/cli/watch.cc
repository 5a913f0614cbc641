// `dvs status TARGET --watch`: the status redrawn whenever the ledger grows, with the service's
// latest decision under it, through either client (a local ledger, or --server).
#include "tools/cli/watch.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "statemachine/condition.h"

namespace dvs::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

// The kinds of entry that change a service's routing: the decisions a watcher wants to see.
constexpr const char* kDecisions[] = {"deploy", "ramp",   "promote", "rollback",
                                      "pause",  "resume", "retire"};

// The service a target names: itself, or a bundle's service (from its status JSON).
Result<std::string> ServiceOf(Client& c, const std::string& target) {
  DVS_ASSIGN_OR_RETURN(std::string json, c.Read(Query::Status(target), Format::kJson, 0));
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("service") && doc["service"].is_string())
    return doc["service"].get<std::string>();
  return target;
}

// "seq 36 rollback of tax_calc_9.2_2c8dd6 by controller (automatic): <detail>", or "" when the
// service has no decision yet. Answered from the audit index, one query per kind.
Result<std::string> LastDecision(Client& c, const std::string& service) {
  nlohmann::json last;
  for (const char* kind : kDecisions) {
    AuditQuery q;
    q.service = service;
    q.type = kind;
    DVS_ASSIGN_OR_RETURN(std::string json, c.Read(Query::Audit(q), Format::kJson, 0));
    auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("entries") || !doc["entries"].is_array() ||
        doc["entries"].empty())
      continue;
    const auto& row = doc["entries"].back();
    if (last.is_null() || row.value("seq", uint64_t{0}) > last.value("seq", uint64_t{0}))
      last = row;
  }
  if (last.is_null()) return std::string();
  std::string line = "seq " + std::to_string(last.value("seq", uint64_t{0})) + " " +
                     last.value("type", "") + " of " + last.value("bundle", "") + " by " +
                     last.value("actor", "") +
                     (last.value("automatic", false) ? " (automatic)" : "") + " at " +
                     last.value("time", "");
  const std::string detail = last.value("detail", "");
  if (!detail.empty()) line += ": " + detail;
  return line;
}

// Whether "error_rate < 0.1" holds for `value`; nullopt when it compares with the baseline or
// names no number (the controller is the judge of those).
std::optional<bool> Holds(const std::string& condition, double value) {
  static const char* kOps[] = {"<=", ">=", "==", "!=", "<", ">"};
  for (const char* op : kOps) {
    size_t at = condition.find(op);
    if (at == std::string::npos) continue;
    const std::string rhs = condition.substr(at + std::string(op).size());
    char* end = nullptr;
    const double limit = std::strtod(rhs.c_str(), &end);
    if (end == rhs.c_str() || rhs.find("baseline") != std::string::npos) return std::nullopt;
    const std::string o = op;
    const bool holds = o == "<=" ? value <= limit : o == ">=" ? value >= limit
                     : o == "==" ? value == limit : o == "!=" ? value != limit
                     : o == "<"  ? value < limit  : value > limit;
    return holds;
  }
  return std::nullopt;
}

// The canary's metrics against its manifest's thresholds, one line per condition, each promote
// condition "met" or "not met", each rollback condition "tripped" or "clear":
//   "  promote when   latency_ms < 200      now 110   met"
// Empty when the target has no canary (or a bundle target none observed).
std::string Thresholds(Client& c, const std::string& target) {
  auto json = c.Read(Query::Status(target), Format::kJson, 0);
  if (!json.ok()) return "";
  auto doc = nlohmann::json::parse(*json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return "";
  std::vector<nlohmann::json> bundles;
  if (doc.contains("bundles") && doc["bundles"].is_array()) {
    for (const auto& b : doc["bundles"])
      if (b.is_object() && b.value("role", "") == "canary") bundles.push_back(b);
  } else {
    bundles.push_back(doc);
  }
  std::string out;
  for (const auto& b : bundles) {
    out += "\nthresholds of " + b.value("bundle", "") + ":\n";
    const auto metrics = b.contains("metrics") && b["metrics"].is_object() ? b["metrics"]
                                                                            : nlohmann::json::object();
    for (const char* list : {"promote_when", "rollback_when"}) {
      if (!b.contains(list) || !b[list].is_array()) continue;
      const bool promote = std::string(list) == "promote_when";
      for (const auto& cond : b[list]) {
        if (!cond.is_string()) continue;
        const std::string text = cond.get<std::string>();
        const std::string metric = text.substr(0, text.find_first_of(" <>=!"));
        char line[512];
        std::string now = "not observed", verdict;
        if (metrics.contains(metric) && metrics[metric].is_number()) {
          const double v = metrics[metric].get<double>();
          now = "now " + FormatValue(v);
          const std::optional<bool> holds = Holds(text, v);
          if (holds) {
            verdict = promote ? (*holds ? "met" : "not met") : (*holds ? "TRIPPED" : "clear");
          }
        }
        std::snprintf(line, sizeof(line), "  %-14s %-32s %-14s %s\n",
                      promote ? "promote when" : "roll back when",
                      text.c_str(), now.c_str(), verdict.c_str());
        out += line;
      }
    }
  }
  return out;
}

std::string Clock() {
  char buf[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof(buf), "%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int StatusWatch(const Globals& g, const std::string& target) {
  auto client = OpenClient(g);
  if (!client.ok()) return Fail("status", client.status());
  Client& c = **client;
  auto service = ServiceOf(c, target);
  if (!service.ok()) return Fail("status", service.status());
  const bool tty = isatty(STDOUT_FILENO) != 0;
  std::signal(SIGINT, [](int) { g_interrupted = 1; });
  std::signal(SIGTERM, [](int) { g_interrupted = 1; });
  uint64_t known = 0;
  bool first = true;
  while (g_interrupted == 0) {
    auto size = c.WaitBeyond(known, first ? 0 : 500);
    if (!size.ok()) return Fail("status", size.status());
    if (!first && *size <= known) continue;
    first = false;
    known = *size;
    auto status = c.Read(Query::Status(target), Format::kText, TerminalWidth());
    if (!status.ok()) return Fail("status", status.status());
    auto decision = LastDecision(c, *service);
    if (!decision.ok()) return Fail("status", decision.status());
    // A whole frame at once: home and clear on a terminal, a blank line between frames elsewhere.
    std::string frame = tty ? "\x1b[H\x1b[2J" : "\n";
    frame += "dvs status " + target + " --watch: " + std::to_string(known) + " entries, " +
             Clock() + " (Ctrl-C to stop)\n\n" + *status;
    frame += Thresholds(c, target);
    frame += "\nlast decision: " + (decision->empty() ? std::string("none yet") : *decision) + "\n";
    std::fputs(frame.c_str(), stdout);
    std::fflush(stdout);
  }
  return kExitOk;
}

}  // namespace dvs::cli
