// dvs-router-bench: rollback end to end through real proxies, HAProxy and nginx in the same run.
//
//   dvs-router-bench [--runs N] [--dir DIR]
//
// Starts nginx and HAProxy on loopback (nginx also serves the two backends: "stable" and
// "canary"), and `dvs serve` in process with both routers: `haproxy:` over the admin socket (no
// reload) and `nginx:` (upstreams rewritten, then `nginx -s reload`). Each run deploys a canary
// at 50 %, waits until both proxies send it traffic, then POSTs an observation that breaks the
// policy. The clock starts when the answer arrives (the controller's rollback is committed before
// it is sent) and stops, per proxy, at the first of 50 consecutive requests (each on a new
// connection, as new clients) answered by the stable backend. Reported: p50 and p99 per proxy and
// their ratio. Not a test: it needs haproxy and nginx installed (tools/run installs both).
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "api/http/http_client.h"
#include "api/http/server.h"
#include "api/service/transitions.h"
#include "tools/bench_ledger.h"
#include "tools/bench_util.h"
#include "tools/testbed/free_port.h"
#include "tools/testbed/programs.h"

namespace dvs::bench {
namespace {

namespace fs = std::filesystem;

using test::FreePort;

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

std::string Body(const HttpUrl& url) {
  auto r = HttpCall(url, "GET", "/", "", {{"Connection", "close"}}, 5000);
  return r.ok() && r->status == 200 ? r->body : "error";
}

// Milliseconds from `t0` to the first of 50 consecutive answers from the stable backend.
double UntilClean(const HttpUrl& url, double t0) {
  int clean = 0;
  double first = 0;
  while (clean < 50 && NowSeconds() - t0 < 30) {
    if (Body(url) == "stable") {
      if (clean++ == 0) first = NowSeconds();
    } else {
      clean = 0;
    }
  }
  return clean == 50 ? (first - t0) * 1000 : -1;
}

int Run(int runs, const std::string& root) {
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "dvs-router-bench: %s\n", what.c_str());
    return 1;
  };
  const std::string haproxy = test::FindProgram("haproxy");
  const std::string nginx = test::FindProgram("nginx");
  if (haproxy.empty() || nginx.empty()) return fail("needs haproxy and nginx (tools/run bench)");
  auto bench = BenchLedger::Create(root, "dvs-router-bench");
  if (!bench) return 1;
  ReleaseService& s = *bench->svc;
  const SecretKey& all = bench->all;

  const int stable_port = FreePort(), canary_port = FreePort(), nginx_port = FreePort(),
            haproxy_port = FreePort();
  const std::string prefix = root + "/nginx", upstreams = prefix + "/dvs-upstreams.conf";
  // A short socket path: at most 107 bytes.
  char tmpl[] = "/tmp/dvs-rb-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return fail("mkdtemp failed");
  const std::string sock_dir = tmpl, admin = sock_dir + "/admin.sock";
  fs::create_directories(prefix + "/tmp");
  std::string nginx_backends =
      "tax_calc:\n  \"1.0\": 127.0.0.1:" + std::to_string(stable_port) + "\n";
  std::string haproxy_backends = "tax_calc:\n  backend: be\n  servers:\n    \"1.0\": stable\n";
  for (int v = 2; v < 2 + runs; ++v) {
    nginx_backends +=
        "  \"" + std::to_string(v) + ".0\": 127.0.0.1:" + std::to_string(canary_port) + "\n";
    haproxy_backends += "    \"" + std::to_string(v) + ".0\": canary\n";
  }
  Write(root + "/nginx-backends.yaml", nginx_backends);
  Write(root + "/haproxy-backends.yaml", haproxy_backends);
  const std::string p = prefix;
  Write(p + "/nginx.conf",
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid " + p + "/nginx.pid;\n" +
            "error_log " + p + "/error.log warn;\nevents { worker_connections 1024; }\n" +
            "http {\n  access_log off;\n  client_body_temp_path " + p + "/tmp/body;\n" +
            "  proxy_temp_path " + p + "/tmp/proxy;\n  fastcgi_temp_path " + p + "/tmp/f;\n" +
            "  uwsgi_temp_path " + p + "/tmp/u;\n  scgi_temp_path " + p + "/tmp/s;\n" +
            "  server { listen 127.0.0.1:" + std::to_string(stable_port) +
            "; location / { return 200 \"stable\"; } }\n" +
            "  server { listen 127.0.0.1:" + std::to_string(canary_port) +
            "; location / { return 200 \"canary\"; } }\n" + "  include " + upstreams + ";\n" +
            "  server { listen 127.0.0.1:" + std::to_string(nginx_port) +
            "; location / { proxy_pass http://dvs_tax_calc; } }\n}\n");
  Write(root + "/haproxy.cfg",
        "global\n  stats socket " + admin + " level admin\n" +
            "defaults\n  mode http\n  timeout connect 2s\n  timeout client 10s\n" +
            "  timeout server 10s\nfrontend fe\n  bind 127.0.0.1:" + std::to_string(haproxy_port) +
            "\n  default_backend be\nbackend be\n  balance roundrobin\n" +
            "  server stable 127.0.0.1:" + std::to_string(stable_port) + " weight 1\n" +
            "  server canary 127.0.0.1:" + std::to_string(canary_port) + " weight 0\n");
  const std::vector<std::string> nginx_args = {nginx, "-e", p + "/error.log", "-p",
                                               p,     "-c", p + "/nginx.conf"};

  ServeOptions o;
  o.tick_ms = 3'600'000;  // decisions here come from observations, not the clock
  o.routers = {"haproxy:" + admin, "nginx:" + upstreams};
  o.haproxy_backends = root + "/haproxy-backends.yaml";
  o.nginx_backends = root + "/nginx-backends.yaml";
  std::string reload;
  for (const auto& a : nginx_args) reload += a + " ";
  o.nginx_reload = reload + "-s reload";
  // The controller's log, for when a run fails (nginx's reload failing until it runs is normal).
  o.log = [root](const std::string& line) {
    std::ofstream(root + "/serve.log", std::ios::app) << line << "\n";
  };
  auto server = Server::Start(s, &all, o);
  if (!server.ok()) return fail(server.status().ToString());
  std::thread serving([&] { (*server)->Run(false); });
  // The upstreams exist once dvs wrote them: then nginx can start (its reloads fail until then
  // and are retried).
  while (!fs::exists(upstreams)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  pid_t nginx_pid = Spawn(nginx_args, root + "/nginx.out");
  pid_t haproxy_pid = Spawn({haproxy, "-db", "-f", root + "/haproxy.cfg"}, root + "/haproxy.out");
  struct Cleanup {
    Server& server;
    std::thread& thread;
    pid_t a, b;
    std::string dir;
    ~Cleanup() {
      server.Stop();
      thread.join();
      // SIGTERM, not SIGKILL: nginx's master then stops its workers instead of orphaning them.
      for (pid_t pid : {a, b}) {
        ::kill(pid, SIGTERM);
        ::waitpid(pid, nullptr, 0);
      }
      fs::remove_all(dir);
    }
  } cleanup{**server, serving, nginx_pid, haproxy_pid, sock_dir};
  const HttpUrl api = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string((*server)->port()));
  const HttpUrl via_haproxy = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string(haproxy_port));
  const HttpUrl via_nginx = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string(nginx_port));

  std::vector<double> haproxy_ms, nginx_ms;
  for (int v = 2; v < 2 + runs; ++v) {
    auto id = s.Package(all, BenchManifest(v));
    if (!id.ok() || !s.Approve(all, *id).ok() || !s.Deploy(all, *id, 50).ok())
      return fail("releasing version " + std::to_string(v) + " failed");
    // Both proxies send the canary traffic before it is rolled back.
    for (const HttpUrl* u : {&via_haproxy, &via_nginx}) {
      const double t = NowSeconds();
      while (Body(*u) != "canary") {
        if (NowSeconds() - t > 30) return fail("a proxy never sent traffic to the canary");
      }
    }
    const std::string bad =
        SignedBodyJson(SignTransition(all, make::Observe(*id, {{"error_rate", 50.0}}, 500)));
    auto r = HttpCall(api, "POST", "/v1/entries", bad);
    const double t0 = NowSeconds();
    if (!r.ok()) return fail(r.status().ToString());
    if (r->status != 200 || r->body.find("\"rollback\"") == std::string::npos)
      return fail("the observation did not roll back: " + r->body);
    double h = -1, n = -1;
    std::thread th([&] { h = UntilClean(via_haproxy, t0); });
    n = UntilClean(via_nginx, t0);
    th.join();
    if (h < 0 || n < 0) return fail("a proxy kept sending traffic to the rolled-back canary");
    haproxy_ms.push_back(h);
    nginx_ms.push_back(n);
  }
  const double h50 = Percentile(haproxy_ms, 50), h99 = Percentile(haproxy_ms, 99);
  const double n50 = Percentile(nginx_ms, 50), n99 = Percentile(nginx_ms, 99);
  std::printf(
      "rollback end to end (decision committed -> the proxy sends nothing to the canary), "
      "%d runs:\n",
      runs);
  std::printf("  HAProxy, runtime API (set weight, no reload): p50 %.2f ms, p99 %.2f ms\n", h50,
              h99);
  std::printf("  nginx, upstreams rewritten + reload:          p50 %.2f ms, p99 %.2f ms\n", n50,
              n99);
  std::printf("  nginx / HAProxy: p50 %.1fx, p99 %.1fx (target: HAProxy >= 10x faster at p50)\n",
              n50 / h50, n99 / h99);
  return 0;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) {
  int runs = 30;
  std::string dir = std::filesystem::temp_directory_path() / "dvs-router-bench";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: dvs-router-bench [--runs N] [--dir DIR]\n");
      return 2;
    }
  }
  if (runs < 1 || runs > 1000) {
    std::fprintf(stderr, "dvs-router-bench: --runs must be 1..1000\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  return dvs::bench::Run(runs, dir);
}
