// Bootstrap: a replica whose head is below etcd's floor (compactor.h) fetches the entries etcd
// no longer holds from a peer's copy, over HTTP (GET /v1/entries of `dvs serve`).
//
// Peers are the nodes advertised under PREFIX/nodes/ (node_registry.h), this one left out,
// tried in turn until one brings the replica to the floor. Everything a peer sends is hostile:
// the entries [head, floor) it answers are first spooled (to an unnamed temporary file, so that
// memory does not grow with the history) and checked as a hash chain: each entry's seq is the
// next one, each one's previous hash is the hash of the one before (the first one's: this
// replica's head), and the last one's hash is the floor's, which etcd (the log of record) holds.
// So every spooled entry is the one the cluster committed, byte for byte; only then are they
// appended, through ReleaseService::AppendReplicated (signature, chain, Apply, checkpoint roots).
// A peer whose answer is altered, reordered, cut short or from another history is refused, with
// a message naming it, and nothing it sent is appended.
#ifndef DVS_API_CLUSTER_BOOTSTRAP_H_
#define DVS_API_CLUSTER_BOOTSTRAP_H_

#include <functional>
#include <string>

#include "api/cluster/node_registry.h"
#include "api/service/release_service.h"

namespace dvs::cluster {

class PeerBootstrap {
 public:
  using Logger = std::function<void(const std::string&)>;
  // `svc` and `registry` must outlive this. `timeout_ms`: per HTTP request to a peer.
  PeerBootstrap(ReleaseService& svc, NodeRegistry& registry, int timeout_ms, Logger log);

  // Brings the replica from its head to `floor` entries, entry floor-1 hashing to `floor_hash`.
  // Unavailable naming the floor and every peer tried (and why each failed) when none could.
  Status FetchTo(uint64_t floor, const Hash& floor_hash);
  // The same from one peer at `url` (an HTTP base URL).
  Status FetchFrom(const std::string& url, uint64_t floor, const Hash& floor_hash);

 private:
  ReleaseService& svc_;
  NodeRegistry& registry_;
  const int timeout_ms_;
  Logger log_;
};

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_BOOTSTRAP_H_
