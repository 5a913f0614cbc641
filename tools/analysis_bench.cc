// dvs-analysis-bench: how long from a canary's backend turning bad to the rollback committed,
// when dvs reads the metrics itself: a real Prometheus (started here on loopback, scraping a
// backend this program controls) and the release controller's analysis loop in process
// (api/controller/controller.h, as `dvs serve --observer-key` runs it).
//
//   dvs-analysis-bench [--prometheus PATH] [--scrape-ms 1000] [--interval-ms 1000] [--runs 5]
//                      [--dir DIR]
//
// Each run releases a new canary measured by `100 * rate(errors) / rate(requests)` over a window
// of three scrapes, lets it be measured healthy, then makes 50 % of its requests fail and waits
// for the rollback. The split comes from the ledger's own timestamps: waiting for data (scrape
// interval, the rate window and the next round), the query (the round's start to the observation
// signed), appending the observation, deciding (observation appended to the rollback signed) and
// committing the rollback (signed to seen by a reader, after its synced commit; polled every ms).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/controller/controller.h"
#include "api/http/http_client.h"
#include "api/http/server_metrics.h"
#include "statemachine/apply.h"
#include "tools/bench_ledger.h"
#include "tools/bench_util.h"
#include "tools/testbed/free_port.h"
#include "tools/testbed/metrics_backend.h"

namespace dvs::bench {
namespace {

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Options {
  std::string prometheus = "/usr/bin/prometheus", dir = "/tmp/dvs-analysis-bench";
  int64_t scrape_ms = 1000, interval_ms = 1000;
  int runs = 5;
};

pid_t StartPrometheus(const Options& o, const std::string& backend, int port) {
  const std::string dir = o.dir + "/prometheus";
  std::filesystem::create_directories(dir + "/data");
  const std::string s = std::to_string(o.scrape_ms) + "ms";
  std::ofstream(dir + "/prometheus.yml")
      << "global: {scrape_interval: " << s << ", evaluation_interval: " << s << "}\n"
      << "scrape_configs:\n  - job_name: backend\n    static_configs:\n      - targets: [\""
      << backend << "\"]\n";
  pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen((dir + "/log").c_str(), "w", stderr)) ::_exit(126);
    const std::string cfg = "--config.file=" + dir + "/prometheus.yml",
                      data = "--storage.tsdb.path=" + dir + "/data",
                      listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
    ::execl(o.prometheus.c_str(), "prometheus", cfg.c_str(), data.c_str(), listen.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

using test::FreePort;

sm::Manifest Canary(int version, const std::string& prometheus, int64_t window_ms,
                    int64_t interval_ms) {
  sm::Manifest m = BenchManifest(version);
  m.mutable_rollout()->set_min_samples(1);
  m.mutable_rollout()->set_interval_ms(3'600'000);  // no steps: the canary waits to turn bad
  sm::Analysis* a = m.mutable_analysis();
  a->set_interval_ms(interval_ms);
  a->set_consecutive_error_limit(4);
  a->set_inconclusive_limit(1000);
  sm::AnalysisMetric* e = a->add_metrics();
  e->set_name("error_rate");
  const std::string w = std::to_string(window_ms) + "ms";
  e->mutable_source()->set_provider("prometheus");
  e->mutable_source()->set_address(prometheus);
  e->mutable_source()->set_query("100 * sum(rate(http_errors_total{version=\"{{version}}\"}[" + w +
                                 "])) / sum(rate(http_requests_total{version=\"{{version}}\"}[" +
                                 w + "]))");
  e->mutable_source()->set_timeout_ms(2000);
  return m;
}

struct Split {
  double wait, query, observe_commit, decide, rollback_commit, total;
};

Result<sm::Transition> TransitionAt(ReleaseService& svc, uint64_t seq, Entry* e) {
  DVS_ASSIGN_OR_RETURN(*e, svc.log().Get(seq));
  return ParseTransition(e->body);
}

// One canary: healthy until measured so, then bad at t0; the split of the time to its rollback.
Result<Split> Run(const Options& o, int run, test::MetricsBackend& backend,
                  const std::string& prometheus) {
  auto b = BenchLedger::Create(o.dir + "/run" + std::to_string(run), "dvs-analysis-bench");
  if (!b) return Status::IOError("cannot create the ledger");
  const int version = 2 + run;
  const std::string label = std::to_string(version) + ".0";
  backend.Set(label, {400, 0, 0.05});
  ServerMetrics metrics;
  Controller control(*b->svc, &b->all, &metrics, {}, [](const std::string&) {}, {});
  // Two scrapes of the new series first, so that a rate over them exists.
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * o.scrape_ms));
  auto id = b->svc->Package(b->all, Canary(version, prometheus, 3 * o.scrape_ms, o.interval_ms));
  if (!id.ok()) return id.status();
  DVS_RETURN_IF_ERROR(b->svc->Approve(b->all, *id).status());
  DVS_RETURN_IF_ERROR(b->svc->Deploy(b->all, *id).status());
  control.StartAnalysis(&b->all);
  for (int i = 0; i < 200; ++i) {  // until a healthy round is in
    auto st = b->svc->Current();
    if (st.ok() && !(*st)->services.at("tax_calc").canary->pending.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int64_t t0 = WallMs();
  backend.Set(label, {400, 0.5, 0.05});
  int64_t seen = 0;  // when a reader first sees the rollback: after its synced commit
  for (int i = 0;; ++i) {
    auto s = b->svc->StatusOf(*id);
    if (s.ok() && s->state == "rolled_back") {
      seen = WallMs();
      break;
    }
    if (i > 60'000) return Status::Refused("no rollback within 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  control.Stop(0);
  auto head = b->svc->log().GetHead();
  if (!head.ok()) return head.status();
  Entry rb_entry, obs_entry;
  sm::Transition rb;
  for (uint64_t seq = head->size; seq-- > 0;) {
    DVS_ASSIGN_OR_RETURN(rb, TransitionAt(*b->svc, seq, &rb_entry));
    if (rb.has_rollback()) break;
  }
  const auto& cited = rb.rollback().evidence().observation_seqs();
  if (cited.empty()) return Status::Refused("the rollback cites no measurement");
  DVS_ASSIGN_OR_RETURN(sm::Transition obs,
                       TransitionAt(*b->svc, cited[cited.size() - 1], &obs_entry));
  const int64_t round_start = obs.observe().measurements(0).end_ms();
  Split s;
  s.wait = static_cast<double>(round_start - t0);
  s.query = static_cast<double>(obs.actor_time_ms() - round_start);
  s.observe_commit = static_cast<double>(obs_entry.append_time_ms - obs.actor_time_ms());
  s.decide = static_cast<double>(rb.actor_time_ms() - obs_entry.append_time_ms);
  s.rollback_commit = static_cast<double>(seen - rb.actor_time_ms());
  s.total = static_cast<double>(seen - t0);
  return s;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--prometheus")
      o.prometheus = value;
    else if (flag == "--dir")
      o.dir = value;
    else if (flag == "--scrape-ms")
      o.scrape_ms = std::stoll(value);
    else if (flag == "--interval-ms")
      o.interval_ms = std::stoll(value);
    else if (flag == "--runs")
      o.runs = std::stoi(value);
    else {
      std::fprintf(stderr, "dvs-analysis-bench: unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  std::filesystem::remove_all(o.dir);
  std::filesystem::create_directories(o.dir);
  test::MetricsBackend backend;
  backend.Set("1.0", {400, 0, 0.05});
  const int port = FreePort();
  pid_t prom = StartPrometheus(o, backend.address(), port);
  const std::string prometheus = "http://127.0.0.1:" + std::to_string(port);
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto r = HttpCall(*HttpUrl::Parse(prometheus), "GET", "/-/ready", "", {}, 500);
    ready = r.ok() && r->status == 200;
  }
  if (!ready) {
    std::fprintf(stderr, "dvs-analysis-bench: prometheus did not start (see %s/prometheus/log)\n",
                 o.dir.c_str());
    ::kill(prom, SIGKILL);
    return 1;
  }
  std::printf(
      "backend bad -> rollback committed; Prometheus scrape %lld ms, analysis interval %lld ms, "
      "rate window %lld ms, %d runs\n",
      static_cast<long long>(o.scrape_ms), static_cast<long long>(o.interval_ms),
      static_cast<long long>(3 * o.scrape_ms), o.runs);
  std::vector<double> wait, query, ocommit, decide, rcommit, total;
  int rc = 0;
  for (int run = 0; run < o.runs; ++run) {
    auto s = Run(o, run, backend, prometheus);
    if (!s.ok()) {
      std::fprintf(stderr, "dvs-analysis-bench: run %d: %s\n", run, s.status().ToString().c_str());
      rc = 1;
      break;
    }
    std::printf(
        "  run %d: %.0f ms = wait for data %.0f + query %.0f + observation append %.0f + "
        "decision %.0f + rollback commit %.0f\n",
        run, s->total, s->wait, s->query, s->observe_commit, s->decide, s->rollback_commit);
    wait.push_back(s->wait), query.push_back(s->query), ocommit.push_back(s->observe_commit);
    decide.push_back(s->decide), rcommit.push_back(s->rollback_commit), total.push_back(s->total);
  }
  if (!total.empty()) {
    std::printf(
        "median: %.0f ms = wait for data (scrape, rate window, next round) %.0f + query %.0f"
        " + observation append %.0f + decision %.0f + rollback commit %.0f\n",
        Percentile(total, 50), Percentile(wait, 50), Percentile(query, 50), Percentile(ocommit, 50),
        Percentile(decide, 50), Percentile(rcommit, 50));
    std::printf(
        "against the seed's 5 s: %.2fx; against Flagger's default (interval 1m x threshold "
        "10 = 600 s): %.4fx\n",
        Percentile(total, 50) / 5000.0, Percentile(total, 50) / 600000.0);
  }
  ::kill(prom, SIGTERM);
  ::waitpid(prom, nullptr, 0);
  return rc;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) { return dvs::bench::Main(argc, argv); }
