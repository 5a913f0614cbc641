// What dvs prints of signed text is safe on a terminal even for ledgers written before control
// characters were refused; times are parsed strictly; bodies carry no unknown fields.
#include <gtest/gtest.h>

#include <algorithm>

#include "dvs/json.h"
#include "dvs/render.h"
#include "statemachine/apply.h"
#include "statemachine/transition.pb.h"

namespace dvs {
namespace {

TEST(ParseTime, ImpossibleDatesTimesAndZonesAreRefused) {
  for (const char* bad : {"",
                          "2026-02-30T00:00:00Z",
                          "2025-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z",
                          "2026-13-01T00:00:00Z",
                          "2026-00-10T00:00:00Z",
                          "2026-01-00T00:00:00Z",
                          "2026-01-01T24:00:00Z",
                          "2026-01-01T24:61:00Z",
                          "2026-01-01T12:60:00Z",
                          "2026-01-01T12:00:61Z",
                          "2026-01-01T12:00:60Z",
                          "2026-01-01T00:00:00+25:00",
                          "2026-01-01T00:00:00-24:00",
                          "2026-01-01T00:00:00+01:60",
                          "2026-01-01T00:00:00+1:00",
                          "2026-01-01T 1:00:00Z",
                          "2026-01-01T-1:00:00Z",
                          "2026-01-01T00:00:00",
                          "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00ZZ",
                          "+2026-01-01"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTime("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00.250-00:30"), 30 * 60'000 + 250);
  EXPECT_EQ(*ParseTime("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_EQ(*ParseTime("2000-02-29T00:00:00Z"), 951'782'400'000);
  EXPECT_EQ(*ParseTime("2016-12-31T23:59:60Z"), *ParseTime("2017-01-01T00:00:00Z"));
  EXPECT_EQ(*ParseTime("1234"), 1234);
}

TEST(ParseTransition, RefusesUnknownFieldsAtAnyDepth) {
  sm::Transition t;
  t.set_request_id("r");
  t.mutable_ramp()->set_bundle("b");
  t.mutable_ramp()->set_to_pct(20);
  t.mutable_ramp()->mutable_evidence()->add_observation_seqs(3);
  ASSERT_TRUE(ParseTransition(t.SerializeAsString()).ok());
  auto* ev = t.mutable_ramp()->mutable_evidence();
  ev->GetReflection()->MutableUnknownFields(ev)->AddVarint(9, 1);
  auto parsed = ParseTransition(t.SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("unknown field 9 in transition.ramp.evidence"),
            std::string::npos)
      << parsed.status().ToString();
}

}  // namespace
}  // namespace dvs
