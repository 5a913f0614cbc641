#include "statemachine/snapshot_digest.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstdint>
#include <string>

namespace dvs {

namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;
using google::protobuf::internal::WireFormatLite;

// Field numbers of sm::Snapshot (statemachine/snapshot.proto) and sm::RequestIdBucket.
constexpr int kHeadHash = 2, kRequestIds = 10, kMerkleFrontier = 12;
constexpr int kBucketIndex = 1, kBucketSha256 = 3;

// `write` applied to a CodedOutputStream over a fresh string: the bytes it wrote.
template <typename Write>
std::string Encoded(Write write) {
  std::string out;
  {
    StringOutputStream stream(&out);
    CodedOutputStream coded(&stream);
    write(&coded);
  }
  return out;
}

// The bytes StateDigest writes for the request-id buckets: RequestIdBucket{bucket,
// digests_sha256} each, as field 10, in ascending bucket order.
std::string BucketsAsDigested(const RequestIdWindow& window) {
  return Encoded([&](CodedOutputStream* out) {
    for (const auto& entry : window.EncodedBuckets()) {  // no structured binding: clang 14's
      const int64_t bucket = entry.first;                 // lambdas cannot capture one
      const std::string sha256(AsBytes(entry.second->sha256));
      const std::string sub = Encoded([&](CodedOutputStream* b) {
        if (bucket != 0) WireFormatLite::WriteInt64(kBucketIndex, bucket, b);
        WireFormatLite::WriteBytes(kBucketSha256, sha256, b);
      });
      WireFormatLite::WriteBytes(kRequestIds, sub, out);  // a sub-message is length-delimited
    }
  });
}

}  // namespace

Hash RecordStateDigest(std::string_view record, const Snapshot& decoded) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(record.data()),
                      static_cast<int>(record.size()));
  Sha256Stream sha;
  bool buckets_done = false;
  while (static_cast<size_t>(in.CurrentPosition()) < record.size()) {
    const int start = in.CurrentPosition();
    const uint32_t tag = in.ReadTag();
    // DecodeSnapshot took the record, so neither happens; if they did, encode the state.
    if (tag == 0 || !WireFormatLite::SkipField(&in, tag)) return StateDigest(decoded.state);
    const int field = WireFormatLite::GetTagFieldNumber(tag);
    if (field == kHeadHash) {
      sha.Update(Encoded([](CodedOutputStream* out) {
        WireFormatLite::WriteBytes(kHeadHash, std::string(kHashSize, '\0'), out);
      }));
    } else if (field == kRequestIds) {
      // Hashed as the decoded window, once, where the first bucket stands.
      if (!buckets_done) sha.Update(BucketsAsDigested(decoded.state.request_ids));
      buckets_done = true;
    } else if (field != kMerkleFrontier) {
      sha.Update(record.substr(start, in.CurrentPosition() - start));
    }
  }
  return sha.Final();
}

}  // namespace dvs
