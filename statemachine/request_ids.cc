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

RequestIdSet::RequestIdSet(const RequestIdSet& o)
    : table_(o.table_),
      size_(o.size_),
      has_zero_(o.has_zero_),
      sorted_only_(o.sorted_only_),
      encoded_(o.encoded_.load()) {}

RequestIdSet& RequestIdSet::operator=(const RequestIdSet& o) {
  table_ = o.table_;
  size_ = o.size_;
  has_zero_ = o.has_zero_;
  sorted_only_ = o.sorted_only_;
  encoded_.store(o.encoded_.load());
  return *this;
}

RequestIdSet::RequestIdSet(RequestIdSet&& o) noexcept
    : table_(std::move(o.table_)),
      size_(o.size_),
      has_zero_(o.has_zero_),
      sorted_only_(o.sorted_only_),
      encoded_(o.encoded_.load()) {}

RequestIdSet& RequestIdSet::operator=(RequestIdSet&& o) noexcept {
  table_ = std::move(o.table_);
  size_ = o.size_;
  has_zero_ = o.has_zero_;
  sorted_only_ = o.sorted_only_;
  encoded_.store(o.encoded_.load());
  return *this;
}

std::shared_ptr<const RequestIdSet::Encoded> RequestIdSet::EncodedOnce() const {
  std::shared_ptr<const Encoded> e = encoded_.load();
  if (e) return e;
  auto fresh = std::make_shared<Encoded>();
  fresh->bytes = Encode();
  fresh->sha256 = Sha256(fresh->bytes);
  encoded_.store(fresh);  // two threads may both compute it: the same value either way
  return fresh;
}

RequestIdSet::Digest RequestIdSet::DigestOf(std::string_view request_id) {
  return Digest128(request_id);
}

size_t RequestIdSet::Slot(const Digest& d) const {
  uint64_t h;
  std::memcpy(&h, d.data(), sizeof(h));  // the digest is already uniformly distributed
  return static_cast<size_t>(h) & (table_.size() - 1);
}

bool RequestIdSet::ContainsDigest(const Digest& d) const {
  if (sorted_only_) {
    const std::string& blob = encoded_.load()->bytes;
    size_t lo = 0, hi = blob.size() / 16;  // bisect [lo, hi)
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      const int c = std::memcmp(blob.data() + mid * 16, d.data(), 16);
      if (c == 0) return true;
      if (c < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return false;
  }
  if (IsZero(d)) return has_zero_;
  if (table_.empty()) return false;
  for (size_t i = Slot(d);; i = (i + 1) & (table_.size() - 1)) {
    if (table_[i] == d) return true;
    if (IsZero(table_[i])) return false;
  }
}

void RequestIdSet::InsertDigest(const Digest& d) {
  if (sorted_only_) Materialize();
  if (encoded_.load()) encoded_.store(nullptr);
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

void RequestIdSet::Materialize() {
  const std::shared_ptr<const Encoded> sorted = encoded_.load();
  const size_t n = sorted->bytes.size() / 16;
  sorted_only_ = false;
  size_ = 0;
  size_t cap = 64;
  while (cap < n * 2 + 2) cap *= 2;
  table_.assign(cap, Digest{});
  for (size_t i = 0; i < n; ++i) {
    Digest d;
    std::memcpy(d.data(), sorted->bytes.data() + i * 16, 16);
    InsertDigest(d);
  }
}

std::string RequestIdSet::Encode() const {
  if (sorted_only_) return encoded_.load()->bytes;
  // Sorted as two big-endian 64-bit words each: the same order as comparing the bytes, without
  // a memcmp per comparison (this runs for every state digest, at every checkpoint and open).
  using Key = std::pair<uint64_t, uint64_t>;
  auto key_of = [](const Digest& d) {
    uint64_t hi, lo;
    std::memcpy(&hi, d.data(), 8);
    std::memcpy(&lo, d.data() + 8, 8);
    return Key{__builtin_bswap64(hi), __builtin_bswap64(lo)};
  };
  std::vector<Key> all;
  all.reserve(size_);
  if (has_zero_) all.push_back(Key{0, 0});
  for (const Digest& d : table_) {
    if (!IsZero(d)) all.push_back(key_of(d));
  }
  std::sort(all.begin(), all.end());
  std::string out(all.size() * 16, '\0');
  for (size_t i = 0; i < all.size(); ++i) {
    const uint64_t hi = __builtin_bswap64(all[i].first), lo = __builtin_bswap64(all[i].second);
    std::memcpy(&out[i * 16], &hi, 8);
    std::memcpy(&out[i * 16 + 8], &lo, 8);
  }
  return out;
}

Result<RequestIdSet> RequestIdSet::Decode(std::string_view blob) {
  if (blob.size() % 16 != 0)
    return Status::Corruption("request id digests are not a multiple of 16 bytes");
  for (size_t at = 16; at < blob.size(); at += 16) {
    if (std::memcmp(blob.data() + at - 16, blob.data() + at, 16) >= 0) {
      return Status::Corruption("request id digests repeat or are not in ascending order");
    }
  }
  RequestIdSet s;
  if (blob.empty()) return s;
  auto encoded = std::make_shared<Encoded>();
  encoded->bytes = std::string(blob);
  encoded->sha256 = Sha256(encoded->bytes);
  s.encoded_.store(std::move(encoded));
  s.size_ = blob.size() / 16;
  s.sorted_only_ = true;
  return s;
}

int64_t RequestIdWindow::BucketOf(int64_t t) {
  return t >= 0 ? t / kBucketMs : -((-t + kBucketMs - 1) / kBucketMs);  // floor
}

bool RequestIdWindow::Contains(const RequestIdSet::Digest& d, int64_t actor_time_ms) const {
  auto it = buckets_.find(BucketOf(actor_time_ms));
  return it != buckets_.end() && it->second->ContainsDigest(d);
}

void RequestIdWindow::Insert(const RequestIdSet::Digest& d, int64_t actor_time_ms) {
  std::shared_ptr<RequestIdSet>& b = buckets_[BucketOf(actor_time_ms)];
  if (!b) {
    b = std::make_shared<RequestIdSet>();
  } else if (b.use_count() > 1) {
    b = std::make_shared<RequestIdSet>(*b);  // another State still shares it
  }
  b->InsertDigest(d);
}

void RequestIdWindow::Prune(int64_t log_time_ms) {
  // Bucket k holds actor times [k * B, (k + 1) * B); all are stale once (k + 1) * B <= t - W.
  const int64_t oldest_live = log_time_ms - kWindowMs;
  while (!buckets_.empty() && (buckets_.begin()->first + 1) * kBucketMs <= oldest_live) {
    buckets_.erase(buckets_.begin());
  }
}

size_t RequestIdWindow::size() const {
  size_t n = 0;
  for (const auto& [k, b] : buckets_) n += b->size();
  return n;
}

std::vector<std::pair<int64_t, std::string>> RequestIdWindow::Encode() const {
  std::vector<std::pair<int64_t, std::string>> out;
  out.reserve(buckets_.size());
  for (const auto& [k, b] : buckets_) out.emplace_back(k, b->Encode());
  return out;
}

std::vector<std::pair<int64_t, std::shared_ptr<const RequestIdSet::Encoded>>>
RequestIdWindow::EncodedBuckets() const {
  std::vector<std::pair<int64_t, std::shared_ptr<const RequestIdSet::Encoded>>> out;
  out.reserve(buckets_.size());
  for (const auto& [k, b] : buckets_) out.emplace_back(k, b->EncodedOnce());
  return out;
}

Result<RequestIdWindow> RequestIdWindow::Decode(
    const std::vector<std::pair<int64_t, std::string>>& in) {
  RequestIdWindow w;
  for (const auto& [k, blob] : in) {
    DVS_ASSIGN_OR_RETURN(RequestIdSet set, RequestIdSet::Decode(blob));
    if (set.size() == 0)
      return Status::Corruption("request id bucket " + std::to_string(k) + " is empty");
    if (!w.buckets_.emplace(k, std::make_shared<RequestIdSet>(std::move(set))).second) {
      return Status::Corruption("request id bucket " + std::to_string(k) + " repeats");
    }
  }
  return w;
}

}  // namespace dvs
