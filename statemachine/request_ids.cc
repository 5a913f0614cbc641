#include "statemachine/request_ids.h"

#include <algorithm>
#include <cstring>

#include "ledger/hash.h"

namespace dvs {

namespace {
bool IsZero(const RequestIdSet::Digest& d) {
  for (uint8_t b : d) {
    if (b != 0) return false;
  }
  return true;
}
}  // namespace

RequestIdSet::Digest RequestIdSet::DigestOf(std::string_view request_id) {
  return Digest128(request_id);
}

size_t RequestIdSet::Slot(const Digest& d) const {
  uint64_t h;
  std::memcpy(&h, d.data(), sizeof(h));  // the digest is already uniformly distributed
  return static_cast<size_t>(h) & (table_.size() - 1);
}

bool RequestIdSet::ContainsDigest(const Digest& d) const {
  if (IsZero(d)) return has_zero_;
  if (table_.empty()) return false;
  for (size_t i = Slot(d);; i = (i + 1) & (table_.size() - 1)) {
    if (table_[i] == d) return true;
    if (IsZero(table_[i])) return false;
  }
}

void RequestIdSet::InsertDigest(const Digest& d) {
  if (IsZero(d)) {
    size_ += !has_zero_;
    has_zero_ = true;
    return;
  }
  if ((size_ + 1) * 2 > table_.size()) Grow();  // load factor at most 1/2
  for (size_t i = Slot(d);; i = (i + 1) & (table_.size() - 1)) {
    if (table_[i] == d) return;
    if (IsZero(table_[i])) {
      table_[i] = d;
      ++size_;
      return;
    }
  }
}

void RequestIdSet::Grow() {
  std::vector<Digest> old = std::move(table_);
  table_.assign(std::max<size_t>(64, old.size() * 2), Digest{});
  const bool zero = has_zero_;
  size_ = 0;
  has_zero_ = false;
  for (const Digest& d : old) {
    if (!IsZero(d)) InsertDigest(d);
  }
  if (zero) InsertDigest(Digest{});
}

std::string RequestIdSet::Encode() const {
  std::vector<Digest> all;
  all.reserve(size_);
  if (has_zero_) all.push_back(Digest{});
  for (const Digest& d : table_) {
    if (!IsZero(d)) all.push_back(d);
  }
  std::sort(all.begin(), all.end());
  std::string out(all.size() * 16, '\0');
  for (size_t i = 0; i < all.size(); ++i) std::memcpy(&out[i * 16], all[i].data(), 16);
  return out;
}

Result<RequestIdSet> RequestIdSet::Decode(std::string_view blob) {
  if (blob.size() % 16 != 0)
    return Status::Corruption("request id digests are not a multiple of 16 bytes");
  RequestIdSet s;
  size_t n = blob.size() / 16, cap = 64;
  while (cap < n * 2 + 2) cap *= 2;
  s.table_.assign(cap, Digest{});
  for (size_t i = 0; i < n; ++i) {
    Digest d;
    std::memcpy(d.data(), blob.data() + i * 16, 16);
    if (s.ContainsDigest(d)) return Status::Corruption("request id digests repeat");
    s.InsertDigest(d);
  }
  return s;
}

}  // namespace dvs
