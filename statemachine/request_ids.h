// RequestIdSet: the request ids applied so far, for refusing a replayed signed request.
//
// Kept as 128-bit BLAKE2b digests of the ids in an open-addressing table: about 32 bytes per
// request, no allocation per insert, and a snapshot encoding that is one binary blob. A digest
// collision (two different ids, one digest) would wrongly refuse the second as a replay; with
// 128 bits that needs about 2^64 requests. Pure and deterministic: same inserts, same set.
#ifndef DVS_STATEMACHINE_REQUEST_IDS_H_
#define DVS_STATEMACHINE_REQUEST_IDS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace dvs {

class RequestIdSet {
 public:
  using Digest = std::array<uint8_t, 16>;

  static Digest DigestOf(std::string_view request_id);
  bool Contains(std::string_view request_id) const { return ContainsDigest(DigestOf(request_id)); }
  void Insert(std::string_view request_id) { InsertDigest(DigestOf(request_id)); }
  // The same with a digest computed once (DigestOf), for a check now and an insert later.
  bool ContainsDigest(const Digest& d) const;
  void InsertDigest(const Digest& d);
  size_t size() const { return size_; }

  // The digests in ascending order, 16 bytes each: deterministic whatever the insertion order.
  std::string Encode() const;
  // Corruption unless the blob is a whole number of distinct 16-byte digests.
  static Result<RequestIdSet> Decode(std::string_view blob);

 private:
  void Grow();
  size_t Slot(const Digest& d) const;

  std::vector<Digest> table_;  // all-zero: empty slot (a real digest of zero is treated as present)
  size_t size_ = 0;
  bool has_zero_ = false;
};

}  // namespace dvs

#endif  // DVS_STATEMACHINE_REQUEST_IDS_H_
