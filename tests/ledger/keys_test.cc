#include "ledger/key_files.h"
#include "ledger/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "ledger/hash.h"
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
      {"public-as-secret", pub_text, "is a public key; signing needs the secret key"},
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

PassphraseFn Answer(std::string pass) {
  return [pass](const std::string&) -> Result<std::string> { return pass; };
}

TEST(Keys, PassphraseProtectedKeyLoadsOnlyWithItsPassphrase) {
  test::TempDir dir;
  SecretKey key = test::KeyFromNumber(3);
  const std::string pass = "correct horse battery staple";
  ASSERT_TRUE(WriteKeyFiles(key, dir.Sub("k"), &pass).ok());
  std::ifstream in(dir.Sub("k"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find(ToBase64(key.seed())), std::string::npos) << "the seed is stored in clear";
  EXPECT_EQ(text.substr(0, text.find('\n')), "dvs-secret-key-v1 ed25519 encrypted");

  auto loaded = LoadSecretKey(dir.Sub("k"), Answer(pass));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->public_key(), key.public_key());
  EXPECT_EQ(loaded->seed(), key.seed());

  auto wrong = LoadSecretKey(dir.Sub("k"), Answer("incorrect horse"));
  EXPECT_EQ(wrong.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find("wrong passphrase for key file"), std::string::npos);

  auto refused = LoadSecretKey(dir.Sub("k"), [](const std::string& path) -> Result<std::string> {
    return Status::PermissionDenied("key file " + path + " is encrypted: set DVS_PASSPHRASE");
  });
  EXPECT_NE(refused.status().message().find("is encrypted"), std::string::npos);
  // The public half stays plain.
  EXPECT_EQ(*LoadPublicKey(dir.Sub("k.pub")), key.public_key());
}

TEST(Keys, AnAlteredEncryptedKeyFileIsRefused) {
  test::TempDir dir;
  const std::string pass = "pass";
  ASSERT_TRUE(WriteKeyFiles(test::KeyFromNumber(4), dir.Sub("k"), &pass).ok());
  std::ifstream in(dir.Sub("k"));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  size_t body = text.find('\n') + 1;
  std::string raw = *FromBase64(text.substr(body, text.size() - body - 1));
  raw[raw.size() - 1] ^= 1;
  WriteText(dir.Sub("altered"), text.substr(0, body) + ToBase64(raw) + "\n");
  auto r = LoadSecretKey(dir.Sub("altered"), Answer(pass));
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied);
  WriteText(dir.Sub("short"), text.substr(0, body) + ToBase64(raw.substr(0, 40)) + "\n");
  EXPECT_NE(LoadSecretKey(dir.Sub("short"), Answer(pass)).status().message().find("expected 88"),
            std::string::npos);
  const std::string empty;
  EXPECT_FALSE(WriteKeyFiles(test::KeyFromNumber(5), dir.Sub("empty"), &empty).ok());
}

}  // namespace
}  // namespace dvs
