// A real etcd cluster for the tests: Debian's etcd, three members on loopback ports, data in a
// temporary folder, killed when the test ends. Members can be killed, restarted, paused.
#ifndef DVS_TESTS_CLUSTER_ETCD_CLUSTER_H_
#define DVS_TESTS_CLUSTER_ETCD_CLUSTER_H_

// No GoogleTest here: the cluster benchmark (tools/cluster_bench.cc) starts its etcd with it too.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_client.h"
#include "tools/testbed/free_port.h"

namespace dvs::test {

inline constexpr const char* kEtcdBinary = "/usr/bin/etcd";

class EtcdCluster {
 public:
  // Members' data and logs go under `scratch`.
  EtcdCluster(std::string scratch, int members) : scratch_(std::move(scratch)) {
    for (int i = 0; i < members; ++i) {
      members_.push_back({"m" + std::to_string(i), FreePort(), FreePort(), -1});
    }
  }
  ~EtcdCluster() {
    for (int i = 0; i < static_cast<int>(members_.size()); ++i) Kill(i);
  }

  // Starts every member; true once the cluster answers a write.
  bool Start() {
    for (int i = 0; i < static_cast<int>(members_.size()); ++i) StartMember(i, /*fresh=*/true);
    return WaitHealthy(20000);
  }

  void StartMember(int i, bool fresh = false) {
    Member& m = members_[i];
    std::string initial;
    for (const Member& o : members_) {
      initial += (initial.empty() ? "" : ",") + o.name +
                 "=http://127.0.0.1:" + std::to_string(o.peer_port);
    }
    const std::string client = "http://127.0.0.1:" + std::to_string(m.client_port);
    const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
    const std::vector<std::string> args = {"--name",
                                           m.name,
                                           "--data-dir",
                                           scratch_ + "/etcd-" + m.name,
                                           "--listen-client-urls",
                                           client,
                                           "--advertise-client-urls",
                                           client,
                                           "--listen-peer-urls",
                                           peer,
                                           "--initial-advertise-peer-urls",
                                           peer,
                                           "--initial-cluster",
                                           initial,
                                           "--initial-cluster-state",
                                           fresh ? "new" : "existing",
                                           "--initial-cluster-token",
                                           "dvs-test",
                                           "--log-level",
                                           "error"};
    const std::string log = scratch_ + "/etcd-" + m.name + "-" + std::to_string(starts_++) + ".log";
    m.pid = ::fork();
    if (m.pid == 0) {
      ::setsid();
      if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr))
        ::_exit(126);
      std::vector<char*> argv = {const_cast<char*>(kEtcdBinary)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(kEtcdBinary, argv.data());
      ::_exit(127);
    }
  }

  void Kill(int i) {
    Member& m = members_[i];
    if (m.pid <= 0) return;
    ::kill(m.pid, SIGCONT);
    ::kill(m.pid, SIGKILL);
    ::waitpid(m.pid, nullptr, 0);
    m.pid = -1;
  }

  // True once a write through any member commits (a leader and a quorum).
  bool WaitHealthy(int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const Member& m : members_) {
        if (m.pid <= 0) continue;
        auto url = HttpUrl::Parse("http://127.0.0.1:" + std::to_string(m.client_port));
        auto r =
            HttpCall(*url, "POST", "/v3/kv/put", R"({"key":"aGVhbHRo","value":"b2s="})", {}, 1000);
        if (r.ok() && r->status == 200) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // etcd://127.0.0.1:P1,127.0.0.1:P2,.../PREFIX
  std::string Url(const std::string& prefix) const {
    std::string u = "etcd://";
    for (size_t i = 0; i < members_.size(); ++i) {
      u += (i ? "," : "") + std::string("127.0.0.1:") + std::to_string(members_[i].client_port);
    }
    return u + prefix;
  }
  std::vector<std::string> Endpoints() const {
    std::vector<std::string> out;
    for (const Member& m : members_) out.push_back("127.0.0.1:" + std::to_string(m.client_port));
    return out;
  }

 private:
  struct Member {
    std::string name;
    int client_port, peer_port;
    pid_t pid;
  };
  std::string scratch_;
  std::vector<Member> members_;
  int starts_ = 0;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_CLUSTER_ETCD_CLUSTER_H_
