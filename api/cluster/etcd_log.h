// EtcdLog: etcd as the log of record (LogOfRecord), and this node's ledger as its replica.
//
// Keys under PREFIX (part of the persistent format: do not change):
//   PREFIX/head           "<entries> <hex hash of the last entry>": the log's head
//   PREFIX/e/<seq>        seq zero-padded to 20 digits: one committed batch, the exact stored
//                         bytes of entries seq, seq+1, ... each prefixed by its length (4 bytes,
//                         big-endian). One batch per group commit: one etcd put, whatever the
//                         group's size (etcd allows 128 operations per transaction by default).
//   PREFIX/leader         the leading node's name, under its lease (leader_election.h)
//   PREFIX/floor          "<F> <hex hash of entry F-1>": etcd no longer holds the batches below
//                         seq F (compactor.h); absent: it holds them all. Set in the same
//                         transaction that deletes them, so a reader that finds no batch at
//                         its head finds the floor, and the hash a bootstrap must reach.
//   PREFIX/nodes/<name>   what each live node holds, and its URL (node_registry.h)
// A batch is committed by one transaction: if PREFIX/head is still the head its writer formed
// the entries against (and, for decisions, the leader key is still the writer's term), put the
// batch and the new head. So the batches tile the log with no gap and no overlap.
//
// Keys changed outside dvs are named, never taken for a race: Publish reports a lost race
// (false, and the write path forms its entries again) only when PREFIX/head is ahead of the
// entries' first seq; a head that is missing, does not parse, or is not beyond it is
// Corruption naming the key, its value and what this replica holds. CatchUp reports a gap
// between batches that the floor does not explain as Corruption naming the missing seq.
//
// The replica: CatchUp reads the batches after the replica's head and appends them through
// ReleaseService::AppendReplicated (the checks of every append); Tail does so every poll period
// on its own thread. A replica whose head is below the floor first has the bootstrap bring it
// to the floor (from a peer's copy, bootstrap.h), then continues from etcd's batch at F, whose
// first entry must chain onto entry F-1.
//
// Thread safety: Publish is called by the write path (serialized there); CatchUp may run at the
// same time from the tailer (ReleaseService serializes the appends).
#ifndef DVS_API_CLUSTER_ETCD_LOG_H_
#define DVS_API_CLUSTER_ETCD_LOG_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/cluster/etcd_client.h"
#include "api/service/release_service.h"
#include "ledger/entry_batch.h"

namespace dvs::cluster {

// etcd's default limit on a request (--max-request-bytes, 1.5 MiB), less room for the rest of
// the transaction: a batch above it is refused before it is sent.
inline constexpr size_t kMaxBatchBytes = 1'400'000;

// A batch's value: ledger/entry_batch.h.
using dvs::DecodeBatch;
using dvs::EncodeBatch;
std::string HeadValue(uint64_t size, const Hash& hash);

// PREFIX/floor: the first seq etcd still holds, and the hash of the entry before it.
struct Floor {
  uint64_t seq = 0;   // 0: nothing was compacted
  Hash hash{};        // of entry seq-1
  std::string value;  // as stored ("" when absent)
};
std::string FloorValue(uint64_t seq, const Hash& hash);
Result<Floor> ParseFloor(const std::string& value);

class EtcdLog : public LogOfRecord {
 public:
  using Logger = std::function<void(const std::string&)>;
  // Decides, for entries about to be published, the leader term that must still hold (0: none
  // needed), or refuses them (this node may not append them now).
  using Fence = std::function<Result<int64_t>(const std::vector<std::string>& entries)>;
  // `writes` and `reads` are two clients (the tailer must not wait behind a write); both, and
  // `svc`, must outlive this.
  EtcdLog(ReleaseService& svc, EtcdClient& writes, EtcdClient& reads, std::string prefix,
          Fence fence, std::function<void(int64_t)> lost_term, Logger log);
  ~EtcdLog() override;  // StopTailing()

  Result<bool> Publish(uint64_t first, const Hash& head_hash,
                       const std::vector<std::string>& entries) override;
  Status CatchUp() override;
  Result<bool> HasMoreThan(uint64_t size) override;

  // Joins the cluster: when etcd holds no log under the prefix, publishes this ledger's entries
  // (it must hold at least a genesis); otherwise catches up, refusing a replica ahead of etcd or
  // diverged from it.
  Status Join();
  // The head etcd holds now: its size.
  Result<uint64_t> RemoteSize();
  // PREFIX/floor now (seq 0 when absent); Corruption when it does not parse. Read through
  // `via` when given (a thread that must not hold up the tailer's client), else the tailer's.
  Result<Floor> ReadFloor(EtcdClient* via = nullptr);
  // Brings this replica from its head up to `floor` entries, the last of them hashing to
  // `hash` (it must, or nothing is appended from that source). Set before Join.
  using Bootstrap = std::function<Status(uint64_t floor, const Hash& hash)>;
  void SetBootstrap(Bootstrap b) { bootstrap_ = std::move(b); }
  void StartTailing(int poll_ms);
  void StopTailing();

  const std::string& prefix() const { return prefix_; }
  std::string BatchKey(uint64_t seq) const;
  // The first seq of the batch under `key` (a key of BatchKey's form).
  Result<uint64_t> BatchSeq(const std::string& key) const;
  const std::string& floor_key() const { return floor_key_; }
  const std::string& leader_key() const { return leader_key_; }

 private:
  void TailLoop(int poll_ms);
  // Publish without the fence's judgement: `term` 0 or the leader term that must still hold.
  Result<bool> PublishInTerm(uint64_t first, const Hash& head_hash,
                             const std::vector<std::string>& entries, int64_t term);

  ReleaseService& svc_;
  EtcdClient& writes_;
  EtcdClient& reads_;
  const std::string prefix_, head_key_, leader_key_, floor_key_;
  Bootstrap bootstrap_;
  Fence fence_;
  std::function<void(int64_t)> lost_term_;
  Logger log_;
  std::mutex catch_up_mu_;  // one catch-up at a time
  std::mutex tail_mu_;
  std::condition_variable tail_cv_;
  bool tail_stopping_ = false;  // GUARDED_BY(tail_mu_)
  std::thread tailer_;
};

}  // namespace dvs::cluster

#endif  // DVS_API_CLUSTER_ETCD_LOG_H_
