// A real nginx (Debian's package, started here on loopback) routes between two tiny backends as
// `dvs serve` tells it. After deploy, each ramp step and the rollback, the share of requests each
// backend actually receives matches the routing table within 3 percentage points (nginx's
// weighted round robin is exact over a cycle; the tolerance covers a cycle cut at the sample's
// edges), and after the rollback the canary receives none. Also measures the rollback latency end
// to end: decision committed -> nginx serving only the old version.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <map>

#include "tests/serve/proxy_fixture.h"
#include "tools/testbed/free_port.h"
#include "tools/testbed/programs.h"

namespace dvs {
namespace {

using test::Eventually;
using test::Slurp;
using Clock = std::chrono::steady_clock;

using test::FreePort;

class NginxRouting : public test::ProxyFixture {
 protected:
  void TearDown() override {
    if (!nginx_.empty() && !prefix_.empty()) {
      std::string quit = nginx_ + " -e " + prefix_ + "/error.log -p " + prefix_ + " -c " + prefix_ +
                         "/nginx.conf -s quit >/dev/null 2>&1";
      (void)std::system(quit.c_str());
    }
    if (nginx_pid_ > 0) {
      ::kill(nginx_pid_, SIGKILL);
      ::waitpid(nginx_pid_, nullptr, 0);
    }
    ProxyFixture::TearDown();
  }

  std::string nginx_, prefix_;
  pid_t nginx_pid_ = -1;
};

TEST_F(NginxRouting, BackendsReceiveTheSharesOfTheRoutingTableAndNothingAfterRollback) {
  nginx_ = test::FindProgram("nginx");
  ASSERT_FALSE(nginx_.empty()) << "nginx is not installed (tools/run installs nginx-light)";
  prefix_ = dir_.Sub("nginx");
  std::filesystem::create_directories(prefix_ + "/tmp");
  const int old_port = FreePort(), new_port = FreePort(), front_port = FreePort();
  const std::string upstreams = prefix_ + "/dvs-upstreams.conf";
  test::Write(prefix_ + "/nginx.conf",
              "daemon off;\nmaster_process on;\nworker_processes 1;\n"
              "pid " +
                  prefix_ + "/nginx.pid;\nerror_log " + prefix_ +
                  "/error.log warn;\n"
                  "events { worker_connections 256; }\n"
                  "http {\n  access_log off;\n"
                  "  client_body_temp_path " +
                  prefix_ +
                  "/tmp/body;\n"
                  "  proxy_temp_path " +
                  prefix_ +
                  "/tmp/proxy;\n"
                  "  fastcgi_temp_path " +
                  prefix_ +
                  "/tmp/fastcgi;\n"
                  "  uwsgi_temp_path " +
                  prefix_ +
                  "/tmp/uwsgi;\n"
                  "  scgi_temp_path " +
                  prefix_ +
                  "/tmp/scgi;\n"
                  "  server { listen 127.0.0.1:" +
                  std::to_string(old_port) +
                  "; location / { return 200 \"8.7\"; } }\n"
                  "  server { listen 127.0.0.1:" +
                  std::to_string(new_port) +
                  "; location / { return 200 \"9.0\"; } }\n"
                  "  include " +
                  upstreams +
                  ";\n"
                  "  server { listen 127.0.0.1:" +
                  std::to_string(front_port) +
                  "; location / { proxy_pass http://dvs_tax_calc; } }\n}\n");
  test::Write(dir_.Sub("backends.yaml"),
              "tax_calc:\n  \"8.7\": 127.0.0.1:" + std::to_string(old_port) +
                  "\n  \"9.0\": 127.0.0.1:" + std::to_string(new_port) + "\n");
  const std::string nginx_args =
      " -e " + prefix_ + "/error.log -p " + prefix_ + " -c " + prefix_ + "/nginx.conf";

  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  StartServer({"--router", "nginx:" + upstreams, "--nginx-backends", dir_.Sub("backends.yaml"),
               "--nginx-reload", nginx_ + nginx_args + " -s reload"},
              "1h");  // no timer decisions: each step below comes from an observation
  // dvs writes the upstreams at start (its reload fails until nginx runs, and is retried).
  ASSERT_TRUE(Eventually([&] { return Slurp(upstreams).find("weight=100") != std::string::npos; }));
  nginx_pid_ = test::StartProgram(
      nginx_.c_str(), {"-e", prefix_ + "/error.log", "-p", prefix_, "-c", prefix_ + "/nginx.conf"},
      "", dir_.path(), "nginx");
  front_ = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string(front_port));
  ASSERT_TRUE(Eventually([&] { return HttpCall(front_, "GET", "/", "", {}, 1000).ok(); }))
      << Slurp(prefix_ + "/error.log");
  ExpectShares({{"8.7", 100}}, "stable only");

  std::string v90 = Release("9.0");
  ExpectShares({{"8.7", 95}, {"9.0", 5}}, "canary at 5 %");
  ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
  ExpectShares({{"8.7", 75}, {"9.0", 25}}, "ramped to 25 %");
  ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
  ExpectShares({{"8.7", 55}, {"9.0", 45}}, "ramped to 45 %");

  // The regression: the observation's answer comes after the rollback committed. From then on,
  // time until nginx serves only the old version.
  ASSERT_EQ(Observe(v90, 0.02, 450, 300).code, 0);
  const auto committed = Clock::now();
  int clean = 0;
  Clock::time_point first_clean, written;
  bool rewritten = false;
  while (clean < 50 && Clock::now() - committed < std::chrono::seconds(10)) {
    if (!rewritten && Slurp(upstreams).find("weight=100") != std::string::npos) {
      rewritten = true;
      written = Clock::now();
    }
    auto r = HttpCall(front_, "GET", "/", "", {{"Connection", "close"}}, 5000);
    if (r.ok() && r->body == "8.7") {
      if (clean++ == 0) first_clean = Clock::now();
    } else {
      clean = 0;
    }
  }
  ASSERT_EQ(clean, 50) << "nginx kept sending traffic to the rolled-back canary";
  const double ms = std::chrono::duration<double, std::milli>(first_clean - committed).count();
  const double write_ms =
      rewritten ? std::chrono::duration<double, std::milli>(written - committed).count() : -1;
  std::printf(
      "rollback latency, decision committed -> nginx serving only 8.7: %.1f ms "
      "(upstreams rewritten after %.1f ms; the rest is nginx's reload)\n",
      ms, write_ms);
  RecordProperty("rollback_latency_ms", std::to_string(ms));
  EXPECT_LT(ms, 5000) << "the seed's bound";
  ExpectShares({{"8.7", 100}, {"9.0", 0}}, "after rollback");
  EXPECT_EQ(Sample(kSample)["9.0"], 0);
}

}  // namespace
}  // namespace dvs
