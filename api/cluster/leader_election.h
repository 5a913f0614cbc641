// LeaderElection: one leader among the nodes, held with an etcd lease.
//
// Each node keeps a lease (TTL seconds) alive and campaigns by creating the leader key bound to
// it, on the condition that the key does not exist. The key vanishes when its holder's lease
// expires (the holder died, stopped, or lost etcd), and the next campaign creates it again. The
// key's create revision names one term of leadership: appends fenced by it (`FenceRevision`)
// fail once the term is over, whatever the ex-leader believes.
//
// Leads() is conservative: it holds only until the time the last renewal was SENT plus the TTL,
// which is never later than etcd's own expiry. A process paused past that (SIGSTOP, a long GC,
// a swapped host) wakes up not leading, and any append already under way is fenced.
//
// Thread safety: Leads(), FenceRevision() and LeaderName() from any thread; one campaign thread.
#ifndef DVS_API_CLUSTER_LEADER_ELECTION_H_
#define DVS_API_CLUSTER_LEADER_ELECTION_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "api/cluster/etcd_client.h"

namespace dvs::cluster {

class LeaderElection {
 public:
  using Logger = std::function<void(const std::string&)>;
  // `client` is this election's own (its calls must not wait behind writes); it must outlive it.
  LeaderElection(EtcdClient& client, std::string leader_key, std::string node, int ttl_s,
                 int poll_ms, Logger log);
  ~LeaderElection();  // Stop()

  void Start();
  // Stops campaigning and, when leading, resigns (revokes the lease: the others need not wait
  // for it to expire).
  void Stop();

  bool Leads() const;
  // The create revision of the leader key this node holds; 0 when it does not lead.
  int64_t FenceRevision() const;
  // The leader as last seen (empty when none was).
  std::string LeaderName() const;
  // Called when an append fenced by `revision` was refused by etcd: that term is over.
  void LostTerm(int64_t revision);
  const std::string& node() const { return node_; }

 private:
  using Clock = std::chrono::steady_clock;
  void Loop();
  void Step();

  EtcdClient& client_;
  const std::string key_, node_;
  const int ttl_s_, poll_ms_;
  Logger log_;

  mutable std::mutex mu_;
  int64_t lease_ = 0;                 // GUARDED_BY(mu_); 0: none
  int64_t granted_ttl_s_ = 0;         // GUARDED_BY(mu_)
  Clock::time_point lease_until_{};   // GUARDED_BY(mu_): sent time of the last renewal + TTL
  Clock::time_point next_renewal_{};  // GUARDED_BY(mu_)
  int64_t revision_ = 0;              // GUARDED_BY(mu_): leader key's create revision if ours
  std::string leader_;                // GUARDED_BY(mu_)
  std::string last_error_;            // GUARDED_BY(mu_)
  bool stopping_ = false;             // GUARDED_BY(mu_)
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_LEADER_ELECTION_H_
