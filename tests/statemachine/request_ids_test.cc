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
}

}  // namespace
}  // namespace dvs
