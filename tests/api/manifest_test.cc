#include "api/manifest/manifest.h"

#include <gtest/gtest.h>

namespace dvs {
namespace {

TEST(Manifest, TheSeedsManifestParsesWithItsDefaults) {
  auto m = ParseManifest(
      "name: tax_calc\nversion: \"9.0\"\nmodel: s3://models/tax_v9.onnx\ncode: "
      "registry.gov/tax_calc:9.0\n"
      "config: {brackets: \"2024\"}\ncanary_pct: 5\n",
      ".");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->version(), "9.0");
  EXPECT_EQ(m->config().at("brackets"), "2024");
  EXPECT_EQ(m->rollout().step_pct(), 20u);
  EXPECT_EQ(m->rollout().interval_ms(), 60'000);
  EXPECT_EQ(m->rollout().min_samples(), 100u);
  EXPECT_EQ(m->rollout().warm_for_ms(), 30 * 60'000);
  EXPECT_EQ(m->rollout().promote_when_size(), 2);
  EXPECT_EQ(m->rollout().rollback_when(1), "latency_ms > 400");
}

TEST(Manifest, UnquotedVersionsKeepTheirText) {
  auto m = ParseManifest("name: a\nversion: 9.10\ncode: c\n", ".");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->version(), "9.10");  // not the float 9.1
}

TEST(Manifest, ExplicitZerosAreValidatedNotDefaulted) {
  auto m = ParseManifest(
      "name: a\nversion: \"1\"\ncode: c\nrollout: {min_samples: 0, interval: 0s}\n", ".");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->rollout().min_samples(), 0u);
  EXPECT_EQ(m->rollout().interval_ms(), 0);
}

TEST(Manifest, Durations) {
  EXPECT_EQ(*ParseDuration("250ms"), 250);
  EXPECT_EQ(*ParseDuration("60s"), 60'000);
  EXPECT_EQ(*ParseDuration("30m"), 1'800'000);
  EXPECT_EQ(*ParseDuration("2h"), 7'200'000);
  EXPECT_NE(ParseDuration("60").status().message().find("needs a unit"), std::string::npos);
  EXPECT_FALSE(ParseDuration("s").ok());
  EXPECT_FALSE(ParseDuration("-5s").ok());
}

TEST(Policy, ParsesAndRefusesUnknownKeys) {
  auto p = ParsePolicy(
      "allowed_licenses: [MIT]\nrequired_reviews: [ethics_review]\nrequired_tags: {fedramp: "
      "[high], ato: }\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->required_tags().at("fedramp").allowed(0), "high");
  EXPECT_TRUE(p->required_tags().at("ato").allowed().empty());
  EXPECT_TRUE(p->required_tags().at("ato").any_value());
  EXPECT_FALSE(p->required_tags().at("fedramp").any_value());
  EXPECT_NE(ParsePolicy("allowed_license: [MIT]\n").status().message().find("unknown key"),
            std::string::npos);
}

TEST(Policy, RefusesEmptyListsNamingTheKey) {
  auto licenses = ParsePolicy("allowed_licenses: []\n");
  ASSERT_FALSE(licenses.ok());
  EXPECT_EQ(licenses.status().message(),
            "allowed_licenses: is an empty list, which would allow any license: list the "
            "licenses, or leave allowed_licenses out to allow any");
  auto tags = ParsePolicy("required_tags: {fedramp: []}\n");
  ASSERT_FALSE(tags.ok());
  EXPECT_EQ(tags.status().message(),
            "required_tags.fedramp: is an empty list, which would allow any value: list the "
            "allowed values, or write `fedramp: ~` to require the tag with any value");
}

}  // namespace
}  // namespace dvs
