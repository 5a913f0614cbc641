// Cluster mode: `dvs serve --cluster etcd://HOST:PORT[,HOST:PORT...]/PREFIX`.
//
// etcd (Raft) is the log of record; this node's ledger is a replica of it (api/cluster/). A
// ClusterNode joins a ReleaseService to it:
//   - every write of the service is committed in etcd first, conditional on etcd's head being
//     the one the entries were formed against, and only then in the local ledger;
//   - a tailer appends what other nodes committed to the local ledger, through the same checks
//     as any append (signature, chain, the release rules);
//   - the nodes elect one leader with an etcd lease; only the leader decides (Leads()), and the
//     entries signed by the decision key (`fenced_signer`) are committed only while the term of
//     leadership they were formed in still holds in etcd, so a paused or partitioned ex-leader
//     can never append a decision.
//   - each node advertises its HTTP URL and what its replica holds (Advertise);
//   - the leader compacts: etcd keeps only the log from the batch that holds the newest signed
//     checkpoint that every advertised node holds (and at least two do) on, and a node whose
//     replica is below that floor (a new one, or one that was away) first fetches the entries
//     before it from a peer (GET /v1/entries), checked as a hash chain against the floor etcd
//     holds, then appended through the same checks as any append.
// Entries are byte-identical to the embedded mode: proofs, checkpoints and dvs-verify work on
// every replica unchanged.
//
// Thread safety: Leads() and StatusJson() from any thread; Advertise() and Stop() from the thread
// that started the node.
#ifndef DVS_API_CLUSTER_H_
#define DVS_API_CLUSTER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/service/release_service.h"

namespace dvs {

struct ClusterOptions {
  std::vector<std::string> endpoints;  // etcd members, HOST:PORT
  std::string prefix;                  // every key of this ledger is under it ("/dvs/prod")
  std::string node;                    // this node's name, as the others see it lead
  // This node's URL as its peers reach it, when known before it listens ("": not yet known).
  // A live record of another node under this name with another URL refuses the start.
  std::string url;
  // The ledger's folder: after joining, Start records the prefix there (LEDGER/cluster), and
  // refuses a later start under another prefix. "": nothing recorded or checked.
  std::string ledger_dir;
  int lease_ttl_s = 10;         // leadership outlives a dead leader by at most this
  int poll_ms = 100;            // replica tailing and campaigning period
  int etcd_timeout_ms = 3000;   // per etcd member and request
  int peer_timeout_ms = 30000;  // per request to a peer, when bootstrapping from it
  // The leader compacts etcd this often (0: never; etcd then holds the whole log).
  int compact_every_ms = 60000;
  // Decisions: entries signed by this key are appended only while this node leads.
  std::optional<PublicKey> fenced_signer;
  std::function<void(const std::string&)> log;  // one line per notable event
};

// Parses etcd://HOST:PORT[,HOST:PORT...]/PREFIX into endpoints and prefix (InvalidArgument
// naming what is wrong: among others a prefix that is only "/" or holds whitespace or control
// characters, the usual marks of a mistyped URL).
Status ParseClusterUrl(std::string_view url, ClusterOptions* options);

class ClusterNode {
 public:
  // Joins: when etcd holds no ledger under the prefix, seeds it with `svc`'s (which then must
  // hold at least its genesis); otherwise catches `svc` up, refusing a ledger that is ahead of
  // etcd or diverged from it. When `svc` is below etcd's compaction floor, the entries before it
  // come from an advertised peer first (each peer in turn; one that sends entries that are not
  // the cluster's is refused, naming it). Then makes etcd `svc`'s log of record, and starts
  // tailing, campaigning and (compact_every_ms > 0) compacting. `svc` must outlive the node.
  // Unavailable when etcd cannot be reached, or when below the floor and no peer could supply
  // the entries (naming the floor and each peer tried).
  // Refused, before anything is written: when `ledger_dir` records another prefix (the ledger
  // replicates another cluster log: joining this one would fork it), or when another node
  // advertises `node` with another URL and its record outlives this node's lease TTL.
  static Result<std::unique_ptr<ClusterNode>> Start(ReleaseService& svc, ClusterOptions options);
  ~ClusterNode();  // Stop()

  // Advertises this node under PREFIX/nodes/ with `url`, its HTTP base URL as peers reach it
  // (they fetch history from it), and what its replica holds, until Stop. Compaction counts
  // only advertised nodes. Call once, when the server listens.
  void Advertise(const std::string& url);
  // True while this node leads (conservatively: never after its lease may have expired).
  bool Leads() const;
  // {"node", "leader", "leading", "term", "entries", "etcd": [...], "prefix"}.
  std::string StatusJson() const;
  // Resigns (the others need not wait for the lease to expire) and stops tailing. Writes after
  // Stop fail.
  void Stop();

  struct Impl;

 private:
  ClusterNode() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dvs

#endif  // DVS_API_CLUSTER_H_
