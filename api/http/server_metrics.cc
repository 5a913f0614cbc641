#include "api/http/server_metrics.h"

#include <algorithm>
#include <cstdio>

namespace dvs {

void ServerMetrics::CountAppends(uint64_t n) {
  std::lock_guard<std::mutex> l(mu_);
  appends_ += n;
}

void ServerMetrics::CountRefusal(const std::string& reason) {
  std::lock_guard<std::mutex> l(mu_);
  ++refusals_[reason];
}

void ServerMetrics::CountRollback(bool automatic) {
  std::lock_guard<std::mutex> l(mu_);
  ++(automatic ? rollbacks_automatic_ : rollbacks_manual_);
}

void ServerMetrics::CountRequest(int http_status) {
  std::lock_guard<std::mutex> l(mu_);
  ++requests_[http_status];
}

void ServerMetrics::ObserveTick(double seconds) {
  std::lock_guard<std::mutex> l(mu_);
  ++ticks_;
  tick_seconds_sum_ += seconds;
  tick_seconds_max_ = std::max(tick_seconds_max_, seconds);
}

void ServerMetrics::CountRouterApply(const std::string& router, bool ok) {
  std::lock_guard<std::mutex> l(mu_);
  ++(ok ? router_ok_ : router_failed_)[router];
  (ok ? router_failed_ : router_ok_).try_emplace(router, 0);
}

void ServerMetrics::SetSubscribers(int64_t delta) {
  std::lock_guard<std::mutex> l(mu_);
  subscribers_ += delta;
}

uint64_t ServerMetrics::router_failures(const std::string& router) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = router_failed_.find(router);
  return it == router_failed_.end() ? 0 : it->second;
}

namespace {

// A label value escaped per the exposition format.
std::string Label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Family(std::string* out, const char* name, const char* type, const char* help) {
  *out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

std::string N(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

}  // namespace

std::string ServerMetrics::Prometheus(uint64_t ledger_size, CommitStats commits) const {
  std::lock_guard<std::mutex> l(mu_);
  std::string o;
  Family(&o, "dvs_ledger_entries", "gauge", "Entries in the ledger (its size).");
  o += "dvs_ledger_entries " + std::to_string(ledger_size) + "\n";
  Family(&o, "dvs_commit_groups_total", "counter",
         "Synced write transactions (each commits a group of concurrent writers).");
  o += "dvs_commit_groups_total " + std::to_string(commits.groups) + "\n";
  Family(&o, "dvs_commit_writers_total", "counter",
         "Writers those transactions answered; writers per group = this / groups.");
  o += "dvs_commit_writers_total " + std::to_string(commits.writers) + "\n";
  Family(&o, "dvs_appends_total", "counter", "Entries this server appended.");
  o += "dvs_appends_total " + std::to_string(appends_) + "\n";
  Family(&o, "dvs_refusals_total", "counter", "Refused requests, by reason.");
  for (const auto& [reason, n] : refusals_)
    o += "dvs_refusals_total{reason=\"" + Label(reason) + "\"} " + std::to_string(n) + "\n";
  Family(&o, "dvs_rollbacks_total", "counter", "Rollbacks this server committed.");
  o += "dvs_rollbacks_total{automatic=\"true\"} " + std::to_string(rollbacks_automatic_) + "\n";
  o += "dvs_rollbacks_total{automatic=\"false\"} " + std::to_string(rollbacks_manual_) + "\n";
  Family(&o, "dvs_http_requests_total", "counter", "HTTP requests answered, by status.");
  for (const auto& [code, n] : requests_)
    o += "dvs_http_requests_total{code=\"" + std::to_string(code) + "\"} " + std::to_string(n) +
         "\n";
  Family(&o, "dvs_tick_duration_seconds", "summary", "Controller evaluations of every rollout.");
  o += "dvs_tick_duration_seconds_sum " + N(tick_seconds_sum_) + "\n";
  o += "dvs_tick_duration_seconds_count " + std::to_string(ticks_) + "\n";
  Family(&o, "dvs_tick_duration_seconds_max", "gauge", "The longest controller evaluation.");
  o += "dvs_tick_duration_seconds_max " + N(tick_seconds_max_) + "\n";
  Family(&o, "dvs_router_applies_total", "counter", "Routing tables applied, by router.");
  for (const auto& [r, n] : router_ok_)
    o += "dvs_router_applies_total{router=\"" + Label(r) + "\"} " + std::to_string(n) + "\n";
  Family(&o, "dvs_router_failures_total", "counter", "Failed router applies, by router.");
  for (const auto& [r, n] : router_failed_)
    o += "dvs_router_failures_total{router=\"" + Label(r) + "\"} " + std::to_string(n) + "\n";
  Family(&o, "dvs_event_subscribers", "gauge", "Open Server-Sent Events streams.");
  o += "dvs_event_subscribers " + std::to_string(subscribers_) + "\n";
  return o;
}

}  // namespace dvs
