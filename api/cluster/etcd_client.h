// EtcdClient: the few calls of etcd's v3 API that cluster mode needs, over etcd's JSON gateway
// (HTTP/1.1 + JSON, keys and values base64, 64-bit numbers as strings), with our own HTTP client
// (api/http/http_client.h, Boost.Beast).
//
// Endpoints: the members of one etcd cluster. A call goes to the member that answered last and
// moves on to the next one when it cannot be reached or does not answer in time; every member is
// tried once per call. A member answers only what the cluster committed (linearizable reads and
// writes), so any member will do.
//
// Errors: Unavailable naming every member tried and what each said, when none answered (a member
// that lost its quorum does not answer writes: they time out); Refused for an answer etcd gives
// to this request whatever the member (too large, a lease that is gone), with etcd's words.
//
// Thread safety: calls are serialized by an internal mutex. Give a thread that must not wait
// behind others (the tailer, the election) its own client.
#ifndef DVS_API_CLUSTER_ETCD_CLIENT_H_
#define DVS_API_CLUSTER_ETCD_CLIENT_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http/http_client.h"
#include "ledger/status.h"

namespace dvs::cluster {

struct EtcdKv {
  std::string key, value;
  int64_t create_revision = 0, mod_revision = 0, lease = 0;
};

// One comparison of a transaction; all must hold for its puts to happen.
struct EtcdCompare {
  enum class Target { kCreateRevision, kValue };
  Target target = Target::kValue;
  std::string key;
  int64_t create_revision = 0;  // kCreateRevision: equal to this (0: the key does not exist)
  std::string value;            // kValue: equal to this
};

struct EtcdPut {
  std::string key, value;
  int64_t lease = 0;  // 0: none
};

// Deletes the keys in [key, range_end) (range_end empty: just `key`).
struct EtcdDelete {
  std::string key, range_end;
};

struct EtcdTxnResult {
  bool succeeded = false;
  int64_t revision = 0;  // the store's revision after the transaction
  // When it did not succeed: the key read back in its place (`read_on_failure`), if present.
  std::optional<EtcdKv> read;
};

class EtcdClient {
 public:
  // `endpoints`: HOST:PORT of each member. `timeout_ms`: per member and call.
  EtcdClient(std::vector<std::string> endpoints, int timeout_ms);
  ~EtcdClient();

  // Keys in [key, range_end) (range_end empty: just `key`), at most `limit` (0: all), in key
  // order or descending.
  Result<std::vector<EtcdKv>> Range(const std::string& key, const std::string& range_end,
                                    int64_t limit, bool descending = false);
  // If every compare holds, the puts and then the deletes; else reads `read_on_failure` (when
  // not empty).
  Result<EtcdTxnResult> Txn(const std::vector<EtcdCompare>& compares,
                            const std::vector<EtcdPut>& puts,
                            const std::string& read_on_failure = "",
                            const std::vector<EtcdDelete>& deletes = {});
  // One put outside any transaction (an advertisement: no condition needed).
  Status Put(const EtcdPut& put);
  // Discards the store's history before `revision` (keys deleted or overwritten before it stop
  // taking space once etcd reuses their pages). A revision already compacted is not an error.
  Status Compact(int64_t revision);
  // A new lease of `ttl_s` seconds (etcd may round it up); returns its id.
  Result<int64_t> LeaseGrant(int64_t ttl_s, int64_t* granted_ttl_s = nullptr);
  // Renews lease `id`; returns its TTL again, or 0 when it has expired (or was revoked).
  Result<int64_t> LeaseKeepAlive(int64_t id);
  Status LeaseRevoke(int64_t id);

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  // POSTs `body` to `path` on a member; the parsed JSON answer as text.
  Result<std::string> Post(const std::string& path, const std::string& body);

  std::vector<std::string> endpoints_;
  int timeout_ms_;
  std::mutex mu_;
  size_t current_ = 0;                                        // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<HttpConnection>> connections_;  // GUARDED_BY(mu_)
};

// The smallest key above every key that starts with `prefix` (etcd's range_end for a prefix).
std::string PrefixEnd(const std::string& prefix);

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_ETCD_CLIENT_H_
