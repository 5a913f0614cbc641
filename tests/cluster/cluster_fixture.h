// Three `dvs serve --cluster` nodes on one three-member etcd cluster (etcd_cluster.h), each with
// its own ledger and its own controller key (c0, c1, c2, all with the controller role), so that
// the ledger says which node decided what.
#ifndef DVS_TESTS_CLUSTER_CLUSTER_FIXTURE_H_
#define DVS_TESTS_CLUSTER_CLUSTER_FIXTURE_H_

#include <signal.h>

#include <map>
#include <set>

#include "ledger/log.h"
#include "tests/serve/serve_fixture.h"
#include "tools/testbed/etcd_cluster.h"

namespace dvs::test {

class ClusterFixture : public LedgerFixture {
 protected:
  static constexpr int kNodes = 3;  // started by SetUp; AddNode starts more

  void SetUp() override {
    LedgerFixture::SetUp();
    if (HasFatalFailure()) return;
    // A key with the log role, for fixtures that pass --log-key in node_args_.
    ASSERT_EQ(Dvs({"keygen", "--out", Key("logk")}).code, 0);
    Grant("logk", "log");
    for (int i = 0; i < kNodes; ++i) {
      const std::string c = "c" + std::to_string(i);
      ASSERT_EQ(Dvs({"keygen", "--out", Key(c)}).code, 0);
      Grant(c, "controller");
      nodes_.push_back(
          {FreePort(), -1, i == 0 ? Ledger() : dir_.Sub("ledger" + std::to_string(i))});
    }
    etcd_ = std::make_unique<EtcdCluster>(dir_.path(), 3);
    ASSERT_TRUE(etcd_->Start()) << "etcd did not start";
    for (int i = 0; i < kNodes; ++i) {
      StartNode(i);
      ASSERT_GT(nodes_[i].pid, 0);
    }
    server_ = NodeUrl(1);  // commands go through a node (any node takes writes)
  }

  void TearDown() override {
    for (int i = 0; i < Nodes(); ++i) KillNode(i);
    etcd_.reset();
  }

  int Nodes() const { return static_cast<int>(nodes_.size()); }
  // Starts one more node, with an empty ledger of its own (its controller key: c0's); its index.
  int AddNode() {
    const int i = Nodes();
    nodes_.push_back({FreePort(), -1, dir_.Sub("ledger" + std::to_string(i))});
    StartNode(i);
    return i;
  }

  std::string NodeUrl(int i) const { return "http://127.0.0.1:" + std::to_string(nodes_[i].port); }

  // A restarted node first tries its old port (its URL, and so its record in etcd, stays the
  // same: it is not another node with its name); then a fresh port each time, since etcd's own
  // connections take ephemeral ports too.
  void StartNode(int i, const std::string& ttl = "2s") {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (TryStartNode(i, ttl, /*fresh_port=*/attempt > 0 || nodes_[i].tag.empty())) return;
      if (HasFatalFailure()) return;
    }
    FAIL() << "node " << i << " found no free port";
  }
  // False when its port was taken meanwhile.
  bool TryStartNode(int i, const std::string& ttl, bool fresh_port = true) {
    Node& n = nodes_[i];
    if (fresh_port) n.port = FreePort();
    const std::string tag = "node" + std::to_string(i) + "-" + std::to_string(starts_++);
    n.tag = tag;
    const std::string name = "n" + std::to_string(i);
    const std::string controller = Key("c" + std::to_string(i % kNodes));
    const std::string listen = "127.0.0.1:" + std::to_string(n.port);
    const std::string url = etcd_->Url("/dvs-test");
    std::vector<std::string> args = {"serve", "--listen", listen, "--node-name", name};
    args.insert(args.end(), {"--cluster", url, "--lease-ttl", ttl, "--tick", "100ms"});
    args.insert(args.end(), {"--controller-key", controller});
    args.insert(args.end(), node_args_.begin(), node_args_.end());
    n.pid = StartDvs(args, n.ledger, dir_.path(), tag);
    for (int k = 0; k < 1000; ++k) {
      if (Slurp(dir_.Sub(tag + ".out")).find("listening on") != std::string::npos) return true;
      int status;
      if (::waitpid(n.pid, &status, WNOHANG) == n.pid) {
        n.pid = -1;
        const std::string err = Slurp(dir_.Sub(tag + ".err"));
        if (err.find("Address already in use") != std::string::npos) return false;
        ADD_FAILURE() << "node " << i << " exited: " << err;
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "node " << i << " did not start listening: " << Slurp(dir_.Sub(tag + ".err"));
    return true;
  }

  void KillNode(int i, int sig = SIGKILL) {
    Node& n = nodes_[i];
    if (n.pid <= 0) return;
    ::kill(n.pid, SIGCONT);
    ::kill(n.pid, sig);
    ::waitpid(n.pid, nullptr, 0);
    n.pid = -1;
  }
  std::string NodeLog(int i) { return Slurp(dir_.Sub(nodes_[i].tag + ".err")); }

  // GET /v1/cluster of node i; empty when it does not answer.
  std::string ClusterView(int i) {
    if (nodes_[i].pid <= 0) return "";
    auto url = HttpUrl::Parse(NodeUrl(i));
    auto r = HttpCall(*url, "GET", "/v1/cluster", "", {}, 500);
    return r.ok() && r->status == 200 ? r->body : "";
  }
  bool Leading(int i) { return ClusterView(i).find("\"leading\":true") != std::string::npos; }
  // The node that leads now, or -1.
  int Leader(const std::set<int>& skip = {}) {
    for (int i = 0; i < Nodes(); ++i) {
      if (!skip.count(i) && Leading(i)) return i;
    }
    return -1;
  }
  int WaitLeader(int ms, const std::set<int>& skip = {}) {
    int leader = -1;
    Eventually([&] { return (leader = Leader(skip)) >= 0; }, ms);
    return leader;
  }
  uint64_t Entries(int i) {
    auto url = HttpUrl::Parse(NodeUrl(i));
    auto r = HttpCall(*url, "GET", "/healthz", "", {}, 1000);
    if (!r.ok() || r->status != 200) return 0;
    return static_cast<uint64_t>(ParseJson(r->body).fields().at("entries").number_value());
  }
  // Every running node holds the same number of entries, at least `at_least`.
  bool Converged(uint64_t at_least) {
    uint64_t first = 0;
    bool any = false;
    for (int i = 0; i < Nodes(); ++i) {
      if (nodes_[i].pid <= 0) continue;
      uint64_t n = Entries(i);
      if (n < at_least || (any && n != first)) return false;
      first = n;
      any = true;
    }
    return any;
  }

  // Every entry of node i's ledger, as stored (open it only while the node is stopped, or
  // read-only: LMDB allows a reader beside the writer in another process).
  std::vector<std::string> RawEntries(int i) {
    LogOptions o;
    o.read_only = true;
    auto log = Log::Open(nodes_[i].ledger, o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    std::vector<std::string> out;
    if (!log.ok()) return out;
    EXPECT_TRUE((*log)
                    ->Scan(0, UINT64_MAX,
                           [&](uint64_t, std::string_view raw) {
                             out.emplace_back(raw);
                             return Status::OK();
                           })
                    .ok());
    return out;
  }

  // dvs-verify on node i's ledger: its exit code and output.
  Outcome Verify(int i) {
    const std::string tag = "verify" + std::to_string(runs_++);
    return WaitDvs(StartProgram(DVS_VERIFY_BINARY, {nodes_[i].ledger}, "", dir_.path(), tag),
                   dir_.path(), tag);
  }

  // Every node's ledger byte-identical to node 0's, entry by entry, each passing dvs-verify.
  void ExpectReplicasIdentical() {
    const std::vector<std::string> first = RawEntries(0);
    for (int i = 0; i < Nodes(); ++i) {
      std::vector<std::string> mine = RawEntries(i);
      EXPECT_EQ(mine.size(), first.size()) << "node " << i;
      EXPECT_TRUE(mine == first) << "node " << i << " holds other bytes";
      Outcome v = Verify(i);
      EXPECT_EQ(v.code, 0) << "node " << i << ": " << v.out << v.err;
    }
  }

  struct Node {
    int port;
    pid_t pid;
    std::string ledger;
    std::string tag;
  };
  std::vector<Node> nodes_;
  std::vector<std::string> node_args_;  // more flags for every node's dvs serve
  std::unique_ptr<EtcdCluster> etcd_;
  int starts_ = 0;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_CLUSTER_CLUSTER_FIXTURE_H_
