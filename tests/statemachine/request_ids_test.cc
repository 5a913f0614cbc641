#include "statemachine/request_ids.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace dvs {
namespace {

TEST(RequestIdSet, RemembersWhatWasInsertedAndNothingElse) {
  RequestIdSet s;
  for (int i = 0; i < 5000; ++i) s.Insert("req-" + std::to_string(i));
  EXPECT_EQ(s.size(), 5000u);
  for (int i = 0; i < 5000; ++i) EXPECT_TRUE(s.Contains("req-" + std::to_string(i)));
  for (int i = 5000; i < 6000; ++i) EXPECT_FALSE(s.Contains("req-" + std::to_string(i)));
  s.Insert("req-7");
  EXPECT_EQ(s.size(), 5000u);
}

TEST(RequestIdSet, DecodeRefusesMalformedBlobs) {
  EXPECT_TRUE(RequestIdSet::Decode(std::string(15, 'x')).status().IsCorruption());
  EXPECT_TRUE(
      RequestIdSet::Decode(std::string(32, 'x')).status().IsCorruption());  // a digest twice
  EXPECT_EQ(RequestIdSet::Decode("")->size(), 0u);
  // Two distinct digests out of order: what Encode never writes (a snapshot edited by hand).
  RequestIdSet two;
  two.Insert("a");
  two.Insert("b");
  const std::string sorted = two.Encode();
  const std::string swapped = sorted.substr(16) + sorted.substr(0, 16);
  EXPECT_TRUE(RequestIdSet::Decode(sorted).ok());
  EXPECT_TRUE(RequestIdSet::Decode(swapped).status().IsCorruption());
}

RC_GTEST_PROP(RequestIdSetProperties, EncodingRoundTripsAndIgnoresInsertionOrder, ()) {
  auto ids = *rc::gen::container<std::vector<std::string>>(rc::gen::nonEmpty<std::string>());
  RequestIdSet a, b;
  for (const auto& id : ids) a.Insert(id);
  auto shuffled = ids;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(*rc::gen::arbitrary<uint32_t>()));
  for (const auto& id : shuffled) b.Insert(id);
  RC_ASSERT(a.Encode() == b.Encode());
  RC_ASSERT(a.size() == std::set<std::string>(ids.begin(), ids.end()).size());
  auto decoded = RequestIdSet::Decode(a.Encode());
  RC_ASSERT(decoded.ok());
  for (const auto& id : ids) RC_ASSERT(decoded->Contains(id));
  RC_ASSERT(decoded->Encode() == a.Encode());
  RC_ASSERT(decoded->EncodedOnce()->sha256 == a.EncodedOnce()->sha256);
}

// A decoded set answers from its sorted blob until written to, then from its table: either way
// it holds exactly the same ids as a set built by inserts, before and after further inserts.
RC_GTEST_PROP(RequestIdSetProperties, ADecodedSetBehavesAsTheSetItWasEncodedFrom, ()) {
  const auto before = *rc::gen::container<std::set<std::string>>(rc::gen::nonEmpty<std::string>());
  const auto after = *rc::gen::container<std::vector<std::string>>(rc::gen::nonEmpty<std::string>());
  const auto probes = *rc::gen::container<std::vector<std::string>>(rc::gen::string<std::string>());
  RequestIdSet built;
  for (const auto& id : before) built.Insert(id);
  auto decoded = RequestIdSet::Decode(built.Encode());
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->size() == built.size());
  for (const auto& p : probes) RC_ASSERT(decoded->Contains(p) == built.Contains(p));
  RequestIdSet copy = *decoded;  // a copy of a set still in its sorted form
  for (const auto& id : after) {
    built.Insert(id);
    decoded->Insert(id);
  }
  RC_ASSERT(decoded->size() == built.size());
  RC_ASSERT(decoded->Encode() == built.Encode());
  for (const auto& id : after) RC_ASSERT(decoded->Contains(id));
  for (const auto& p : probes) RC_ASSERT(decoded->Contains(p) == built.Contains(p));
  for (const auto& id : before) RC_ASSERT(copy.Contains(id));
  RC_ASSERT(copy.size() == before.size());
}

}  // namespace
}  // namespace dvs
