#include "api/cluster/etcd_log.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace dvs::cluster {

namespace {

constexpr int64_t kBatchesPerRead = 64;

}  // namespace

std::string HeadValue(uint64_t size, const Hash& hash) {
  return std::to_string(size) + " " + ToHex(hash);
}

std::string FloorValue(uint64_t seq, const Hash& hash) {
  return std::to_string(seq) + " " + ToHex(hash);
}

Result<Floor> ParseFloor(const std::string& value) {
  Floor f;
  f.value = value;
  const size_t space = value.find(' ');
  const std::string digits = value.substr(0, space);
  auto bytes = space == std::string::npos ? std::nullopt : FromHex(value.substr(space + 1));
  auto hash = bytes ? HashFromBytes(*bytes) : std::nullopt;
  if (digits.empty() || digits.size() > 19 ||
      digits.find_first_not_of("0123456789") != std::string::npos || !hash) {
    return Status::Corruption("is not \"SEQ HEXHASH\": '" + value.substr(0, 100) + "'");
  }
  f.seq = std::stoull(digits);
  f.hash = *hash;
  if (f.seq == 0) return Status::Corruption("names seq 0: nothing lies below it");
  return f;
}

EtcdLog::EtcdLog(ReleaseService& svc, EtcdClient& writes, EtcdClient& reads, std::string prefix,
                 Fence fence, std::function<void(int64_t)> lost_term, Logger log)
    : svc_(svc),
      writes_(writes),
      reads_(reads),
      prefix_(std::move(prefix)),
      head_key_(prefix_ + "/head"),
      leader_key_(prefix_ + "/leader"),
      floor_key_(prefix_ + "/floor"),
      fence_(std::move(fence)),
      lost_term_(std::move(lost_term)),
      log_(std::move(log)) {}

EtcdLog::~EtcdLog() { StopTailing(); }

std::string EtcdLog::BatchKey(uint64_t seq) const {
  char digits[24];
  std::snprintf(digits, sizeof(digits), "%020" PRIu64, seq);
  return prefix_ + "/e/" + digits;
}

Result<uint64_t> EtcdLog::BatchSeq(const std::string& key) const {
  const std::string dir = prefix_ + "/e/";
  const std::string digits = key.substr(std::min(key.size(), dir.size()));
  if (key.compare(0, dir.size(), dir) != 0 || digits.size() != 20 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return Status::Corruption("cluster: etcd key " + key + " is not a batch's seq");
  }
  try {
    return static_cast<uint64_t>(std::stoull(digits));
  } catch (...) {
    return Status::Corruption("cluster: etcd key " + key + " is not a batch's seq");
  }
}

Result<Floor> EtcdLog::ReadFloor(EtcdClient* via) {
  DVS_ASSIGN_OR_RETURN(auto kvs, (via != nullptr ? *via : reads_).Range(floor_key_, "", 1));
  if (kvs.empty()) return Floor{};
  auto f = ParseFloor(kvs.front().value);
  if (!f.ok()) return f.status().Prefixed("cluster: etcd key " + floor_key_);
  return f;
}

Result<bool> EtcdLog::Publish(uint64_t first, const Hash& head_hash,
                              const std::vector<std::string>& entries) {
  DVS_ASSIGN_OR_RETURN(int64_t term, fence_(entries));
  return PublishInTerm(first, head_hash, entries, term);
}

Result<bool> EtcdLog::PublishInTerm(uint64_t first, const Hash& head_hash,
                                    const std::vector<std::string>& entries, int64_t term) {
  std::string batch = EncodeBatch(entries);
  if (batch.size() > kMaxBatchBytes) {
    return Status::Refused("cluster: " + std::to_string(entries.size()) + " entries of " +
                           std::to_string(batch.size()) +
                           " bytes in one commit exceed etcd's request limit (" +
                           std::to_string(kMaxBatchBytes) + " bytes here); send fewer at once");
  }
  std::vector<EtcdCompare> compares;
  if (first == 0) {
    compares.push_back({EtcdCompare::Target::kCreateRevision, head_key_, 0, ""});
  } else {
    compares.push_back({EtcdCompare::Target::kValue, head_key_, 0, HeadValue(first, head_hash)});
  }
  if (term != 0) compares.push_back({EtcdCompare::Target::kCreateRevision, leader_key_, term, ""});
  const Hash new_head = LeafHash(entries.back());
  std::vector<EtcdPut> puts = {{BatchKey(first), std::move(batch), 0},
                               {head_key_, HeadValue(first + entries.size(), new_head), 0}};
  auto r = writes_.Txn(compares, puts, term != 0 ? leader_key_ : "");
  if (!r.ok()) {
    return r.status().IsUnavailable()
               ? Status::Unavailable("cluster: cannot commit: " + r.status().message() +
                                     "; nothing was appended here (if etcd committed it after "
                                     "all, every replica gets it)")
               : r.status().Prefixed("cluster");
  }
  if (r->succeeded) return true;
  if (term != 0 && (!r->read || r->read->create_revision != term)) {
    lost_term_(term);
    return Status::Refused("cluster: this node no longer leads (its term " + std::to_string(term) +
                           " is over" +
                           (r->read ? ", " + r->read->value + " leads" : std::string()) +
                           "): its decision was not appended");
  }
  // A lost race only when etcd's head is really ahead of `first`; anything else means the key
  // was changed outside dvs, and retrying would only lose again.
  DVS_ASSIGN_OR_RETURN(auto heads, writes_.Range(head_key_, "", 1));
  const std::string mine = "this replica holds " + std::to_string(first) + " entries (head " +
                           HeadValue(first, head_hash) + ")";
  if (heads.empty()) {
    return Status::Corruption("cluster: etcd key " + head_key_ + " is missing, yet " + mine +
                              ": it was deleted outside dvs; nothing was written");
  }
  const std::string& v = heads.front().value;
  const size_t space = v.find(' ');
  const std::string digits = v.substr(0, space);
  const bool parses = !digits.empty() && digits.size() <= 19 &&
                      digits.find_first_not_of("0123456789") == std::string::npos &&
                      space != std::string::npos && FromHex(v.substr(space + 1)).has_value();
  if (!parses || std::stoull(digits) <= first) {
    return Status::Corruption("cluster: etcd key " + head_key_ + " holds '" + v.substr(0, 100) +
                              "', " + (parses ? "not beyond" : "not a head of") + " what " + mine +
                              ": it was changed outside dvs; nothing was written");
  }
  return false;
}

Status EtcdLog::CatchUp() {
  std::lock_guard<std::mutex> lock(catch_up_mu_);
  for (;;) {
    DVS_ASSIGN_OR_RETURN(Head local, svc_.LedgerHead());
    DVS_ASSIGN_OR_RETURN(
        auto kvs, reads_.Range(BatchKey(local.size), PrefixEnd(prefix_ + "/e/"), kBatchesPerRead));
    if (!kvs.empty() && kvs.front().key != BatchKey(local.size)) {
      // The replica's head is inside a batch (its ledger was cut short, or copied mid-batch):
      // start from the batch that holds it.
      DVS_ASSIGN_OR_RETURN(auto before, reads_.Range(prefix_ + "/e/", BatchKey(local.size), 1,
                                                     /*descending=*/true));
      kvs.insert(kvs.begin(), before.begin(), before.end());
    }
    if (!kvs.empty()) {
      DVS_ASSIGN_OR_RETURN(uint64_t next, BatchSeq(kvs.front().key));
      if (next > local.size) {
        // etcd no longer holds the entries after this replica's head: below the floor.
        DVS_ASSIGN_OR_RETURN(Floor floor, ReadFloor());
        if (floor.seq <= local.size) {
          return Status::Corruption("cluster: etcd holds no batch at seq " +
                                    std::to_string(local.size) + " (the next starts at " +
                                    std::to_string(next) + ", and its floor is " +
                                    std::to_string(floor.seq) + "): key " + BatchKey(local.size) +
                                    " was deleted outside dvs");
        }
        if (!bootstrap_) {
          return Status::Unavailable("cluster: etcd holds entries from seq " +
                                     std::to_string(floor.seq) + " on only, and this replica " +
                                     std::to_string(local.size) + " entries");
        }
        DVS_RETURN_IF_ERROR(bootstrap_(floor.seq, floor.hash));
        continue;  // from etcd's batches at the floor (or a newer floor, if it moved meanwhile)
      }
    }
    uint64_t expected = local.size;  // the first seq the next batch must hold
    bool floor_moved = false;
    for (const EtcdKv& kv : kvs) {
      DVS_ASSIGN_OR_RETURN(uint64_t first, BatchSeq(kv.key));
      if (first > expected) {
        DVS_ASSIGN_OR_RETURN(Floor floor, ReadFloor());
        if (floor.seq > expected) {  // compacted meanwhile: go on from the floor
          floor_moved = true;
          break;
        }
        return Status::Corruption("cluster: etcd holds no batch at seq " +
                                  std::to_string(expected) + " (the next starts at " +
                                  std::to_string(first) + ", and its floor is " +
                                  std::to_string(floor.seq) + "): key " + BatchKey(expected) +
                                  " was deleted outside dvs");
      }
      auto entries = DecodeBatch(kv.value);
      if (!entries.ok()) return entries.status().Prefixed("cluster: etcd key " + kv.key);
      DVS_RETURN_IF_ERROR(svc_.AppendReplicated(first, *entries).status().Prefixed("cluster"));
      expected = std::max(expected, first + entries->size());
    }
    if (floor_moved) continue;
    if (static_cast<int64_t>(kvs.size()) < kBatchesPerRead) return Status::OK();
  }
}

Result<bool> EtcdLog::HasMoreThan(uint64_t size) {
  auto remote = RemoteSize();
  // Unknown (etcd unreachable): the refusal stands; it was judged on what this replica holds.
  if (!remote.ok()) return false;
  return *remote > size;
}

Result<uint64_t> EtcdLog::RemoteSize() {
  DVS_ASSIGN_OR_RETURN(auto kvs, reads_.Range(head_key_, "", 1));
  if (kvs.empty()) return uint64_t{0};
  const std::string& v = kvs.front().value;
  try {
    return static_cast<uint64_t>(std::stoull(v.substr(0, v.find(' '))));
  } catch (...) {
    return Status::Corruption("cluster: etcd key " + head_key_ + " is not a head: '" + v + "'");
  }
}

Status EtcdLog::Join() {
  auto remote_size = RemoteSize();
  if (!remote_size.ok()) return remote_size.status().Prefixed("cluster: cannot join " + prefix_);
  const uint64_t remote = *remote_size;
  DVS_ASSIGN_OR_RETURN(Head local, svc_.LedgerHead());
  if (remote == 0) {
    if (local.size == 0) {
      return Status::NotFound("cluster: etcd holds no ledger under " + prefix_ +
                              " and neither does this node's ledger: run dvs init on one node, "
                              "and start it first");
    }
    // Seed etcd with this ledger, in batches under etcd's request limit.
    uint64_t seq = 0;
    Hash prev{};
    while (seq < local.size) {
      std::vector<std::string> batch;
      size_t bytes = 0;
      while (seq + batch.size() < local.size) {
        DVS_ASSIGN_OR_RETURN(std::string raw, svc_.log().GetRaw(seq + batch.size()));
        if (!batch.empty() && bytes + raw.size() + 4 > kMaxBatchBytes) break;
        bytes += raw.size() + 4;
        batch.push_back(std::move(raw));
      }
      // History, not decisions taken now: no leader term needed.
      auto ok = PublishInTerm(seq, prev, batch, /*term=*/0);
      if (!ok.ok()) return ok.status().Prefixed("cluster: seeding etcd");
      if (!*ok) break;  // another node seeded first: catch up below (and find any divergence)
      prev = LeafHash(batch.back());
      seq += batch.size();
    }
    log_("cluster: etcd holds this ledger now (" + std::to_string(seq) + " entries)");
  } else if (local.size > remote) {
    return Status::Refused("cluster: this node's ledger holds " + std::to_string(local.size) +
                           " entries but etcd only " + std::to_string(remote) +
                           ": it was written outside the cluster, or etcd lost its data");
  }
  return CatchUp();
}

void EtcdLog::StartTailing(int poll_ms) {
  tailer_ = std::thread([this, poll_ms] { TailLoop(poll_ms); });
}

void EtcdLog::StopTailing() {
  {
    std::lock_guard<std::mutex> l(tail_mu_);
    tail_stopping_ = true;
  }
  tail_cv_.notify_all();
  if (tailer_.joinable()) tailer_.join();
}

void EtcdLog::TailLoop(int poll_ms) {
  std::string last_error;
  std::unique_lock<std::mutex> l(tail_mu_);
  while (!tail_stopping_) {
    l.unlock();
    Status st = CatchUp();
    if (!st.ok() && st.message() != last_error) log_("replica: " + st.message());
    if (st.ok() && !last_error.empty()) log_("replica: following etcd again");
    last_error = st.ok() ? "" : st.message();
    l.lock();
    tail_cv_.wait_for(l, std::chrono::milliseconds(poll_ms), [&] { return tail_stopping_; });
  }
}

}  // namespace dvs::cluster
