#include "api/cluster/compactor.h"

#include <algorithm>

namespace dvs::cluster {

Compactor::Compactor(ReleaseService& svc, EtcdClient& client, EtcdLog& log, NodeRegistry& registry,
                     LeaderElection& election, Logger logger)
    : svc_(svc),
      client_(client),
      log_(log),
      registry_(registry),
      election_(election),
      logger_(std::move(logger)) {}

Compactor::~Compactor() { Stop(); }

void Compactor::Start(int every_ms) {
  thread_ = std::thread([this, every_ms] {
    std::string last_error;
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(every_ms), [&] { return stopping_; })) {
      l.unlock();
      auto r = Step();
      if (!r.ok() && r.status().message() != last_error)
        logger_("compaction: " + r.status().message());
      last_error = r.ok() ? "" : r.status().message();
      l.lock();
    }
  });
}

void Compactor::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<uint64_t> Compactor::HeldByAll() {
  DVS_ASSIGN_OR_RETURN(auto nodes, registry_.Nodes());
  if (nodes.size() < 2) return uint64_t{0};
  DVS_ASSIGN_OR_RETURN(Head mine, svc_.LedgerHead());
  uint64_t held = mine.size;
  for (const NodeRecord& n : nodes) {
    if (!n.valid) return uint64_t{0};
    // A node ahead of this one holds at least what this one does, as far as it can tell.
    const uint64_t size = std::min(n.size, mine.size);
    if (size == 0) return uint64_t{0};
    if (n.size <= mine.size) {
      DVS_ASSIGN_OR_RETURN(Hash h, svc_.log().LeafHashAt(size - 1));
      if (h != n.hash) return uint64_t{0};  // not this ledger's history
    }
    held = std::min(held, size);
  }
  return held;
}

Result<std::optional<uint64_t>> Compactor::NewestCheckpointBelow(uint64_t held) {
  AuditQuery q;
  q.type = "checkpoint";
  DVS_ASSIGN_OR_RETURN(std::vector<LogRow> rows, svc_.Audit(q));
  std::optional<uint64_t> newest;
  for (const LogRow& r : rows) {
    if (r.seq < held) newest = std::max(newest.value_or(0), r.seq);
  }
  return newest;
}

Result<uint64_t> Compactor::Step() {
  const int64_t term = election_.FenceRevision();
  if (term == 0) return uint64_t{0};
  DVS_ASSIGN_OR_RETURN(uint64_t held, HeldByAll());
  if (held == 0) return uint64_t{0};
  DVS_ASSIGN_OR_RETURN(auto checkpoint, NewestCheckpointBelow(held));
  if (!checkpoint) return uint64_t{0};
  // The batch that holds the checkpoint: the one with the greatest first seq <= it.
  DVS_ASSIGN_OR_RETURN(auto holding,
                       client_.Range(log_.prefix() + "/e/", log_.BatchKey(*checkpoint + 1), 1,
                                     /*descending=*/true));
  if (holding.empty()) return uint64_t{0};  // compacted past it already
  DVS_ASSIGN_OR_RETURN(uint64_t floor, log_.BatchSeq(holding.front().key));
  DVS_ASSIGN_OR_RETURN(Floor old, log_.ReadFloor(&client_));
  if (floor <= old.seq) return uint64_t{0};
  DVS_ASSIGN_OR_RETURN(Hash below, svc_.log().LeafHashAt(floor - 1));
  std::vector<EtcdCompare> compares = {
      {EtcdCompare::Target::kCreateRevision, log_.leader_key(), term, ""}};
  if (old.value.empty()) {
    compares.push_back({EtcdCompare::Target::kCreateRevision, log_.floor_key(), 0, ""});
  } else {
    compares.push_back({EtcdCompare::Target::kValue, log_.floor_key(), 0, old.value});
  }
  DVS_ASSIGN_OR_RETURN(EtcdTxnResult txn,
                       client_.Txn(compares, {{log_.floor_key(), FloorValue(floor, below), 0}}, "",
                                   {{log_.prefix() + "/e/", log_.BatchKey(floor)}}));
  if (!txn.succeeded) return uint64_t{0};  // lost the term, or the floor moved: next time
  logger_("compaction: etcd holds the log from entry " + std::to_string(floor) +
          " on (checkpoint " + std::to_string(*checkpoint) + ", held by every live node)");
  DVS_RETURN_IF_ERROR(client_.Compact(txn.revision).Prefixed("compacting etcd's history"));
  return floor;
}

}  // namespace dvs::cluster
