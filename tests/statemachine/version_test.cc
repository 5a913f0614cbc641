#include "statemachine/version.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "statemachine/limits.h"

namespace dvs {
namespace {

int Cmp(const char* a, const char* b) {
  return CompareVersions(*ParseVersion(a), *ParseVersion(b));
}

TEST(Version, ExtendedNumericOrderOfTheSeed) {
  const char* chain[] = {"8.7", "9.0", "9.0.1", "9.1", "10"};
  for (size_t i = 0; i + 1 < std::size(chain); ++i)
    EXPECT_LT(Cmp(chain[i], chain[i + 1]), 0) << chain[i];
  EXPECT_LT(Cmp("9", "9.0"), 0);
  EXPECT_LT(Cmp("9.0", "9.0.0"), 0);  // total over distinct cores
}

TEST(Version, SemVerSpecificationPrecedenceChain) {
  const char* chain[] = {"1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                         "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0"};
  for (size_t i = 0; i < std::size(chain); ++i) {
    for (size_t j = 0; j < std::size(chain); ++j) {
      int want = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(Cmp(chain[i], chain[j]), want) << chain[i] << " vs " << chain[j];
    }
  }
  EXPECT_LT(Cmp("1.0.0", "2.0.0"), 0);
  EXPECT_LT(Cmp("2.0.0", "2.1.0"), 0);
  EXPECT_LT(Cmp("2.1.0", "2.1.1"), 0);
}

TEST(Version, BuildMetadataIsIgnoredForOrder) {
  EXPECT_EQ(Cmp("1.0.0+20240605", "1.0.0+exp.sha.5114f85"), 0);
  EXPECT_EQ(ParseVersion("9.0+20240605")->build, "20240605");
}

TEST(Version, InvalidVersionsAreRefusedWithTheReason) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {{"", "empty"},
               {"09.1", "leading zero in '09'"},
               {"1.2.3.4", "4 numeric parts"},
               {"1..2", "'' is not a number"},
               {"v1.0", "'v1' is not a number"},
               {"1.0-", "prerelease identifier '' is malformed"},
               {"1.0-01", "leading zero in prerelease identifier '01'"},
               {"1.0+", "build metadata '' is malformed"},
               {"1.0-al pha", "prerelease identifier 'al pha' is malformed"},
               {"1234567890123456789012.0", "too large"},
               {"1.0-rc_1", "prerelease identifier 'rc_1' is malformed"},
               {"1.0+b@d", "build metadata 'b@d' is malformed"}};
  for (const auto& c : cases) {
    auto v = ParseVersion(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_NE(v.status().message().find(c.why), std::string::npos) << v.status().ToString();
  }
  EXPECT_FALSE(ParseVersion(std::string(80, '1')).ok());
  // Valid but for its length: only the length rule refuses it.
  auto long_prerelease = ParseVersion("1.0.0-" + std::string(kMaxVersionLength, 'a'));
  ASSERT_FALSE(long_prerelease.ok());
  EXPECT_NE(long_prerelease.status().message().find("longer than 64 characters"), std::string::npos)
      << long_prerelease.status().ToString();
  EXPECT_TRUE(ParseVersion("1.0.0-" + std::string(kMaxVersionLength - 6, 'a')).ok());
}

// Versions drawn from a small alphabet so that ties and near-ties are common.
rc::Gen<std::string> GenVersion() {
  return rc::gen::apply(
      [](std::vector<int> core, std::vector<int> pre, bool alpha, bool build) {
        std::string s;
        for (size_t i = 0; i < core.size(); ++i) s += (i ? "." : "") + std::to_string(core[i]);
        if (!pre.empty()) {
          s += "-";
          for (size_t i = 0; i < pre.size(); ++i) {
            s += (i ? "." : "") + (alpha && i == 0 ? std::string("rc") : std::to_string(pre[i]));
          }
        }
        if (build) s += "+b1";
        return s;
      },
      rc::gen::container<std::vector<int>>(*rc::gen::inRange(1, 4), rc::gen::inRange(0, 3)),
      rc::gen::container<std::vector<int>>(*rc::gen::inRange(0, 3), rc::gen::inRange(0, 3)),
      rc::gen::arbitrary<bool>(), rc::gen::arbitrary<bool>());
}

RC_GTEST_PROP(VersionProperties, OrderIsTotalAntisymmetricAndTransitive, ()) {
  auto a = *ParseVersion(*GenVersion()), b = *ParseVersion(*GenVersion()),
       c = *ParseVersion(*GenVersion());
  RC_ASSERT(CompareVersions(a, b) == -CompareVersions(b, a));
  RC_ASSERT(CompareVersions(a, a) == 0);
  if (CompareVersions(a, b) <= 0 && CompareVersions(b, c) <= 0)
    RC_ASSERT(CompareVersions(a, c) <= 0);
}

RC_GTEST_PROP(VersionProperties, EqualPrecedenceOnlyWhenEqualButForBuild, ()) {
  std::string x = *GenVersion(), y = *GenVersion();
  auto strip = [](const std::string& s) { return s.substr(0, s.find('+')); };
  RC_ASSERT((CompareVersions(*ParseVersion(x), *ParseVersion(y)) == 0) == (strip(x) == strip(y)));
}

}  // namespace
}  // namespace dvs
