// dvs-cluster-bench: cluster mode against raw etcd, measured in the same run on a three-member
// etcd cluster started here (Debian's etcd, loopback, temporary data):
//   - single append p50: a signed GrantKey through ReleaseService in cluster mode (sign, verify,
//     apply, one conditional etcd transaction, one synced LMDB commit), against a raw etcd
//     transaction of the same shape (compare the head, put a batch of that entry's size and the
//     head), sequential;
//   - batched throughput: 64 threads appending at once (group commit: one etcd transaction per
//     group), against raw etcd transactions carrying the same number of bytes per transaction;
//   - failover: three real `dvs serve --cluster` processes (lease TTL 2 s); the leader is
//     SIGKILLed, and the time until another node says it leads (GET /v1/cluster), p50/p99 over
//     many kills. The new leader's first decision comes at its next tick (--tick 100ms).
// Not a test: run by `tools/run bench`.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "api/cluster/cluster.h"
#include "api/cluster/etcd_client.h"
#include "api/cluster/etcd_log.h"
#include "api/http/http_client.h"
#include "api/service/release_service.h"
#include "api/service/transitions.h"
#include "ledger/key_files.h"
#include "tools/bench_util.h"
#include "tools/testbed/etcd_cluster.h"

namespace dvs {
namespace {

using bench::NowSeconds;
using bench::Percentile;

struct Args {
  int appends = 300;
  double seconds = 3;
  int kills = 20;
};

std::string TempDirPath() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dvs-cluster-bench-XXXXXX").string();
  return ::mkdtemp(tmpl.data());
}

// A raw etcd transaction shaped like Publish: compare the head, put a batch and the head.
double RawTxnSeconds(cluster::EtcdClient& etcd, const std::string& prefix, uint64_t* n,
                     size_t bytes) {
  const std::string head = prefix + "/head";
  const std::string before = std::to_string(*n);
  const std::string after = std::to_string(*n + 1);
  const double t0 = NowSeconds();
  auto r = etcd.Txn({{cluster::EtcdCompare::Target::kValue, head, 0, before}},
                    {{prefix + "/e/" + before, std::string(bytes, 'x'), 0}, {head, after, 0}});
  const double dt = NowSeconds() - t0;
  if (!r.ok() || !r->succeeded) {
    std::fprintf(stderr, "raw txn failed: %s\n",
                 r.ok() ? "compare" : r.status().ToString().c_str());
    std::exit(1);
  }
  ++*n;
  return dt;
}

int Main(const Args& a) {
  const std::string dir = TempDirPath();
  test::EtcdCluster etcd(dir, 3);
  if (!etcd.Start()) {
    std::fprintf(stderr, "etcd did not start (is etcd-server installed?)\n");
    return 1;
  }
  cluster::EtcdClient raw(etcd.Endpoints(), 5000);
  uint64_t raw_n = 0;
  {
    auto r = raw.Txn({{cluster::EtcdCompare::Target::kCreateRevision, "/raw/head", 0, ""}},
                     {{"/raw/head", "0", 0}});
    if (!r.ok()) return 1;
  }

  // The ledger: genesis, then cluster mode.
  SecretKey root = SecretKey::Generate();
  auto svc = ReleaseService::Init(dir + "/ledger", root, "bench");
  if (!svc.ok()) return 1;
  ClusterOptions co;
  co.endpoints = etcd.Endpoints();
  co.prefix = "/bench";
  co.node = "bench";
  auto node = ClusterNode::Start(**svc, co);
  if (!node.ok()) {
    std::fprintf(stderr, "%s\n", node.status().ToString().c_str());
    return 1;
  }

  // ---- single append ----
  std::vector<double> ours, theirs;
  size_t entry_bytes = 0;
  for (int i = 0; i < a.appends; ++i) {
    const double t0 = NowSeconds();
    auto r = (*svc)->GrantKey(root, "k" + std::to_string(i), SecretKey::Generate().public_key(),
                              {"observer"});
    ours.push_back(NowSeconds() - t0);
    if (!r.ok()) {
      std::fprintf(stderr, "append: %s\n", r.status().ToString().c_str());
      return 1;
    }
    if (entry_bytes == 0) entry_bytes = (*svc)->log().GetRaw(r->seq)->size();
    theirs.push_back(RawTxnSeconds(raw, "/raw", &raw_n, entry_bytes + 4));
  }
  const double ours_p50 = Percentile(ours, 50) * 1000, raw_p50 = Percentile(theirs, 50) * 1000;
  // The same appends on an embedded ledger, in the same run: what cluster mode adds to it.
  std::vector<double> embedded;
  {
    auto local = ReleaseService::Init(dir + "/embedded", root, "embedded");
    if (!local.ok()) return 1;
    for (int i = 0; i < a.appends; ++i) {
      const PublicKey pub = SecretKey::Generate().public_key();
      const double t0 = NowSeconds();
      auto r = (*local)->GrantKey(root, "k" + std::to_string(i), pub, {"observer"});
      embedded.push_back(NowSeconds() - t0);
      if (!r.ok()) return 1;
    }
  }
  const double embedded_p50 = Percentile(embedded, 50) * 1000;

  // ---- batched ----
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0}, failed{0};
  const CommitStats before = (*svc)->commit_stats();
  std::vector<std::thread> threads;
  const double b0 = NowSeconds();
  // Clients sign their own submissions (as through dvs serve); the server checks them in
  // parallel, then one group commit, one etcd transaction, per group.
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        SignedBody body =
            SignTransition(root, make::GrantKey("b" + std::to_string(t) + "-" + std::to_string(i),
                                                SecretKey::Generate().public_key(), {"observer"}));
        auto r = (*svc)->SubmitSigned(std::move(body));
        (r.ok() ? done : failed).fetch_add(1);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double batched_s = NowSeconds() - b0;
  const CommitStats after = (*svc)->commit_stats();
  const double groups = static_cast<double>(after.groups - before.groups);
  const double per_group = groups > 0 ? (after.writers - before.writers) / groups : 1;
  const double ours_rate = done / batched_s;
  // Raw: transactions of a group's bytes, for the same time.
  uint64_t raw_txns = 0;
  const double r0 = NowSeconds();
  while (NowSeconds() - r0 < a.seconds) {
    RawTxnSeconds(raw, "/raw", &raw_n, static_cast<size_t>((entry_bytes + 4) * per_group));
    ++raw_txns;
  }
  const double raw_rate = raw_txns * per_group / (NowSeconds() - r0);
  (*node)->Stop();

  std::printf("cluster mode on a 3-member etcd (loopback), %d appends, entries of %zu bytes\n",
              a.appends, entry_bytes);
  bench::PrintRow({"single append p50 (ms)", ours_p50, "ms", "raw etcd txn, same size p50", raw_p50,
                   true, 1.5});
  bench::PrintRow({"  embedded append p50, same run", embedded_p50, "ms",
                   "raw etcd txn, same size p50", raw_p50, true, 0});
  bench::PrintRow({"batched appends, 64 clients", ours_rate, "entries/s",
                   "raw etcd txns, same bytes", raw_rate, false, 0});
  std::printf("  (%.1f entries per group; %llu refused or failed)\n", per_group,
              static_cast<unsigned long long>(failed.load()));
  std::fflush(stdout);

  // ---- failover ----
  if (a.kills > 0) {
    const std::string keyfile = dir + "/controller.key";
    SecretKey controller = SecretKey::Generate();
    if (!WriteKeyFiles(controller, keyfile).ok()) return 1;
    auto sv = ReleaseService::Init(dir + "/fo0", root, "failover");
    if (!sv.ok() ||
        !(*sv)->GrantKey(root, "controller", controller.public_key(), {"controller"}).ok())
      return 1;
    sv->reset();
    struct Node {
      int port;
      pid_t pid = -1;
      std::string ledger;
    };
    std::vector<Node> nodes;
    for (int i = 0; i < 3; ++i)
      nodes.push_back({test::FreePort(), -1, dir + "/fo" + std::to_string(i)});
    auto start = [&](int i) {
      nodes[i].pid = ::fork();
      if (nodes[i].pid == 0) {
        ::setsid();
        const std::string log = dir + "/node" + std::to_string(i) + ".log";
        if (!std::freopen(log.c_str(), "a", stdout) || !std::freopen(log.c_str(), "a", stderr))
          ::_exit(126);
        const std::string listen = "127.0.0.1:" + std::to_string(nodes[i].port);
        const std::string name = "n" + std::to_string(i);
        const std::string url = etcd.Url("/failover");
        ::execl(DVS_BINARY, DVS_BINARY, "--ledger", nodes[i].ledger.c_str(), "serve", "--listen",
                listen.c_str(), "--node-name", name.c_str(), "--cluster", url.c_str(),
                "--lease-ttl", "2s", "--tick", "100ms", "--controller-key", keyfile.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
      }
    };
    auto leading = [&](int i) {
      auto u = HttpUrl::Parse("http://127.0.0.1:" + std::to_string(nodes[i].port));
      auto r = HttpCall(*u, "GET", "/v1/cluster", "", {}, 300);
      return r.ok() && r->status == 200 && r->body.find("\"leading\":true") != std::string::npos;
    };
    start(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // node 0 seeds etcd
    start(1);
    start(2);
    std::vector<double> failover;
    for (int k = 0; k < a.kills; ++k) {
      int leader = -1;
      for (int w = 0; w < 1000 && leader < 0; ++w) {
        for (int i = 0; i < 3 && leader < 0; ++i) {
          if (nodes[i].pid > 0 && leading(i)) leader = i;
        }
        if (leader < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (leader < 0) {
        std::fprintf(stderr, "no leader (see %s/node*.log)\n", dir.c_str());
        break;
      }
      ::kill(nodes[leader].pid, SIGKILL);
      ::waitpid(nodes[leader].pid, nullptr, 0);
      nodes[leader].pid = -1;
      const double t0 = NowSeconds();
      int next = -1;
      while (next < 0 && NowSeconds() - t0 < 30) {
        for (int i = 0; i < 3 && next < 0; ++i) {
          if (nodes[i].pid > 0 && leading(i)) next = i;
        }
        if (next < 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      failover.push_back((NowSeconds() - t0) * 1000);
      start(leader);
    }
    for (auto& n : nodes) {
      if (n.pid > 0) {
        ::kill(n.pid, SIGKILL);
        ::waitpid(n.pid, nullptr, 0);
      }
    }
    if (!failover.empty()) {
      const double p50 = Percentile(failover, 50), p99 = Percentile(failover, 99);
      bench::PrintRow({"failover p50 (ms), " + std::to_string(failover.size()) + " kills", p50,
                       "ms", "lease TTL + one tick (2100 ms)", 2100, true, 1.0});
      bench::PrintRow(
          {"failover p99 (ms)", p99, "ms", "lease TTL + one tick (2100 ms)", 2100, true, 1.0});
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace dvs

int main(int argc, char** argv) {
  dvs::Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i];
    if (f == "--appends") a.appends = std::atoi(argv[i + 1]);
    if (f == "--seconds") a.seconds = std::atof(argv[i + 1]);
    if (f == "--kills") a.kills = std::atoi(argv[i + 1]);
  }
  return dvs::Main(a);
}
