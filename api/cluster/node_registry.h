// NodeRegistry: each node advertises itself in etcd, so that the leader knows what every live
// replica holds (compaction, compactor.h) and a joining node knows whom to fetch history from
// (bootstrap.h).
//
// Key (part of the persistent format: do not change):
//   PREFIX/nodes/<name>   {"url": "http://HOST:PORT", "size": N, "hash": "<hex of entry N-1>"}
// put under this node's own lease (TTL: the leader lease's), so the record of a dead or
// partitioned node disappears within the TTL. It is put again when the replica's head moved,
// at most once per poll period, and the lease is renewed every third of its TTL.
//
// Everything read back is hostile: a record that does not parse is kept with `valid` false (the
// compactor counts such a node as holding nothing, so it never compacts past it).
//
// Thread safety: SetUrl and Nodes from any thread; one advertising thread.
#ifndef DVS_API_CLUSTER_NODE_REGISTRY_H_
#define DVS_API_CLUSTER_NODE_REGISTRY_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/cluster/etcd_client.h"
#include "api/service/release_service.h"

namespace dvs::cluster {

struct NodeRecord {
  std::string name, url;
  uint64_t size = 0;
  Hash hash{};
  bool valid = false;  // the record parsed
};

// The record's value, and back (`valid` false, with `why`, on anything malformed).
std::string NodeRecordValue(const std::string& url, uint64_t size, const Hash& hash);
NodeRecord ParseNodeRecord(const std::string& name, const std::string& value, std::string* why);

class NodeRegistry {
 public:
  using Logger = std::function<void(const std::string&)>;
  // `client` is the registry's own; it and `svc` must outlive this.
  NodeRegistry(ReleaseService& svc, EtcdClient& client, std::string prefix, std::string node,
               int ttl_s, int poll_ms, Logger log);
  ~NodeRegistry();  // Stop()

  // Before joining: refuses (Refused, naming the name and the URL that holds it) when another
  // node advertises this node's name with another URL than `url` ("": not known yet, so any
  // record is another's). A record that disappears within the TTL (this node, killed and
  // restarted before its lease ran out) is waited for, not refused.
  Status CheckName(const std::string& url);
  // Starts advertising at `url` (this node's HTTP base URL as its peers reach it).
  void Start(const std::string& url);
  // Stops advertising and revokes the lease: the record disappears at once.
  void Stop();

  // Every advertised node, this one included, in name order.
  Result<std::vector<NodeRecord>> Nodes();
  const std::string& node() const { return node_; }

 private:
  void Loop();
  Status Step(uint64_t* advertised_size);

  ReleaseService& svc_;
  EtcdClient& client_;
  const std::string prefix_, key_, node_;
  const int ttl_s_, poll_ms_;
  Logger log_;
  std::mutex mu_;
  std::string url_;  // GUARDED_BY(mu_)
  // Only the advertising thread (and Stop, after joining it) touches these two.
  int64_t lease_ = 0;
  std::chrono::steady_clock::time_point renew_at_{};
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_NODE_REGISTRY_H_
