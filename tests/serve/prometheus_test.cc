// dvs measures live metrics itself: a real Prometheus (Debian's package, started here on a free
// loopback port with a config written here, scraping every second) scrapes a backend whose
// traffic, errors and latency the test controls, and the real `dvs serve --observer-key` measures
// each canary every analysis interval, signs each round, and decides on it: no `dvs observe`, no
// `tick`. Also every provider (prometheus, web, exec) and each way one goes wrong, through the
// real `dvs analyze` and `dvs tick`.
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>

#include "api/service/queries.h"
#include "tests/serve/serve_fixture.h"
#include "tools/testbed/free_port.h"
#include "tools/testbed/metrics_backend.h"

namespace dvs {
namespace {

using test::Eventually;
using test::MetricsBackend;
using test::Slurp;
using Clock = std::chrono::steady_clock;

using test::FreePort;

const MetricsBackend::Traffic kHealthy{200, 0.0, 0.05};

// PromQL over the backend's series, per version: what a team would write for the seed's metrics.
const char* kErrorRate =
    "100 * sum(rate(http_errors_total{version=\"{{version}}\"}[5s])) / "
    "sum(rate(http_requests_total{version=\"{{version}}\"}[5s]))";
const char* kLatency =
    "1000 * histogram_quantile(0.99, sum by (le) "
    "(rate(http_request_duration_seconds_bucket{version=\"{{version}}\"}[5s])))";
const char* kSamples = "sum(increase(http_requests_total{version=\"{{version}}\"}[5s]))";

class PrometheusAnalysis : public test::ServeFixture {
 protected:
  void TearDown() override {
    StopPrometheus();
    ServeFixture::TearDown();
  }

  // Starts Prometheus scraping the backend every second; returns once it has two scrapes (a
  // rate over them exists).
  void StartPrometheus() {
    ASSERT_EQ(::access("/usr/bin/prometheus", X_OK), 0)
        << "prometheus is not installed (tools/run installs it)";
    prom_port_ = FreePort();
    const std::string dir = dir_.Sub("prometheus");
    std::filesystem::create_directories(dir + "/data");
    test::Write(dir + "/prometheus.yml",
                "global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms}\n"
                "scrape_configs:\n  - job_name: backend\n    static_configs:\n"
                "      - targets: [\"" +
                    backend_.address() + "\"]\n");
    prom_pid_ = test::StartProgram(
        "/usr/bin/prometheus",
        {"--config.file=" + dir + "/prometheus.yml", "--storage.tsdb.path=" + dir + "/data",
         "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_), "--log.level=warn"},
        "", dir_.path(), "prometheus");
    HttpUrl url = *HttpUrl::Parse(prometheus());
    ASSERT_TRUE(Eventually(
        [&] {
          auto r = HttpCall(
              url, "GET", "/api/v1/query?query=" + UrlEncode("sum(rate(http_requests_total[5s]))"),
              "", {}, 1000);
          return r.ok() && r->status == 200 && r->body.find("\"value\"") != std::string::npos;
        },
        20000))
        << Slurp(dir_.Sub("prometheus.err"));
  }

  void StopPrometheus() {
    if (prom_pid_ <= 0) return;
    ::kill(prom_pid_, SIGKILL);
    ::waitpid(prom_pid_, nullptr, 0);
    prom_pid_ = -1;
  }

  std::string prometheus() const { return "http://127.0.0.1:" + std::to_string(prom_port_); }

  // One prometheus metric of the analysis section.
  std::string PromMetric(const std::string& name, const std::string& query) const {
    return "    - name: " + name + "\n      provider: prometheus\n      address: " + prometheus() +
           "\n      query: '" + query + "'\n      timeout: 2s\n";
  }

  // A manifest for `version` measured by Prometheus: the seed's error_rate and latency_ms with
  // the seed's default thresholds; `rollout` and `limits` vary per test.
  std::string AnalyzedManifest(const std::string& version, const std::string& rollout,
                               const std::string& limits) const {
    return "name: tax_calc\nversion: \"" + version + "\"\ncode: registry.gov/tax_calc:" + version +
           "\ngovernance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}\n"
           "rollout: " +
           rollout + "\nanalysis:\n  interval: 1s\n" + limits +
           "  samples: {provider: prometheus, address: " + prometheus() + ", query: '" + kSamples +
           "'}\n  metrics:\n" + PromMetric("error_rate", kErrorRate) +
           PromMetric("latency_ms", kLatency) + "      range: 3s\n      step: 1s\n";
  }

  std::string ReleaseManifest(const std::string& version, const std::string& yaml) {
    Write("m-" + version + ".yaml", yaml);
    test::Outcome p =
        Dvs({"package", dir_.Sub("m-" + version + ".yaml"), "--key", Key("publisher")});
    EXPECT_EQ(p.code, 0) << p.err;
    std::string id = p.out.substr(0, p.out.find('\n'));
    EXPECT_EQ(Dvs({"approve", id, "--key", Key("governance")}).code, 0);
    test::Outcome d = Dvs({"deploy", id, "--key", Key("admin")});
    EXPECT_EQ(d.code, 0) << d.err;
    return id;
  }

  std::string State(const std::string& bundle) {
    return StatusJson(bundle).fields().at("state").string_value();
  }

  // The rows of `dvs audit --json` with these filters.
  google::protobuf::ListValue Audit(const std::vector<std::string>& filters) {
    std::vector<std::string> args = {"audit", "--json"};
    args.insert(args.end(), filters.begin(), filters.end());
    test::Outcome r = Dvs(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return test::ParseJson(r.out).fields().at("entries").list_value();
  }

  void ExpectLedgerVerifies() {
    test::Outcome v =
        test::WaitDvs(test::StartProgram(DVS_VERIFY_BINARY, {Ledger()}, "", dir_.path(), "verify"),
                      dir_.path(), "verify");
    EXPECT_EQ(v.code, 0) << v.out << v.err;
  }

  MetricsBackend backend_;
  int prom_port_ = 0;
  pid_t prom_pid_ = -1;
};

TEST_F(PrometheusAnalysis, AHealthyCanaryRampsAndIsPromotedByServeAlone) {
  backend_.Set("8.7", kHealthy);
  backend_.Set("9.0", kHealthy);
  StartPrometheus();
  std::string v87 = Release("8.7");
  StartServer({"--observer-key", Key("observer")}, "1h");  // no timer: only measurements decide
  std::string v90 = ReleaseManifest(
      "9.0", AnalyzedManifest("9.0", "{interval: 0s, step_pct: 50, min_samples: 20}", ""));
  const auto start = Clock::now();
  ASSERT_TRUE(Eventually([&] { return State(v90) == "stable"; }, 30000)) << State(v90) << "\n"
                                                                         << ServerLog();
  std::printf("5 %% -> 55 %% -> 100 %% -> promoted in %.1f s\n",
              std::chrono::duration<double>(Clock::now() - start).count());
  std::fflush(stdout);  // before the next fork copies the buffer
  EXPECT_EQ(State(v87), "superseded");

  // Every step cites measurements; every measurement names its query and its answer's digest.
  auto ramps = Audit({"--bundle", v90, "--type", "ramp"});
  ASSERT_EQ(ramps.values_size(), 2);
  auto observations = Audit({"--bundle", v90, "--type", "observe"});
  ASSERT_GE(observations.values_size(), 3);
  const auto& first = observations.values(0).struct_value().fields();
  EXPECT_EQ(first.at("actor").string_value(), "observer");
  const auto& ms = first.at("measurements").list_value();
  ASSERT_EQ(ms.values_size(), 2);
  const auto& m = ms.values(0).struct_value().fields();
  EXPECT_EQ(m.at("metric").string_value(), "error_rate");
  EXPECT_EQ(m.at("provider").string_value(), "prometheus");
  EXPECT_EQ(m.at("query").string_value(),
            "100 * sum(rate(http_errors_total{version=\"9.0\"}[5s])) / "
            "sum(rate(http_requests_total{version=\"9.0\"}[5s]))");  // templated
  EXPECT_EQ(m.at("answer_sha256").string_value().size(), 64u);
  EXPECT_EQ(m.at("start").string_value(), m.at("end").string_value());  // an instant query
  // latency_ms is a range query over the last 3 s, averaged: its answer covers that range.
  const auto& latency = ms.values(1).struct_value().fields();
  EXPECT_EQ(latency.at("metric").string_value(), "latency_ms");
  EXPECT_NE(latency.at("start").string_value(), latency.at("end").string_value());
  EXPECT_EQ(first.at("samples_measurement").struct_value().fields().at("outcome").string_value(),
            "value");
  test::Outcome history = Dvs({"history", "tax_calc"});
  EXPECT_NE(history.out.find("from prometheus 'sum(increase(http_requests_total"),
            std::string::npos)
      << history.out;
  EXPECT_NE(history.out.find(" answer "), std::string::npos);
  StopServer();
  ExpectLedgerVerifies();
}

TEST_F(PrometheusAnalysis, ARisingErrorRateIsRolledBackByServeItself) {
  backend_.Set("8.7", kHealthy);
  backend_.Set("9.0", kHealthy);
  StartPrometheus();
  Release("8.7");
  StartServer({"--observer-key", Key("observer")}, "1h");
  // Steps at most once a minute: the canary stays at 5 % while the test turns it bad.
  std::string v90 =
      ReleaseManifest("9.0", AnalyzedManifest("9.0", "{interval: 1m, min_samples: 20}", ""));
  ASSERT_TRUE(Eventually(
      [&] {
        return Audit({"--bundle", v90, "--type", "observe"}).values_size() >= 2;
      },
      10000));
  EXPECT_EQ(State(v90), "canary");
  const auto bad = Clock::now();
  backend_.Set("9.0", {200, 0.08, 0.05});  // 8 % errors: error_rate > 1 fails
  ASSERT_TRUE(Eventually([&] { return State(v90) == "rolled_back"; }, 20000)) << ServerLog();
  std::printf("backend bad -> rollback visible: %.1f s\n",
              std::chrono::duration<double>(Clock::now() - bad).count());
  std::fflush(stdout);
  auto rollbacks = Audit({"--bundle", v90, "--type", "rollback"});
  ASSERT_EQ(rollbacks.values_size(), 1);
  const auto& r = rollbacks.values(0).struct_value().fields();
  EXPECT_EQ(r.at("actor").string_value(), "controller");
  EXPECT_TRUE(r.at("automatic").bool_value());
  const std::string reason = r.at("detail").string_value();
  EXPECT_NE(reason.find("1 failed measurement(s), failure_limit 0"), std::string::npos) << reason;
  EXPECT_NE(reason.find("rollback_when 'error_rate > 1' holds"), std::string::npos) << reason;
  EXPECT_NE(reason.find("from prometheus " + prometheus()), std::string::npos) << reason;
  StopServer();
  ExpectLedgerVerifies();
}

TEST_F(PrometheusAnalysis, PrometheusStoppedMidCanaryEndsInTheConsecutiveErrorRuleNeverPromotion) {
  backend_.Set("8.7", kHealthy);
  backend_.Set("9.0", kHealthy);
  StartPrometheus();
  Release("8.7");
  StartServer({"--observer-key", Key("observer")}, "1h");
  std::string v90 = ReleaseManifest(
      "9.0", AnalyzedManifest("9.0", "{interval: 0s, step_pct: 10, min_samples: 20}",
                              "  consecutive_error_limit: 2\n"));
  ASSERT_TRUE(
      Eventually([&] { return StatusJson(v90).fields().at("weight").number_value() >= 15; }, 15000))
      << ServerLog();
  StopPrometheus();
  ASSERT_TRUE(Eventually([&] { return State(v90) == "rolled_back"; }, 20000)) << ServerLog();
  EXPECT_EQ(Audit({"--bundle", v90, "--type", "promote"}).values_size(), 0);
  auto rollbacks = Audit({"--bundle", v90, "--type", "rollback"});
  ASSERT_EQ(rollbacks.values_size(), 1);
  const std::string reason =
      rollbacks.values(0).struct_value().fields().at("detail").string_value();
  EXPECT_NE(reason.find("3 measurement errors in a row, consecutive_error_limit 2"),
            std::string::npos)
      << reason;
  EXPECT_NE(reason.find("error from prometheus " + prometheus()), std::string::npos) << reason;
  EXPECT_NE(reason.find("unreachable"), std::string::npos) << reason;
  StopServer();
  ExpectLedgerVerifies();
}

TEST_F(PrometheusAnalysis, AnEmptyResultIsInconclusiveAndPausesForAHumanAtTheLimit) {
  backend_.Set("8.7", kHealthy);  // 9.0 receives no traffic: its queries match no series
  StartPrometheus();
  Release("8.7");
  StartServer({"--observer-key", Key("observer")}, "1h");
  std::string v90 = ReleaseManifest(
      "9.0",
      AnalyzedManifest("9.0", "{interval: 0s, min_samples: 20}", "  inconclusive_limit: 2\n"));
  ASSERT_TRUE(Eventually([&] { return State(v90) == "paused"; }, 20000)) << ServerLog();
  auto pauses = Audit({"--bundle", v90, "--type", "pause"});
  ASSERT_EQ(pauses.values_size(), 1);
  const auto& p = pauses.values(0).struct_value().fields();
  EXPECT_EQ(p.at("actor").string_value(), "controller");
  EXPECT_EQ(p.at("evidence").list_value().values_size(), 3);
  const std::string reason = p.at("detail").string_value();
  EXPECT_NE(reason.find("3 inconclusive measurements, inconclusive_limit 2"), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("no data from prometheus " + prometheus()), std::string::npos) << reason;
  EXPECT_NE(reason.find("empty vector"), std::string::npos) << reason;
  EXPECT_EQ(StatusJson(v90).fields().at("weight").number_value(), 5);  // never stepped
  // Paused: no more measurements, and a person decides.
  const int rounds = Audit({"--bundle", v90, "--type", "observe"}).values_size();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Audit({"--bundle", v90, "--type", "observe"}).values_size(), rounds);
  StopServer();
  ExpectLedgerVerifies();
}

// Each way a provider goes wrong, one round with `dvs analyze` and one `dvs tick`: an error,
// rolled back at once (consecutive_error_limit 0), the reason naming metric, provider and fault.
struct BadProvider {
  const char* name;
  std::string metric_yaml;  // the error_rate metric's source keys
  const char* fault;        // in the reason
};

class BadProviders : public PrometheusAnalysis {
 protected:
  // Releases `version` measured only by `source`, runs one analysis round and one tick; returns the
  // rollback's reason ("" when there was none).
  std::string RoundAndTick(const std::string& version, const std::string& source,
                           std::string* verdict) {
    std::string v90 = ReleaseManifest(
        version,
        "name: tax_calc\nversion: \"" + version +
            "\"\ncode: c\n"
            "governance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}\n"
            "rollout: {interval: 0s, min_samples: 1, promote_when: [\"error_rate < 0.1\"], "
            "rollback_when: [\"error_rate > 1\"]}\n"
            "analysis:\n  interval: 1s\n  consecutive_error_limit: 0\n  metrics:\n"
            "    - name: error_rate\n" +
            source);
    test::Outcome a = Dvs({"analyze", v90, "--key", Key("observer"), "--json"});
    EXPECT_EQ(a.code, 0) << a.err;
    *verdict = test::ParseJson(a.out).fields().at("verdict").string_value();
    test::Outcome tick = Tick();
    EXPECT_EQ(tick.code, 0) << tick.err;
    EXPECT_NE(tick.out.find("rollback"), std::string::npos) << tick.out << a.out;
    auto rows = Audit({"--bundle", v90, "--type", "rollback"});
    return rows.values_size() == 1
               ? rows.values(0).struct_value().fields().at("detail").string_value()
               : "";
  }
};

TEST_F(BadProviders, EachFaultIsAnErrorNamingMetricProviderAndFaultAndRollsBack) {
  backend_.Set("9.0", kHealthy);
  backend_.SetJson("text", "{\"data\": {\"error_rate\": \"abc\"}}");
  StartPrometheus();
  const std::string web = "http://" + backend_.address();
  const std::vector<BadProvider> cases = {
      {"unreachable",
       "      provider: prometheus\n      address: http://127.0.0.1:" + std::to_string(FreePort()) +
           "\n      query: up\n",
       "unreachable"},
      {"timeout",
       "      provider: web\n      url: " + web +
           "/slow\n      json_path: x\n"
           "      timeout: 300ms\n",
       "no answer within 300 ms"},
      {"non-numeric",
       "      provider: web\n      url: " + web +
           "/json/text\n"
           "      json_path: data.error_rate\n",
       "is not a number: 'abc'"},
      {"several series",
       "      provider: prometheus\n      address: " + prometheus() +
           "\n      query: 'http_requests_total'\n",
       "2 series where one was expected"},  // 8.7's and 9.0's
      {"exec timeout",
       "      provider: exec\n      command: sleep 5; echo 1\n"
       "      timeout: 300ms\n",
       "timeout: killed after 300 ms"},
      {"exec failure", "      provider: exec\n      command: echo oops; exit 3\n",
       "the command exited 3"},
  };
  backend_.Set("8.7", kHealthy);  // two series of http_requests_total from now on
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = HttpCall(*HttpUrl::Parse(prometheus()), "GET",
                          "/api/v1/query?query=" + UrlEncode("count(http_requests_total)"), "", {},
                          1000);
        return r.ok() && r->body.find("\"2\"") != std::string::npos;
      },
      10000));
  Release("8.7");
  int minor = 0;
  for (const BadProvider& c : cases) {
    SCOPED_TRACE(c.name);
    std::string verdict;
    const std::string reason =
        RoundAndTick("9." + std::to_string(++minor), c.metric_yaml, &verdict);
    EXPECT_EQ(verdict, "error");
    EXPECT_NE(reason.find("1 measurement errors in a row, consecutive_error_limit 0: error_rate: "
                          "error from "),
              std::string::npos)
        << reason;
    EXPECT_NE(reason.find(c.fault), std::string::npos) << reason;
  }
}

TEST_F(BadProviders, WebAndExecProvidersMeasureAndDecideLikePrometheus) {
  backend_.SetJson("good", "{\"data\": [{\"error_rate\": 0.02}]}");
  Release("8.7");
  std::string verdict;
  std::string v90 = ReleaseManifest(
      "9.0",
      "name: tax_calc\nversion: \"9.0\"\ncode: c\n"
      "governance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}\n"
      "rollout: {interval: 0s, min_samples: 10, promote_when: [\"error_rate < 0.1\", "
      "\"probe < 5\"], rollback_when: [\"error_rate > 1\"]}\n"
      "analysis:\n  interval: 1s\n"
      "  samples: {provider: exec, command: 'echo 250'}\n  metrics:\n"
      "    - name: error_rate\n      provider: web\n      url: http://" +
          backend_.address() +
          "/json/good\n      json_path: data.0.error_rate\n"
          "    - name: probe\n      provider: exec\n"
          "      command: 'test \"$DVS_VERSION\" = 9.0 && echo 1.5'\n"
          "    - name: posted\n      provider: web\n      method: POST\n"
          "      body: '{\"bundle\": \"{{bundle}}\"}'\n      url: http://" +
          backend_.address() +
          "/json/good\n      json_path: data.0.error_rate\n"
          "      dry_run: true\n");
  test::Outcome a = Dvs({"analyze", v90, "--key", Key("observer"), "--json"});
  ASSERT_EQ(a.code, 0) << a.err;
  auto round = test::ParseJson(a.out);
  EXPECT_EQ(round.fields().at("verdict").string_value(), "successful") << a.out;
  EXPECT_EQ(round.fields().at("samples").number_value(), 250);
  const auto& ms = round.fields().at("measurements").list_value();
  ASSERT_EQ(ms.values_size(), 3);
  EXPECT_EQ(ms.values(0).struct_value().fields().at("value").number_value(), 0.02);
  EXPECT_EQ(ms.values(2).struct_value().fields().at("value").number_value(), 0.02);  // POSTed
  EXPECT_EQ(ms.values(1).struct_value().fields().at("query").string_value(),
            "test \"$DVS_VERSION\" = 9.0 && echo 1.5");
  EXPECT_EQ(ms.values(1).struct_value().fields().at("value").number_value(), 1.5);
  EXPECT_EQ(Tick().code, 0);
  EXPECT_EQ(StatusJson(v90).fields().at("weight").number_value(), 25);
  // A tick without a new measurement holds: never promoted on what was not measured.
  EXPECT_EQ(Tick().code, 0);
  EXPECT_EQ(StatusJson(v90).fields().at("weight").number_value(), 25);
  ExpectLedgerVerifies();
}

}  // namespace
}  // namespace dvs

namespace dvs {
namespace {

class AnalysisRefusals : public test::ServeFixture {};

TEST_F(AnalysisRefusals, AnalyzeAndTheObserverKeyRefuseWhatTheyCannotDoAndWriteNothing) {
  std::string v87 = Release("8.7");
  std::string v90 = Release("9.0");  // pushed metrics: no analysis section
  const std::string before = Fingerprint();
  test::Outcome pushed = Dvs({"analyze", v90, "--key", Key("observer")});
  EXPECT_EQ(pushed.code, 1);
  EXPECT_EQ(pushed.err, "dvs: analyze: bundle " + v90 +
                            " has no analysis section in its manifest: nothing to measure (push "
                            "metrics with dvs observe)\n");
  test::Outcome stable = Dvs({"analyze", v87, "--key", Key("observer")});
  EXPECT_EQ(stable.code, 1);
  EXPECT_NE(stable.err.find("has no analysis section"), std::string::npos) << stable.err;
  test::Outcome unknown = Dvs({"analyze", "nope_1_abcdef", "--key", Key("observer")});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("no bundle nope_1_abcdef"), std::string::npos) << unknown.err;
  test::Outcome nokey = Dvs({"analyze", v90});
  EXPECT_EQ(nokey.code, 2) << nokey.err;
  EXPECT_EQ(Fingerprint(), before);

  test::Outcome serve =
      Dvs({"serve", "--listen", "127.0.0.1:0", "--observer-key", Key("publisher")});
  EXPECT_EQ(serve.code, 1);
  EXPECT_NE(serve.err.find("--observer-key"), std::string::npos) << serve.err;
  EXPECT_NE(serve.err.find("does not hold the observer role in this ledger"), std::string::npos)
      << serve.err;
  EXPECT_EQ(Fingerprint(), before);
}

}  // namespace
}  // namespace dvs
