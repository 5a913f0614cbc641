// RequestIdSet: the request ids applied so far, for refusing a replayed signed request.
//
// Kept as 128-bit BLAKE2b digests of the ids in an open-addressing table: about 32 bytes per
// request, no allocation per insert, and a snapshot encoding that is one binary blob. A set
// decoded from a snapshot stays that sorted blob, searched by bisection, until its first insert
// builds the table: opening a ledger costs no table for buckets nobody writes to again. A digest
// collision (two different ids, one digest) would wrongly refuse the second as a replay; with
// 128 bits that needs about 2^64 requests. Pure and deterministic: same inserts, same set.
#ifndef DVS_STATEMACHINE_REQUEST_IDS_H_
#define DVS_STATEMACHINE_REQUEST_IDS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/status.h"

namespace dvs {

class RequestIdSet {
 public:
  using Digest = std::array<uint8_t, 16>;
  // Encode() and the SHA-256 of those bytes.
  struct Encoded {
    std::string bytes;
    Hash sha256{};
  };

  RequestIdSet() = default;
  RequestIdSet(const RequestIdSet& o);
  RequestIdSet& operator=(const RequestIdSet& o);
  RequestIdSet(RequestIdSet&& o) noexcept;
  RequestIdSet& operator=(RequestIdSet&& o) noexcept;

  static Digest DigestOf(std::string_view request_id);
  bool Contains(std::string_view request_id) const { return ContainsDigest(DigestOf(request_id)); }
  void Insert(std::string_view request_id) { InsertDigest(DigestOf(request_id)); }
  // The same with a digest computed once (DigestOf), for a check now and an insert later.
  bool ContainsDigest(const Digest& d) const;
  void InsertDigest(const Digest& d);
  size_t size() const { return size_; }

  // The digests in ascending order, 16 bytes each: deterministic whatever the insertion order.
  std::string Encode() const;
  // The same with its SHA-256, computed once per content and kept until the next insert: a
  // bucket the log has moved past is sorted and hashed once, not at every checkpoint. Safe to
  // call from threads that share the set (States share buckets).
  std::shared_ptr<const Encoded> EncodedOnce() const;
  // Corruption unless the blob is a whole number of 16-byte digests in strictly ascending order
  // (what Encode writes). The blob is kept as the set's encoding, with its SHA-256.
  static Result<RequestIdSet> Decode(std::string_view blob);

 private:
  void Grow();
  // Builds the table from the sorted blob a decoded set starts as (before its first insert).
  void Materialize();
  size_t Slot(const Digest& d) const;

  std::vector<Digest> table_;  // all-zero: empty slot (a real digest of zero is treated as present)
  size_t size_ = 0;
  bool has_zero_ = false;
  // True while the digests live only in encoded_'s bytes (a decoded set not yet inserted into).
  bool sorted_only_ = false;
  // EncodedOnce()'s result: null until asked, reset by every insert.
  mutable std::atomic<std::shared_ptr<const Encoded>> encoded_;
};

// RequestIdWindow: the request ids that can still be replayed, so that what the state holds grows
// with the rate of requests, not with the age of the ledger.
//
// A request is accepted only when its actor time lies within kWindowMs of the log time it is
// applied at (Apply's rule), so an id whose actor time fell out of the window can never be
// applied again whether or not it is remembered. The window therefore keeps only the ids whose
// actor time is within reach, bucketed by actor time; Prune forgets whole buckets once the log
// time has moved past them. A replayed body carries the same signed actor time as the original,
// so it is looked up in that one bucket.
//
// Copies share buckets: copying a State costs one pointer per bucket, and an insert copies only
// the bucket it changes when another copy still shares it. Pure and deterministic.
class RequestIdWindow {
 public:
  static constexpr int64_t kWindowMs = int64_t{3600} * 1000;
  static constexpr int64_t kBucketMs = int64_t{5} * 60 * 1000;

  bool Contains(const RequestIdSet::Digest& d, int64_t actor_time_ms) const;
  void Insert(const RequestIdSet::Digest& d, int64_t actor_time_ms);
  // Forgets every bucket all of whose actor times are older than log_time_ms - kWindowMs.
  void Prune(int64_t log_time_ms);
  size_t size() const;
  size_t buckets() const { return buckets_.size(); }

  // (bucket index, the bucket's RequestIdSet::Encode()) in ascending bucket order.
  std::vector<std::pair<int64_t, std::string>> Encode() const;
  // The same as each bucket's EncodedOnce(), without copying the bytes.
  std::vector<std::pair<int64_t, std::shared_ptr<const RequestIdSet::Encoded>>> EncodedBuckets()
      const;
  // Corruption when a bucket repeats or its blob is malformed.
  static Result<RequestIdWindow> Decode(const std::vector<std::pair<int64_t, std::string>>& in);

 private:
  static int64_t BucketOf(int64_t actor_time_ms);
  std::map<int64_t, std::shared_ptr<RequestIdSet>> buckets_;
};

}  // namespace dvs

#endif  // DVS_STATEMACHINE_REQUEST_IDS_H_
