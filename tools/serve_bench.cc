// dvs-serve-bench: a bounded load test of `dvs serve` on status and routes, and the rollback
// latency through HTTP to a router, against primitives measured in the same run.
//
//   dvs-serve-bench [--seconds S] [--connections N] [--dir DIR]
//
// - Load: N keep-alive connections alternate GET /v1/status/tax_calc and GET /v1/routes for S
//   seconds. Reported: requests/s, p50, p99, errors (any error fails the run: exit 1). Primitive:
//   the same client against a loopback server that answers every request with canned bytes of
//   the same size (what HTTP over loopback costs with no work behind it).
// - Rollback: an observation POSTed over HTTP that breaks the policy -> the controller's rollback
//   committed -> the file router's table without the canary. Primitive: an atomic file write
//   (write, fsync, rename), what the router must do at least.
// - Group commit over HTTP: 64 keep-alive clients each POST single pre-signed observations for
//   S seconds; concurrent writes share synced transactions. Primitive: the Ed25519 verify rate on
//   every core (each entry's signature must be checked once; target: >= 0.7 of it).
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/http/http_client.h"
#include "api/http/server.h"
#include "api/service/release_service.h"
#include "api/service/transitions.h"
#include "ledger/log.h"
#include "tools/bench_ledger.h"
#include "tools/bench_util.h"
#include "tools/testbed/loopback_listener.h"

namespace dvs::bench {
namespace {

namespace fs = std::filesystem;

struct Load {
  uint64_t requests = 0, errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

Load RunLoad(const HttpUrl& url, int connections, double seconds,
             const std::vector<std::string>& targets) {
  std::vector<Load> per(connections);
  std::vector<std::thread> threads;
  const double t0 = NowSeconds();
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      HttpConnection conn(url, 10'000);
      Load& l = per[c];
      for (size_t i = c; NowSeconds() - t0 < seconds; ++i) {
        const double s = NowSeconds();
        auto r = conn.Call("GET", targets[i % targets.size()]);
        l.latencies_ms.push_back((NowSeconds() - s) * 1000);
        ++l.requests;
        if (!r.ok() || r->status != 200 || r->body.empty()) ++l.errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  Load all;
  all.seconds = NowSeconds() - t0;
  for (auto& l : per) {
    all.requests += l.requests;
    all.errors += l.errors;
    all.latencies_ms.insert(all.latencies_ms.end(), l.latencies_ms.begin(), l.latencies_ms.end());
  }
  return all;
}

// A loopback HTTP server that answers every request on a connection with `answer`, doing no
// other work: the floor under any HTTP API on this machine.
class CannedServer {
 public:
  explicit CannedServer(std::string answer) : answer_(std::move(answer)) {}
  int port() const { return listener_.port(); }

 private:
  // Keep-alive: every request on the connection, until the client closes it (RunLoad's clients
  // all have when it returns, so the listener's join at destruction does not wait).
  void Serve(int c) {
    std::string pending;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) return;
      pending.append(buf, n);
      for (size_t end; (end = pending.find("\r\n\r\n")) != std::string::npos;) {
        pending.erase(0, end + 4);
        if (::send(c, answer_.data(), answer_.size(), MSG_NOSIGNAL) < 0) return;
      }
    }
  }

  const std::string answer_;
  test::LoopbackListener listener_{[this](int c) { Serve(c); },
                                   test::LoopbackListener::Threads::kPerConnection};
};

// 64 clients POSTing single signed entries from `bodies` (each client its own slice).
Load RunWrites(const HttpUrl& url, const std::vector<std::string>& bodies, double seconds) {
  constexpr int kClients = 64;
  std::vector<Load> per(kClients);
  std::vector<std::thread> threads;
  const double t0 = NowSeconds();
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpConnection conn(url, 30'000);
      Load& l = per[c];
      for (size_t i = c; i < bodies.size() && NowSeconds() - t0 < seconds; i += kClients) {
        auto r = conn.Call("POST", "/v1/entries", bodies[i]);
        ++l.requests;
        if (!r.ok() || r->status != 200) ++l.errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  Load all;
  all.seconds = NowSeconds() - t0;
  for (auto& l : per) {
    all.requests += l.requests;
    all.errors += l.errors;
  }
  return all;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Run(double seconds, int connections, const std::string& root) {
  auto bench = BenchLedger::Create(root, "dvs-serve-bench");
  if (!bench) return 1;
  ReleaseService& s = *bench->svc;
  const SecretKey& all = bench->all;
  auto release = [&](int v) { return bench->Release(v); };
  std::string in_flight = release(2);  // a canary in flight: status shows two bundles
  if (in_flight.empty()) return 1;

  const std::string routes_file = root + "/routes.json";
  ServeOptions o;
  o.tick_ms = 3'600'000;  // decisions here come from observations, not the clock
  o.routers = {"file:" + routes_file};
  o.log = [](const std::string&) {};
  auto server = Server::Start(s, &all, o);
  if (!server.ok()) {
    std::fprintf(stderr, "dvs-serve-bench: %s\n", server.status().ToString().c_str());
    return 1;
  }
  std::thread serving([&] { (*server)->Run(false); });
  struct StopOnExit {
    Server& server;
    std::thread& thread;
    ~StopOnExit() {
      server.Stop();
      thread.join();
    }
  } stop_on_exit{**server, serving};
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "dvs-serve-bench: %s\n", what.c_str());
    return 1;
  };
  const HttpUrl url = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string((*server)->port()));

  const std::vector<std::string> targets = {"/v1/status/tax_calc", "/v1/routes"};
  auto sample = HttpCall(url, "GET", targets[0]);
  if (!sample.ok()) return fail(sample.status().ToString());
  // The canned answer: a status answer's size, with its headers.
  CannedServer canned("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(sample->body.size()) + "\r\n\r\n" + sample->body);
  const HttpUrl raw_url = *HttpUrl::Parse("http://127.0.0.1:" + std::to_string(canned.port()));

  Load raw = RunLoad(raw_url, connections, seconds, targets);
  Load ours = RunLoad(url, connections, seconds, targets);
  const double raw_rate = raw.requests / raw.seconds, our_rate = ours.requests / ours.seconds;
  const double raw_p50 = Percentile(raw.latencies_ms, 50),
               raw_p99 = Percentile(raw.latencies_ms, 99);
  const double p50 = Percentile(ours.latencies_ms, 50), p99 = Percentile(ours.latencies_ms, 99);

  // Rollback through HTTP to the router.
  std::vector<double> rollback_ms, write_ms;
  for (int v = 2; v < 2 + 20; ++v) {
    std::string canary = v == 2 ? in_flight : release(v);
    if (canary.empty()) return fail("releasing version " + std::to_string(v) + " failed");
    while (Slurp(routes_file).find(canary) == std::string::npos) std::this_thread::yield();
    const std::string bad =
        SignedBodyJson(SignTransition(all, make::Observe(canary, {{"error_rate", 50.0}}, 500)));
    const double t0 = NowSeconds();
    auto r = HttpCall(url, "POST", "/v1/entries", bad);
    if (!r.ok()) return fail(r.status().ToString());
    if (r->status != 200) return fail("observe answered " + r->body);
    while (Slurp(routes_file).find(canary) != std::string::npos) std::this_thread::yield();
    rollback_ms.push_back((NowSeconds() - t0) * 1000);
    const double w0 = NowSeconds();
    {
      std::ofstream(root + "/probe.tmp") << Slurp(routes_file);
      int fd = ::open((root + "/probe.tmp").c_str(), O_WRONLY);
      ::fsync(fd);
      ::close(fd);
      fs::rename(root + "/probe.tmp", root + "/probe.json");
    }
    write_ms.push_back((NowSeconds() - w0) * 1000);
  }

  // Group commit over HTTP, against the verify rate of all cores on the same entries.
  std::vector<SignedBody> signed_bodies;
  std::vector<std::string> bodies;
  const size_t n = 120'000;
  for (size_t i = 0; i < n; ++i) {
    signed_bodies.push_back(
        SignTransition(all, make::Observe(bench->stable, {{"error_rate", 0.01}}, 10)));
    bodies.push_back(SignedBodyJson(signed_bodies.back()));
  }
  const double v0 = NowSeconds();
  auto verified = VerifiedBody::VerifyAll(signed_bodies, std::thread::hardware_concurrency());
  const double verify_rate = double(n) / (NowSeconds() - v0);
  for (const auto& v : verified) {
    if (!v.ok()) return fail("a pre-signed body does not verify");
  }
  Load writes = RunWrites(url, bodies, seconds);
  if (writes.errors != 0) return fail(std::to_string(writes.errors) + " writes failed");

  std::printf("dvs-serve-bench: %d connections, %.1f s each, 2 server threads, %u cores\n",
              connections, seconds, std::thread::hardware_concurrency());
  std::printf("%-34s %12s %-9s %-32s %12s\n", "measure", "ours", "unit", "primitive", "raw");
  PrintRow({"status+routes throughput", our_rate, "req/s", "canned-answer loopback server",
            raw_rate, false, 0.0});
  PrintRow({"status+routes p50", p50, "ms", "canned-answer loopback p50", raw_p50, true, 0});
  PrintRow({"status+routes p99", p99, "ms", "canned-answer loopback p99", raw_p99, true, 0});
  const double rb50 = Percentile(rollback_ms, 50), rb99 = Percentile(rollback_ms, 99);
  PrintRow({"rollback: POST -> router file p50", rb50, "ms", "atomic file write p50",
            Percentile(write_ms, 50), true, 0});
  PrintRow({"group commit, 64 HTTP writers", writes.requests / writes.seconds, "entries/s",
            "Ed25519 verify, all cores", verify_rate, false, 0.7});
  std::printf("requests %llu, errors %llu; rollback p99 %.2f ms (seed: 5 s)\n",
              static_cast<unsigned long long>(ours.requests),
              static_cast<unsigned long long>(ours.errors + raw.errors), rb99);
  if (ours.errors != 0) {
    std::fprintf(stderr, "dvs-serve-bench: %llu requests failed\n",
                 static_cast<unsigned long long>(ours.errors));
    return 1;
  }
  fs::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) {
  double seconds = 5;
  int connections = 4;
  std::string dir = (std::filesystem::temp_directory_path() / "dvs-serve-bench").string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (a == "--connections") {
      connections = std::atoi(argv[i + 1]);
    } else if (a == "--dir") {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: dvs-serve-bench [--seconds S] [--connections N] [--dir DIR]\n");
      return 2;
    }
  }
  if (seconds <= 0 || connections < 1 || connections > 256) {
    std::fprintf(stderr, "dvs-serve-bench: --seconds must be > 0, --connections 1..256\n");
    return 2;
  }
  return dvs::bench::Run(seconds, connections, dir);
}
