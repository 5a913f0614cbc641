#include "ledger/checkpoint.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace dvs {
namespace {

Checkpoint Example() {
  Checkpoint c;
  c.origin = "irs-prod";
  c.size = 1024;
  c.root = Sha256("root");
  return c;
}

TEST(Checkpoint, SignedNoteRoundTripsAndVerifies) {
  SecretKey key = test::KeyFromNumber(9);
  std::string note = SignCheckpoint(Example(), "log", key);
  EXPECT_EQ(note.substr(0, note.find("\n\n") + 1),
            "irs-prod\n1024\n" + ToBase64(AsBytes(Sha256("root"))) + "\n");
  EXPECT_NE(note.find("\n\n\xE2\x80\x94 log "), std::string::npos);  // "— log <sig>"
  auto parsed = ParseCheckpoint(note);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->checkpoint.origin, "irs-prod");
  EXPECT_EQ(parsed->checkpoint.size, 1024u);
  EXPECT_EQ(parsed->checkpoint.root, Sha256("root"));
  EXPECT_TRUE(VerifyCheckpoint(*parsed, "log", key.public_key()).ok());
  EXPECT_FALSE(VerifyCheckpoint(*parsed, "log", test::KeyFromNumber(10).public_key()).ok());
  EXPECT_FALSE(VerifyCheckpoint(*parsed, "other", key.public_key()).ok());
}

TEST(Checkpoint, AnyChangeToTheTextBreaksTheSignature) {
  SecretKey key = test::KeyFromNumber(9);
  std::string note = SignCheckpoint(Example(), "log", key);
  std::string forged = note;
  forged.replace(forged.find("1024"), 4, "1025");
  auto parsed = ParseCheckpoint(forged);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(VerifyCheckpoint(*parsed, "log", key.public_key()).ok());
}

TEST(Checkpoint, MalformedNotesNameTheProblem) {
  const std::string root = ToBase64(AsBytes(Sha256("root")));
  const std::string sig = "\xE2\x80\x94 log " + ToBase64(std::string(68, 'x')) + "\n";
  struct Case {
    std::string note;
    const char* want;
  } cases[] = {
      {"irs-prod\n12\n" + root + "\n", "no blank line"},
      {"irs-prod\n12\n\n" + sig, "origin, size and root"},
      {"\n12\n" + root + "\n\n" + sig, "line 1: the origin is empty"},
      {"irs-prod\n012\n" + root + "\n\n" + sig, "line 2: '012' is not a tree size"},
      {"irs-prod\ntwelve\n" + root + "\n\n" + sig, "is not a tree size"},
      {"irs-prod\n12\nnot-base64!\n\n" + sig, "line 3: the root is not"},
      {"irs-prod\n12\n" + root + "\n\n- log abc\n", "em dash"},
      {"irs-prod\n12\n" + root + "\n\n\xE2\x80\x94 log " + ToBase64("short") + "\n", "68 bytes"},
      {"irs-prod\n12\n" + root + "\n\n" + sig.substr(0, sig.size() - 1), "must end with a newline"},
      {std::string(20000, 'x'), "larger than"},
  };
  for (const auto& c : cases) {
    auto r = ParseCheckpoint(c.note);
    ASSERT_FALSE(r.ok()) << c.want;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().ToString();
  }
}

}  // namespace
}  // namespace dvs
