// A real HAProxy (Debian's package, started here on loopback with an admin socket in a temporary
// folder) routes between two tiny backends as `dvs serve` tells it over the runtime API, with no
// reload. After deploy, each ramp step and the rollback, the share of requests each backend gets
// matches the routing table within 3 points over 200 requests (HAProxy's weighted round robin is
// exact over a cycle), every step is confirmed in the ledger by the router, a router that cannot
// apply holds the ramp but never the rollback, and each kind of broken socket or backend is a
// clear error that leaves HAProxy's last good weights in place.
#include <cmath>
#include <map>

#include "api/controller/routers.h"
#include "tests/serve/backend_server.h"
#include "tests/serve/proxy_fixture.h"
#include "tools/testbed/free_port.h"
#include "tools/testbed/programs.h"

namespace dvs {
namespace {

using test::Eventually;
using test::Slurp;
using Clock = std::chrono::steady_clock;

double Weight(const google::protobuf::Struct& s) { return s.fields().at("weight").number_value(); }

using test::FreePort;

class HaproxyRouting : public test::ProxyFixture {
 protected:
  void SetUp() override {
    ProxyFixture::SetUp();
    haproxy_ = test::FindProgram("haproxy");
    ASSERT_FALSE(haproxy_.empty()) << "haproxy is not installed (tools/run installs it)";
    // A short folder of its own: a Unix socket path has at most 107 bytes.
    char tmpl[] = "/tmp/dvs-hx-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    sock_dir_ = tmpl;
    admin_ = sock_dir_ + "/admin.sock";
    user_ = sock_dir_ + "/user.sock";
    front_port_ = FreePort();
    test::Write(dir_.Sub("haproxy.cfg"),
                "global\n"
                "  stats socket " +
                    admin_ +
                    " level admin\n"
                    "  stats socket " +
                    user_ +
                    " level user\n"
                    "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n"
                    "  timeout server 10s\n"
                    "frontend fe\n  bind 127.0.0.1:" +
                    std::to_string(front_port_) +
                    "\n"
                    "  default_backend be_tax_calc\n"
                    "backend be_tax_calc\n  balance roundrobin\n"
                    "  server v87 127.0.0.1:" +
                    std::to_string(old_.port()) +
                    " weight 1\n"
                    "  server v90 127.0.0.1:" +
                    std::to_string(new_.port()) + " weight 0\n");
    BackendsFile(true);
    front_ = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string(front_port_));
  }

  void TearDown() override {
    if (haproxy_pid_ > 0) {
      ::kill(haproxy_pid_, SIGKILL);
      ::waitpid(haproxy_pid_, nullptr, 0);
    }
    ProxyFixture::TearDown();
    if (!sock_dir_.empty()) std::filesystem::remove_all(sock_dir_);
  }

  void BackendsFile(bool with_90) {
    test::Write(dir_.Sub("backends.yaml"),
                std::string("tax_calc:\n  backend: be_tax_calc\n  servers:\n    \"8.7\": v87\n") +
                    (with_90 ? "    \"9.0\": v90\n" : ""));
  }

  void StartHaproxy() {
    haproxy_pid_ = test::StartProgram(haproxy_.c_str(), {"-db", "-f", dir_.Sub("haproxy.cfg")}, "",
                                      dir_.path(), "haproxy");
    ASSERT_TRUE(Eventually([&] { return HttpCall(front_, "GET", "/", "", {}, 1000).ok(); }))
        << Slurp(dir_.Sub("haproxy.err"));
  }

  std::string Spec() const { return "haproxy:" + admin_; }

  void StartServing() {
    StartServer({"--router", Spec(), "--haproxy-backends", dir_.Sub("backends.yaml")},
                "1h");  // no timer decisions: each step below comes from an observation
  }

  // The details of tax_calc's confirm entries, oldest first (found by the service filter, as an
  // auditor asks for them).
  std::vector<std::string> Confirmations() {
    test::Outcome r = Local({"audit", "--type", "confirm", "--service", "tax_calc", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    std::vector<std::string> out;
    auto json = test::ParseJson(r.out);
    for (const auto& row : json.fields().at("entries").list_value().values()) {
      EXPECT_EQ(row.struct_value().fields().at("service").string_value(), "tax_calc");
      out.push_back(row.struct_value().fields().at("detail").string_value());
    }
    return out;
  }
  bool Confirmed(const std::string& what) {
    for (const std::string& d : Confirmations()) {
      if (d == Spec() + " serves " + what || d.rfind(Spec() + " serves " + what + " (", 0) == 0)
        return true;
    }
    return false;
  }

  // HAProxy's own word on a server's weight.
  uint32_t WeightIn(const std::string& server) {
    auto a = HaproxyExchange(admin_, {"get weight be_tax_calc/" + server}, 2000);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? static_cast<uint32_t>(std::stoul((*a)[0])) : 999;
  }

  test::BackendServer old_{"8.7"}, new_{"9.0"};
  std::string haproxy_, sock_dir_, admin_, user_;
  int front_port_ = 0;
  pid_t haproxy_pid_ = -1;
};

TEST_F(HaproxyRouting, SharesFollowDeployEachStepAndRollbackEachConfirmedInTheLedger) {
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  StartHaproxy();
  StartServing();
  ExpectShares({{"8.7", 100}}, "stable only");
  EXPECT_TRUE(Eventually([&] { return Confirmed(v87 + " 100 %"); })) << ServerLog();

  std::string v90 = Release("9.0");
  ExpectShares({{"8.7", 95}, {"9.0", 5}}, "canary at 5 %");
  EXPECT_TRUE(Eventually([&] { return Confirmed(v87 + " 95 %, " + v90 + " 5 %"); }));
  for (int pct : {25, 45}) {
    ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
    EXPECT_TRUE(Eventually([&] { return Weight(StatusJson(v90)) == pct; })) << ServerLog();
    ExpectShares({{"8.7", 100 - pct}, {"9.0", pct}}, ("ramped to " + std::to_string(pct)).c_str());
    EXPECT_TRUE(Eventually([&] {
      return Confirmed(v87 + " " + std::to_string(100 - pct) + " %, " + v90 + " " +
                       std::to_string(pct) + " %");
    })) << ServerLog();
  }
  // `dvs status` shows what the router confirmed beside what the ledger decided.
  test::Outcome st = Dvs({"status", "tax_calc"});
  EXPECT_NE(st.out.find("CONFIRMED"), std::string::npos) << st.out;
  auto json = StatusJson(v90);
  const auto& confirmed = json.fields().at("confirmed").list_value().values();
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].struct_value().fields().at("router").string_value(), Spec());
  EXPECT_EQ(confirmed[0].struct_value().fields().at("weight").number_value(), 45);

  // The regression: from the rollback committed to HAProxy sending nothing to the canary.
  ASSERT_EQ(Observe(v90, 0.02, 450, 300).code, 0);
  const auto committed = Clock::now();
  int clean = 0;
  Clock::time_point first_clean;
  while (clean < 50 && Clock::now() - committed < std::chrono::seconds(10)) {
    auto r = HttpCall(front_, "GET", "/", "", {{"Connection", "close"}}, 5000);
    if (r.ok() && r->body == "8.7") {
      if (clean++ == 0) first_clean = Clock::now();
    } else {
      clean = 0;
    }
  }
  ASSERT_EQ(clean, 50) << "HAProxy kept sending traffic to the rolled-back canary";
  const double ms = std::chrono::duration<double, std::milli>(first_clean - committed).count();
  std::printf("rollback latency, decision committed -> HAProxy serving only 8.7: %.2f ms\n", ms);
  std::fflush(stdout);
  RecordProperty("rollback_latency_ms", std::to_string(ms));
  EXPECT_LT(ms, 5000) << "the seed's bound";
  ExpectShares({{"8.7", 100}, {"9.0", 0}}, "after rollback");
  EXPECT_EQ(WeightIn("v90"), 0u);
  EXPECT_TRUE(Eventually([&] {
    auto c = Confirmations();
    return !c.empty() && c.back().rfind(Spec() + " serves " + v87 + " 100 %", 0) == 0;
  }));
  // No reload happened: HAProxy is the process the test started.
  EXPECT_EQ(::kill(haproxy_pid_, 0), 0);

  // The confirmations replay and verify like any other entry.
  ASSERT_EQ(StopServer().code, 0);
  test::Outcome v =
      test::WaitDvs(test::StartProgram(DVS_VERIFY_BINARY, {Ledger()}, "", dir_.path(), "verify"),
                    dir_.path(), "verify");
  EXPECT_EQ(v.code, 0) << v.out << v.err;
}

TEST_F(HaproxyRouting, ARouterThatCannotApplyHoldsTheRampButNeverTheRollback) {
  BackendsFile(false);  // no server for 9.0: the canary's table cannot be applied
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  StartHaproxy();
  StartServing();
  ExpectShares({{"8.7", 100}}, "stable only");
  std::string v90 = Release("9.0");
  EXPECT_TRUE(Eventually([&] {
    return ServerLog().find("haproxy backends: no server for tax_calc 9.0 (" + v90 + ")") !=
           std::string::npos;
  })) << ServerLog();
  ExpectShares({{"8.7", 100}}, "HAProxy keeps the last good table");

  // Healthy metrics: the step to 25 % waits for the router, and says so.
  test::Outcome held = Observe(v90, 0.03, 110);
  ASSERT_EQ(held.code, 0) << held.err;
  EXPECT_NE(held.out.find("the controller decided hold (waiting: router " + Spec() +
                          " has not confirmed " + v90 + " at 5 % (it confirmed nothing yet))"),
            std::string::npos)
      << held.out;
  EXPECT_EQ(Weight(StatusJson(v90)), 5);

  // A regression (combined with the held observation: 200 samples at 110 ms, 300 at 900 ms): the
  // rollback does not wait, and the router recovers with the table it brings.
  test::Outcome rolled = Observe(v90, 0.02, 900, 300);
  ASSERT_EQ(rolled.code, 0) << rolled.err;
  EXPECT_NE(rolled.out.find("the controller decided rollback"), std::string::npos) << rolled.out;
  EXPECT_EQ(StatusJson(v90).fields().at("state").string_value(), "rolled_back");
  ExpectShares({{"8.7", 100}, {"9.0", 0}}, "after rollback");
  EXPECT_TRUE(Eventually([&] {
    auto c = Confirmations();
    return c.size() >= 2 && c.back().rfind(Spec() + " serves " + v87 + " 100 %", 0) == 0;
  })) << ServerLog();
}

TEST_F(HaproxyRouting, BrokenSocketsAndMissingServersAreClearErrorsAndKeepTheLastGoodWeights) {
  StartHaproxy();
  RouterOptions o;
  o.haproxy_backends = dir_.Sub("backends.yaml");
  const RoutingTable good = {{"tax_calc",
                              {Route{"tax_calc_8.7_aaaaaa", "8.7", 75, RouteRole::kStable},
                               Route{"tax_calc_9.0_bbbbbb", "9.0", 25, RouteRole::kCanary}}}};
  auto router = MakeRouter(Spec(), o);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  ASSERT_TRUE((*router)->Apply(good).ok());
  ASSERT_TRUE((*router)->Confirm(good).ok());
  EXPECT_EQ(WeightIn("v87"), 75u);
  EXPECT_EQ(WeightIn("v90"), 25u);

  // A socket nobody listens on.
  auto nobody = MakeRouter("haproxy:" + sock_dir_ + "/nobody.sock", o);
  Status s = (*nobody)->Apply(good);
  EXPECT_NE(s.message().find(sock_dir_ + "/nobody.sock refused the connection"), std::string::npos)
      << s.ToString();
  // A socket without the admin level.
  auto user = MakeRouter("haproxy:" + user_, o);
  RoutingTable other = good;
  other["tax_calc"][0].weight = 60;
  other["tax_calc"][1].weight = 40;
  s = (*user)->Apply(other);
  EXPECT_NE(s.message().find(user_ + " is not an admin socket"), std::string::npos) << s.ToString();
  // A server the backends file names but HAProxy does not have: nothing changes at all.
  test::Write(dir_.Sub("backends.yaml"),
              "tax_calc:\n  backend: be_tax_calc\n  servers:\n    \"8.7\": v87\n"
              "    \"9.0\": v99\n");
  s = (*router)->Apply(other);
  EXPECT_NE(s.message().find("has no server be_tax_calc/v99"), std::string::npos) << s.ToString();
  EXPECT_EQ(WeightIn("v87"), 75u);
  EXPECT_EQ(WeightIn("v90"), 25u);
  // A route without a server in the backends file.
  BackendsFile(false);
  s = (*router)->Apply(other);
  EXPECT_NE(s.message().find("haproxy backends: no server for tax_calc 9.0"), std::string::npos)
      << s.ToString();
  test::Write(dir_.Sub("backends.yaml"), "tax_calc: [v87]\n");
  s = (*router)->Apply(other);
  EXPECT_NE(s.message().find("service tax_calc needs backend and servers"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(WeightIn("v87"), 75u);
  // Weights changed behind the router's back: the read-back says which and how.
  BackendsFile(true);
  ASSERT_TRUE(HaproxyExchange(admin_, {"set weight be_tax_calc/v90 7"}, 2000).ok());
  s = (*router)->Confirm(good);
  EXPECT_NE(s.message().find("be_tax_calc/v90 has weight 7, not 25"), std::string::npos)
      << s.ToString();
  ASSERT_TRUE((*router)->Apply(good).ok());
  EXPECT_TRUE((*router)->Confirm(good).ok());
  // The usage errors of `dvs serve`.
  EXPECT_NE(
      MakeRouter(Spec(), RouterOptions{}).status().message().find("needs --haproxy-backends FILE"),
      std::string::npos);
}

}  // namespace
}  // namespace dvs
