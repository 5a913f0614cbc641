// The dashboard in a real browser: the seed scenario made with the real dvs binary, then
// api/http/dashboard/test/dashboard.test.mjs (playwright-core driving Debian's chromium,
// headless) starts `dvs serve` on a free loopback port and checks the page a user would see:
// the weights, the ramp chart's points and rollback marker, the trail's proofs, a rollback made
// through the API appearing live, a hostile reason shown as text, a server restart resumed, no
// console error. The screenshot lands in the build dir (tests/dashboard-artifacts/).
#include "tests/e2e/dvs_runner.h"
#include "tools/testbed/free_port.h"

namespace dvs {
namespace {

class DashboardBrowser : public test::LedgerFixture {};

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

TEST_F(DashboardBrowser, SeedScenarioLiveInChromium) {
  ASSERT_EQ(Dvs({"keygen", "--out", Key("logger")}).code, 0);
  Grant("logger", "log");
  // The seed's story, with ticks by hand: 8.7 first, 9.0 ramps to stable, 9.1 rolled back.
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  std::string v90 = Release("9.0");
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
    ASSERT_EQ(Tick().code, 0);
  }
  ASSERT_EQ(StatusJson(v90).fields().at("state").string_value(), "stable");
  std::string v91 = Release("9.1");
  ASSERT_EQ(Observe(v91, 0.02, 450, 300).code, 0);
  ASSERT_EQ(Tick().code, 0);
  ASSERT_EQ(StatusJson(v91).fields().at("state").string_value(), "rolled_back");
  test::Outcome cp = Dvs({"checkpoint", "--key", Key("logger")});
  ASSERT_EQ(cp.code, 0) << cp.err;
  std::string v92 = Release("9.2");  // a live canary at 5 %
  ASSERT_EQ(StatusJson(v92).fields().at("weight").number_value(), 5);

  const std::string config =
      "{\"dvs\":" + Quoted(DVS_BINARY) + ",\"ledger\":" + Quoted(Ledger()) +
      ",\"port\":" + std::to_string(test::FreePort()) +
      ",\"controllerKey\":" + Quoted(Key("controller")) + ",\"adminKey\":" + Quoted(Key("admin")) +
      ",\"observerKey\":" + Quoted(Key("observer")) +
      ",\"artifacts\":" + Quoted(DVS_DASHBOARD_ARTIFACTS) +
      ",\"chromium\":" + Quoted(DVS_CHROMIUM) + ",\"stable\":" + Quoted(v90) +
      ",\"rolledBack\":" + Quoted(v91) + ",\"canary\":" + Quoted(v92) + "}";
  pid_t pid = test::StartProgram(DVS_NODE, {DVS_DASHBOARD_TEST, config}, "", dir_.path(), "node");
  test::Outcome run = test::WaitDvs(pid, dir_.path(), "node");
  std::printf("%s", run.out.c_str());
  EXPECT_EQ(run.code, 0) << run.out << run.err;
}

}  // namespace
}  // namespace dvs
