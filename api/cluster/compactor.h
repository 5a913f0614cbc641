// Compactor: keeps etcd small. Periodically, and only on the leader, it deletes from etcd the
// batches that every live replica already holds and that a signed checkpoint covers, and then
// has etcd discard its history before that point, so the space is reused.
//
// The floor it moves to: let C be the newest Checkpoint entry that every advertised node
// (node_registry.h) holds, as its record says and its advertised head hash confirms against this
// node's ledger; the floor F is the first seq of the etcd batch that holds C. Nothing moves
// unless at least two nodes are advertised: a compacted prefix must live on two replicas at
// least, so losing any one node never loses history. A node whose record does not parse, or
// whose head hash is not this ledger's, holds nothing as far as compaction goes.
//
// One etcd transaction deletes the batches below F and sets PREFIX/floor to "F <hash of entry
// F-1>" (what a bootstrapping node must reach, bootstrap.h), on two conditions: the floor is
// still the one read, and this node's term still holds (a paused ex-leader compacts nothing).
// Then it compacts etcd's revision history up to that transaction.
//
// Thread safety: Start and Stop from one thread; Step from the compactor's thread (or a test).
#ifndef DVS_API_CLUSTER_COMPACTOR_H_
#define DVS_API_CLUSTER_COMPACTOR_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "api/cluster/etcd_client.h"
#include "api/cluster/etcd_log.h"
#include "api/cluster/leader_election.h"
#include "api/cluster/node_registry.h"

namespace dvs::cluster {

class Compactor {
 public:
  using Logger = std::function<void(const std::string&)>;
  // Everything given must outlive this. `client` is the compactor's own.
  Compactor(ReleaseService& svc, EtcdClient& client, EtcdLog& log, NodeRegistry& registry,
            LeaderElection& election, Logger logger);
  ~Compactor();  // Stop()

  // Steps every `every_ms` (> 0) on its own thread.
  void Start(int every_ms);
  void Stop();
  // One compaction when this node leads and the floor can move: the new floor; 0 when nothing
  // moved (not leading, fewer than two nodes, no checkpoint they all hold, lost a race).
  Result<uint64_t> Step();

 private:
  // The newest seq < `held` of a Checkpoint entry; nullopt when there is none.
  Result<std::optional<uint64_t>> NewestCheckpointBelow(uint64_t held);
  // The entries every advertised node holds (0 when fewer than two are advertised).
  Result<uint64_t> HeldByAll();

  ReleaseService& svc_;
  EtcdClient& client_;
  EtcdLog& log_;
  NodeRegistry& registry_;
  LeaderElection& election_;
  Logger logger_;
  std::mutex mu_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_COMPACTOR_H_
