// Every limit of ledger/limits.h, each met by input one past it: a clear error naming the limit.

#include "ledger/limits.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "api/manifest/manifest.h"
#include "ledger/checkpoint.h"
#include "ledger/entry.h"
#include "ledger/key_files.h"
#include "statemachine/condition.h"
#include "statemachine/limits.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/version.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

void ExpectMessage(const Status& s, const std::string& want) {
  ASSERT_FALSE(s.ok()) << "accepted; expected: " << want;
  EXPECT_NE(s.message().find(want), std::string::npos) << s.ToString();
}

TEST(Limits, BodySize) {
  SecretKey k = test::KeyFromNumber(1);
  EXPECT_TRUE(SignedBody::Sign(k, std::string(kMaxBodySize, 'x')).Check().ok());
  ExpectMessage(SignedBody::Sign(k, std::string(kMaxBodySize + 1, 'x')).Check(),
                "exceeds the limit of 1048576");
}

TEST(Limits, KeyFileSize) {
  test::TempDir dir;
  std::ofstream(dir.Sub("big")) << std::string(kMaxKeyFileSize + 1, 'k');
  ::chmod(dir.Sub("big").c_str(), 0600);
  ExpectMessage(LoadSecretKey(dir.Sub("big")).status(), "is larger than 4096 bytes");
}

TEST(Limits, ArtifactSize) {
  test::TempDir dir;
  const std::string big = dir.Sub("big.bin");
  std::ofstream(big) << "";
  std::filesystem::resize_file(big, kMaxArtifactSize + 1);  // sparse: no disk, refused by size
  ExpectMessage(Sha256File(big, nullptr).status(),
                "larger than the artifact limit of 68719476736 bytes");
  std::filesystem::resize_file(big, 3);
  uint64_t size = 0;
  EXPECT_TRUE(Sha256File(big, &size).ok());
  EXPECT_EQ(size, 3u);
}

TEST(Limits, CheckpointSize) {
  ExpectMessage(ParseCheckpoint(std::string(kMaxCheckpointSize + 1, 'c')).status(),
                "larger than 16384 bytes");
}

TEST(Limits, NamesVersionsMetricNamesFields) {
  EXPECT_TRUE(CheckName("name", std::string(kMaxNameLength, 'a')).ok());
  ExpectMessage(CheckName("name", std::string(kMaxNameLength + 1, 'a')),
                "is longer than 64 characters");
  EXPECT_TRUE(ParseVersion("1." + std::string(kMaxVersionLength - 2, '1'))
                  .status()
                  .message()
                  .find("longer") == std::string::npos);
  ExpectMessage(ParseVersion(std::string(kMaxVersionLength + 1, '1')).status(),
                "longer than 64 characters");
  EXPECT_TRUE(IsMetricName(std::string(kMaxMetricNameLength, 'm')));
  EXPECT_FALSE(IsMetricName(std::string(kMaxMetricNameLength + 1, 'm')));
  ExpectMessage(ParseCondition(std::string(kMaxMetricNameLength + 1, 'm') + " < 1").status(),
                "expected a metric name");
  ExpectMessage(CheckReason("reason", std::string(kMaxFieldLength + 1, 'r')),
                "is 1025 characters, at most 1024");
}

TEST(Limits, ManifestMapsConditionsAndSize) {
  sm::Manifest m = test::Manifest("svc", "1.0");
  m.mutable_config()->clear();
  for (size_t i = 0; i < kMaxMapEntries; ++i) (*m.mutable_config())["k" + std::to_string(i)] = "v";
  EXPECT_TRUE(ValidateManifest(m).ok());
  (*m.mutable_config())["one_more"] = "v";
  ExpectMessage(ValidateManifest(m), "config: 65 entries, at most 64");
  m = test::Manifest("svc", "1.0");
  for (size_t i = 0; i < kMaxConditions; ++i) m.mutable_rollout()->add_promote_when("x < 1");
  ExpectMessage(ValidateManifest(m), "rollout.promote_when: 18 conditions, at most 16");
  ExpectMessage(ParseManifest(std::string(kMaxManifestBytes + 1, '#'), ".").status(),
                "at most 65536");
}

TEST(Limits, MetricsPerObservationAndRequestIds) {
  test::Harness h;
  h.Bootstrap();
  std::string id = h.Release("svc", "1.0");
  sm::Transition t;
  t.mutable_observe()->set_bundle(id);
  t.mutable_observe()->set_samples(1);
  for (size_t i = 0; i <= kMaxMapEntries; ++i)
    (*t.mutable_observe()->mutable_metrics())["m" + std::to_string(i)] = 1;
  ExpectMessage(h.Submit(h.observer, t), "at most 64 metrics");
  sm::Transition r;
  r.set_request_id(std::string(kMaxRequestIdLength + 1, 'r'));
  r.mutable_observe()->set_bundle(id);
  ExpectMessage(h.Submit(h.observer, r), "request_id is longer than 128 characters");
}

}  // namespace
}  // namespace dvs
