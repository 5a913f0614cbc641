#include "statemachine/snapshot_digest.h"

#include <cstdint>
#include <optional>
#include <string>

namespace dvs {

namespace {

// Field numbers of sm::Snapshot (statemachine/snapshot.proto) and sm::RequestIdBucket.
constexpr uint32_t kHeadHash = 2, kRequestIds = 10, kMerkleFrontier = 12;
constexpr uint32_t kBucketIndex = 1, kBucketSha256 = 3;
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5;

std::optional<uint64_t> ReadVarint(std::string_view in, size_t* at) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *at < in.size(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(in[(*at)++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80u) == 0) return v;
  }
  return std::nullopt;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutTag(uint32_t field, uint32_t wire, std::string* out) { PutVarint(field << 3 | wire, out); }

// The bytes StateDigest writes for the request-id buckets: RequestIdBucket{bucket,
// digests_sha256} each, as field 10, in ascending bucket order.
std::string BucketsAsDigested(const RequestIdWindow& window) {
  std::string out;
  for (const auto& [bucket, encoded] : window.EncodedBuckets()) {
    std::string sub;
    if (bucket != 0) {
      PutTag(kBucketIndex, kVarint, &sub);
      PutVarint(static_cast<uint64_t>(bucket), &sub);
    }
    PutTag(kBucketSha256, kLength, &sub);
    PutVarint(kHashSize, &sub);
    sub.append(AsBytes(encoded->sha256));
    PutTag(kRequestIds, kLength, &out);
    PutVarint(sub.size(), &out);
    out += sub;
  }
  return out;
}

}  // namespace

Hash RecordStateDigest(std::string_view record, const Snapshot& decoded) {
  Sha256Stream sha;
  bool buckets_done = false;
  size_t at = 0;
  while (at < record.size()) {
    const size_t field_start = at;
    const std::optional<uint64_t> tag = ReadVarint(record, &at);
    if (!tag) return StateDigest(decoded.state);  // DecodeSnapshot took it, so never here
    const uint32_t field = static_cast<uint32_t>(*tag >> 3), wire = *tag & 7;
    switch (wire) {
      case kVarint:
        if (!ReadVarint(record, &at)) return StateDigest(decoded.state);
        break;
      case kFixed64: at += 8; break;
      case kFixed32: at += 4; break;
      case kLength: {
        const std::optional<uint64_t> len = ReadVarint(record, &at);
        if (!len || *len > record.size() - at) return StateDigest(decoded.state);
        at += *len;
        break;
      }
      default: return StateDigest(decoded.state);
    }
    if (at > record.size()) return StateDigest(decoded.state);
    if (field == kHeadHash) {
      std::string zeros;
      PutTag(kHeadHash, kLength, &zeros);
      PutVarint(kHashSize, &zeros);
      zeros.append(kHashSize, '\0');
      sha.Update(zeros);
    } else if (field == kRequestIds) {
      // Hashed as the decoded window, once, where the first bucket stands.
      if (!buckets_done) sha.Update(BucketsAsDigested(decoded.state.request_ids));
      buckets_done = true;
    } else if (field != kMerkleFrontier) {
      sha.Update(record.substr(field_start, at - field_start));
    }
  }
  return sha.Final();
}

}  // namespace dvs
