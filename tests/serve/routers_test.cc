// Router adapters: what each writes or runs, level-triggered re-application with backoff, and
// warm bundles kept in the table until their window ends.
#include "api/controller/routers.h"

#include "tests/serve/serve_fixture.h"

namespace dvs {
namespace {

using test::Eventually;
using test::Slurp;

class Routers : public test::ServeFixture {
 protected:
  std::string LocalRoutesJson() { return Local({"routes", "--json"}).out; }
};

TEST_F(Routers, FileAndExecRoutersCarryTheRoutingTableAfterEveryChange) {
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  const std::string file = dir_.Sub("routes.json"), piped = dir_.Sub("piped.json");
  StartServer({"--router", "file:" + file, "--router", "exec:cat > " + piped});
  // Re-applied at start.
  EXPECT_TRUE(Eventually([&] { return Slurp(file) == LocalRoutesJson(); }));
  EXPECT_TRUE(Eventually([&] { return Slurp(piped) == LocalRoutesJson(); }));

  std::string v90 = Release("9.0");
  EXPECT_TRUE(Eventually([&] { return Slurp(file).find("\"weight\":5") != std::string::npos; }));
  ASSERT_EQ(Observe(v90, 0.02, 450, 300).code, 0);  // rolled back at once
  EXPECT_TRUE(Eventually([&] { return Slurp(file) == LocalRoutesJson(); }));
  EXPECT_TRUE(Eventually([&] { return Slurp(piped) == LocalRoutesJson(); }));
  EXPECT_EQ(Slurp(file).find(v90), std::string::npos) << Slurp(file);
}

TEST_F(Routers, AFailingRouterIsLoggedCountedAndRetriedUntilItSucceeds) {
  std::string v87 = Release("8.7");
  const std::string gate = dir_.Sub("router-ready"), out = dir_.Sub("out.json");
  StartServer({"--router", "exec:test -f " + gate + " && cat > " + out, "--router",
               "exec:echo upstream unreachable >&2; exit 3"});
  ASSERT_TRUE(Eventually([&] {
    return Http("GET", "/metrics").body.find("dvs_router_failures_total{router=\"exec:test -f") !=
           std::string::npos;
  }));
  EXPECT_TRUE(Eventually(
      [&] { return ServerLog().find("exited 3: upstream unreachable") != std::string::npos; }));
  EXPECT_TRUE(Eventually([&] { return ServerLog().find("retrying in") != std::string::npos; }));
  ExpectServerStillAnswers();
  // The router recovers: the next retry applies the table it missed.
  test::Write(gate, "");
  EXPECT_TRUE(Eventually([&] { return Slurp(out) == LocalRoutesJson(); }, 15000));
}

TEST_F(Routers, AWarmBundleStaysInTheTableUntilItsWindowEnds) {
  Write("m-8.7.yaml", ManifestYaml("8.7"));
  Write("m-9.0.yaml",
        "name: tax_calc\nversion: \"9.0\"\ncode: registry.gov/tax_calc:9.0\n"
        "model: s3://models/tax_v9.onnx\nconfig: {brackets: \"2024\"}\n"
        "governance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}\n"
        "rollout: {interval: 0s, min_samples: 100, warm_for: 2s}\n");
  std::string v87 = Release("8.7");
  std::string v90 = Dvs({"package", dir_.Sub("m-9.0.yaml"), "--key", Key("publisher")}).out;
  v90 = v90.substr(0, v90.find('\n'));
  ASSERT_EQ(Dvs({"approve", v90, "--key", Key("governance")}).code, 0);
  ASSERT_EQ(Dvs({"deploy", v90, "--key", Key("admin")}).code, 0);
  const std::string file = dir_.Sub("routes.json");
  StartServer({"--router", "file:" + file});
  ASSERT_EQ(Dvs({"promote", v90, "--full", "--key", Key("admin")}).code, 0);
  EXPECT_TRUE(Eventually([&] {
    std::string t = Slurp(file);
    return t.find(v90) != std::string::npos && t.find("\"role\":\"warm\"") != std::string::npos;
  }));
  // The window ends by the clock; the controller's tick takes the warm bundle out.
  EXPECT_TRUE(Eventually([&] { return Slurp(file).find(v87) == std::string::npos; }, 8000));
  EXPECT_NE(Slurp(file).find(v90), std::string::npos);
}

TEST(NginxUpstreams, WeightedServersPerServiceWarmAsCommentsMissingBackendNamed) {
  RoutingTable t;
  t["tax_calc"] = {Route{"tax_calc_8.7_aa", "8.7", 95, RouteRole::kStable},
                   Route{"tax_calc_9.0_bb", "9.0", 5, RouteRole::kCanary},
                   Route{"tax_calc_8.6_cc", "8.6", 0, RouteRole::kWarm}};
  const std::string backends =
      "tax_calc:\n  \"8.7\": 127.0.0.1:9001\n  tax_calc_9.0_bb: 127.0.0.1:9002\n"
      "  \"8.6\": 127.0.0.1:9000\n";
  auto conf = NginxUpstreams(t, backends);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  EXPECT_NE(conf->find("upstream dvs_tax_calc {"), std::string::npos) << *conf;
  EXPECT_NE(conf->find("server 127.0.0.1:9001 weight=95;"), std::string::npos) << *conf;
  EXPECT_NE(conf->find("server 127.0.0.1:9002 weight=5;"), std::string::npos) << *conf;
  EXPECT_EQ(conf->find("server 127.0.0.1:9000"), std::string::npos) << *conf;
  EXPECT_NE(conf->find("# tax_calc_8.6_cc 8.6 at 127.0.0.1:9000: warm"), std::string::npos);

  auto missing = NginxUpstreams(t, "tax_calc:\n  \"8.7\": 127.0.0.1:9001\n");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("tax_calc 9.0"), std::string::npos);
  EXPECT_TRUE(NginxUpstreams(t, "[not, a, map]").status().IsInvalidArgument());
  EXPECT_TRUE(NginxUpstreams(t, "tax_calc: {\"8.7\": \"1.2.3.4:80; evil\"}").status().ok() ==
              false);
}

TEST(RouterSpecs, BadSpecsAreNamed) {
  RouterOptions o;
  EXPECT_NE(MakeRouter("file", o).status().message().find("not file:PATH"), std::string::npos);
  EXPECT_NE(MakeRouter("ftp:x", o).status().message().find("'ftp'"), std::string::npos);
  EXPECT_NE(MakeRouter("nginx:/tmp/x.conf", o).status().message().find("--nginx-backends"),
            std::string::npos);
}

TEST(RunCommandTest, ExitStatusStderrAndTimeoutAreReported) {
  EXPECT_TRUE(RunCommand("cat >/dev/null", "table", 5000).ok());
  Status s = RunCommand("echo no route >&2; exit 4", "", 5000);
  EXPECT_NE(s.message().find("exited 4: no route"), std::string::npos) << s.ToString();
  auto t0 = std::chrono::steady_clock::now();
  Status slow = RunCommand("sleep 30", "", 200);
  EXPECT_NE(slow.message().find("ran past 200 ms"), std::string::npos) << slow.ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace dvs
