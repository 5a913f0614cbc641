#include "ledger/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/test_util.h"

namespace dvs {
namespace {

void WriteText(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

TEST(Keys, WrittenKeyLoadsBackAndSigns) {
  test::TempDir dir;
  SecretKey key = SecretKey::Generate();
  ASSERT_TRUE(WriteKeyFiles(key, dir.Sub("k")).ok());
  struct stat st;
  ASSERT_EQ(::stat(dir.Sub("k").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto loaded = LoadSecretKey(dir.Sub("k"));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto pub = LoadPublicKey(dir.Sub("k.pub"));
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(*pub, key.public_key());
  EXPECT_EQ(pub->Id().size(), 16u);
  std::string sig = loaded->Sign(kEntryBodyContext, "hello");
  EXPECT_TRUE(pub->Verify(kEntryBodyContext, "hello", sig));
  EXPECT_FALSE(pub->Verify(kEntryBodyContext, "hellO", sig));
}

TEST(Keys, SignatureForAnotherContextDoesNotVerify) {
  SecretKey key = test::KeyFromNumber(1);
  std::string sig = key.Sign("dvs/v1 checkpoint\n", "payload");
  EXPECT_FALSE(key.public_key().Verify(kEntryBodyContext, "payload", sig));
}

TEST(Keys, ExistingKeyFileIsNotOverwritten) {
  test::TempDir dir;
  ASSERT_TRUE(WriteKeyFiles(SecretKey::Generate(), dir.Sub("k")).ok());
  Status s = WriteKeyFiles(SecretKey::Generate(), dir.Sub("k"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("already exists"), std::string::npos) << s.ToString();
}

TEST(Keys, GroupReadableSecretKeyIsRefusedLikeSsh) {
  test::TempDir dir;
  ASSERT_TRUE(WriteKeyFiles(SecretKey::Generate(), dir.Sub("k")).ok());
  ::chmod(dir.Sub("k").c_str(), 0644);
  auto r = LoadSecretKey(dir.Sub("k"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("mode 0644"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find(dir.Sub("k")), std::string::npos);
}

struct BadKeyFile {
  const char* name;
  std::string content;
  const char* expect;
};

TEST(Keys, BadKeyFilesGetErrorsNamingFileAndProblem) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(7);
  ASSERT_TRUE(WriteKeyFiles(key, dir.Sub("good")).ok());
  std::ifstream pub_in(dir.Sub("good.pub"));
  std::string pub_text((std::istreambuf_iterator<char>(pub_in)), {});
  const std::vector<BadKeyFile> cases = {
      {"empty", "", "not a dvs secret key file"},
      {"header-only", "dvs-secret-key-v1 ed25519\n", "truncated"},
      {"header-no-newline", "dvs-secret-key-v1 ed25519", "truncated"},
      {"bad-base64", "dvs-secret-key-v1 ed25519\n!!!notbase64!!!\n", "malformed base64"},
      {"short", "dvs-secret-key-v1 ed25519\nAAAA\n", "expected 32"},
      {"pem", "-----BEGIN PRIVATE KEY-----\nMC4CAQ==\n", "not a dvs secret key file"},
      {"public-as-secret", pub_text, "wrong kind of key"},
  };
  for (const auto& c : cases) {
    WriteText(dir.Sub(c.name), c.content);
    auto r = LoadSecretKey(dir.Sub(c.name));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.name << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(dir.Sub(c.name)), std::string::npos) << c.name;
  }
  EXPECT_TRUE(LoadSecretKey(dir.Sub("missing")).status().IsNotFound());
  auto secret_as_public = LoadPublicKey(dir.Sub("good"));
  ASSERT_FALSE(secret_as_public.ok());
  EXPECT_NE(secret_as_public.status().message().find("wrong kind of key"), std::string::npos);
}

}  // namespace
}  // namespace dvs
