// The manifest's `analysis:` section: the README's example parses with its defaults, and every
// bad input is refused before anything is signed, naming the key and what is wrong.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "api/manifest/manifest.h"

namespace dvs {
namespace {

const char* kHead =
    "name: tax_calc\nversion: \"9.0\"\ncode: c\n"
    "governance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}\n";

// The first ```yaml block after the README's analysis heading.
std::string ReadmeExample() {
  std::ifstream in(DVS_README);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  size_t at = text.find("### Metrics dvs measures itself");
  at = text.find("```yaml\n", at);
  const size_t end = text.find("```\n", at + 8);
  return text.substr(at + 8, end - at - 8);
}

TEST(AnalysisManifest, TheReadmesExampleParsesWithTheSeedsThresholds) {
  auto m = ParseManifest(std::string(kHead) + ReadmeExample(), ".");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const sm::Analysis& a = m->analysis();
  EXPECT_EQ(a.interval_ms(), 30'000);
  EXPECT_EQ(a.failure_limit(), 0u);
  EXPECT_EQ(a.consecutive_error_limit(), 4u);
  EXPECT_EQ(a.inconclusive_limit(), 3u);
  ASSERT_EQ(a.metrics_size(), 4);
  EXPECT_EQ(a.metrics(0).name(), "error_rate");
  EXPECT_EQ(a.metrics(0).source().timeout_ms(), 5000);
  EXPECT_EQ(a.metrics(2).source().method(), "GET");
  EXPECT_TRUE(a.metrics(3).dry_run());
  EXPECT_EQ(a.metrics(3).source().query(), "./probe.sh {{version}}");
  EXPECT_EQ(m->rollout().rollback_when(0), "error_rate > 1");
}

TEST(AnalysisManifest, DefaultsApplyToAMinimalSection) {
  auto m = ParseManifest(std::string(kHead) +
                             "rollout: {min_samples: 1, promote_when: [\"e < 1\"], "
                             "rollback_when: [\"e > 5\"]}\n"
                             "analysis:\n  metrics:\n    - {name: e, provider: exec, command: "
                             "'echo 0'}\n",
                         ".");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->analysis().interval_ms(), 30'000);
  EXPECT_EQ(m->analysis().consecutive_error_limit(), 4u);
  EXPECT_FALSE(m->analysis().has_samples());
}

struct Bad {
  std::string analysis;  // the section's lines, or a whole manifest tail when it starts "rollout"
  std::string expected;
};

TEST(AnalysisManifest, EveryBadInputIsRefusedNamingTheKey) {
  const std::string ok_metric =
      "    - {name: error_rate, provider: prometheus, address: http://127.0.0.1:9090, query: x}\n"
      "    - {name: latency_ms, provider: prometheus, address: http://127.0.0.1:9090, query: y}\n";
  const std::string samples =
      "  samples: {provider: prometheus, address: http://127.0.0.1:9090, query: s}\n";
  const std::vector<Bad> cases = {
      {"analysis:\n  metrics: []\n", "analysis.metrics: needs at least one metric"},
      {"analysis:\n  interval: 10\n" + samples + "  metrics:\n" + ok_metric,
       "analysis.interval: '10' needs a unit"},
      {"analysis:\n  interval: 0s\n" + samples + "  metrics:\n" + ok_metric,
       "analysis.interval: must be positive"},
      {"analysis:\n  failure_limit: -1\n" + samples + "  metrics:\n" + ok_metric,
       "analysis.failure_limit: expected a whole number"},
      {"analysis:\n  bogus: 1\n", "analysis.bogus: unknown key"},
      {"analysis:\n  metrics:\n" + ok_metric,
       "analysis.samples: is needed: rollout.min_samples is 100"},
      {"analysis:\n" + samples + "  metrics:\n    - {name: error_rate, provider: datadog}\n",
       "analysis.metrics[0].provider: 'datadog' is not a provider (prometheus, web or exec)"},
      {"analysis:\n" + samples + "  metrics:\n    - {name: error_rate, address: http://a:1}\n",
       "analysis.metrics[0].provider: is required"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: prometheus, url: http://a:1, query: "
           "x}\n",
       "analysis.metrics[0].url: unknown key"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: prometheus, address: https://a:1, "
           "query: x}\n",
       "analysis.metrics.error_rate.address: 'https://a:1' is not an http:// URL"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: prometheus, address: http://a:1}\n",
       "analysis.metrics.error_rate.query: is required"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: prometheus, address: http://a:1, "
           "query: 'x{v=\"{{canary}}\"}'}\n",
       "analysis.metrics.error_rate.query: unknown template '{{canary}}'"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: web, url: http://a:1}\n",
       "analysis.metrics.error_rate.json_path: is required"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: web, url: http://a:1, json_path: x, "
           "method: PUT}\n",
       "analysis.metrics.error_rate.method: 'PUT' is neither GET nor POST"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: exec, command: 'true', timeout: 2m}\n",
       "analysis.metrics.error_rate.timeout: 120000 ms is outside 1ms..60s"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: exec, command: 'true', range: 1m}\n",
       "analysis.metrics[0].range: unknown key"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: exec, command: 'true', dry_run: yes}\n",
       "analysis.metrics[0].dry_run: expected true or false, got 'yes'"},
      {"analysis:\n" + samples + "  metrics:\n" + ok_metric +
           "    - {name: error_rate, provider: exec, command: 'true'}\n",
       "analysis.metrics[2].name: error_rate appears twice"},
      {"analysis:\n" + samples + "  metrics:\n" + ok_metric +
           "    - {name: cpu, provider: exec, command: 'true'}\n",
       "analysis.metrics.cpu: no rollout.promote_when or rollout.rollback_when condition names it"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: exec, command: 'true'}\n",
       "rollout.promote_when: 'latency_ms < 200' names latency_ms, which analysis.metrics does not "
       "measure"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: exec, command: 'true', dry_run: true}\n"
           "    - {name: latency_ms, provider: exec, command: 'true', dry_run: true}\n",
       "analysis.metrics: every metric is dry_run"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: '9x', provider: exec, command: 'true'}\n",
       "analysis.metrics[0].name: '9x' is not a metric name"},
      {"analysis:\n" + samples +
           "  metrics:\n    - {name: error_rate, provider: prometheus, address: http://a:1, "
           "query: \"x\\e[2J\"}\n",
       "analysis.metrics.error_rate.query"},
  };
  for (const Bad& c : cases) {
    auto m = ParseManifest(std::string(kHead) + c.analysis, ".");
    ASSERT_FALSE(m.ok()) << c.analysis;
    EXPECT_NE(m.status().message().find(c.expected), std::string::npos)
        << "got: " << m.status().message() << "\nwant: " << c.expected;
  }
}

}  // namespace
}  // namespace dvs
