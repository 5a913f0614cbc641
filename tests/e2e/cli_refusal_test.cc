// Every refusal exits 1 with one clear line naming what and why, and leaves the ledger
// byte-for-byte unchanged. Usage errors exit 2.
#include <chrono>
#include <filesystem>

#include "ledger/entry.pb.h"
#include "ledger/key_files.h"
#include "ledger/keys.h"
#include "statemachine/transition.pb.h"
#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

class CliRefusals : public test::LedgerFixture {
 protected:
  // Runs a command expected to be refused: exit 1, `want` on stderr in one line, ledger unchanged.
  void ExpectRefused(const std::vector<std::string>& args, const std::string& want) {
    const std::string before = Fingerprint();
    Outcome r = Dvs(args);
    EXPECT_EQ(r.code, 1) << args[0] << " stdout: " << r.out << " stderr: " << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line on stderr: " << r.err;
    EXPECT_EQ(Fingerprint(), before) << args[0] << " changed the ledger";
  }
};

TEST_F(CliRefusals, WrongRole) {
  std::string id = Package("1.0");
  ExpectRefused({"approve", id, "--key", Key("publisher")}, "approving needs the governance role");
}

TEST_F(CliRefusals, TickWithAKeyWithoutTheControllerRoleIsRefusedEvenWhenNothingIsDue) {
  // A canary with no observations yet: nothing is due, and still the wrong key is named at once.
  Release("1.0");
  Release("2.0");
  Outcome hold = Dvs({"tick", "--key", Key("controller")});
  ASSERT_EQ(hold.code, 0) << hold.err;
  EXPECT_NE(hold.out.find("hold"), std::string::npos) << hold.out;
  ExpectRefused({"tick", "--key", Key("admin")},
                "does not hold the controller role in this ledger (key 'admin' holds "
                "release_admin)");
}

TEST_F(CliRefusals, DeployingAnUnapprovedBundle) {
  std::string id = Package("1.0");
  ExpectRefused({"deploy", id, "--key", Key("admin")}, "is not approved");
}

TEST_F(CliRefusals, ASecondVersionWithOtherContent) {
  Package("1.0");
  Write("other.yaml", ManifestYaml("1.0", "", "s3://models/other.onnx"));
  ExpectRefused({"package", dir_.Sub("other.yaml"), "--key", Key("publisher")},
                "with other content");
}

TEST_F(CliRefusals, RollbackWithNoPreviousGood) {
  std::string id = Release("1.0");
  ExpectRefused({"rollback", id, "--reason", "x", "--key", Key("admin")},
                "no previous good bundle for tax_calc");
}

TEST_F(CliRefusals, ARevokedKey) {
  ASSERT_EQ(
      Dvs({"key", "revoke", "publisher", "--reason", "laptop lost", "--key", Key("root")}).code, 0);
  Write("m.yaml", ManifestYaml("1.0"));
  ExpectRefused({"package", dir_.Sub("m.yaml"), "--key", Key("publisher")},
                "key 'publisher' was revoked");
}

TEST_F(CliRefusals, AReplayedSignedRequest) {
  std::string id = Package("1.0");
  sm::Transition t;
  t.set_request_id("offline-approve-1");
  t.set_actor_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
  t.mutable_approve()->set_bundle(id);
  SecretKey gov = std::move(LoadSecretKey(Key("governance"))).value();
  ledger::Entry req;
  req.set_body(t.SerializeAsString());
  req.set_signer_key(std::string(gov.public_key().bytes()));
  req.set_signature(gov.Sign(kEntryBodyContext, req.body()));
  Write("approve.req", req.SerializeAsString());
  Outcome first = Dvs({"submit", dir_.Sub("approve.req")});
  ASSERT_EQ(first.code, 0) << first.err;
  ExpectRefused({"submit", dir_.Sub("approve.req")},
                "was already applied (a replayed signed request)");
  req.set_body(req.body() + " ");  // and a tampered one fails its signature
  Write("tampered.req", req.SerializeAsString());
  ExpectRefused({"submit", dir_.Sub("tampered.req")}, "does not verify");
}

// Offline signing end to end: the signing host has keys and no ledger; the ledger's host has the
// ledger and no keys. `--out-request` writes what `dvs submit` reads.
TEST_F(CliRefusals, ARequestSignedOfflineIsSubmittedOnTheLedgerHostOnce) {
  std::string id = Package("1.0");
  const std::string before = Fingerprint();
  const std::string nowhere = dir_.Sub("no-ledger-on-the-signing-host");
  Outcome signed_offline = Dvs({"--ledger", nowhere, "approve", id, "--key", Key("governance"),
                                "--out-request", dir_.Sub("approve.req")});
  ASSERT_EQ(signed_offline.code, 0) << signed_offline.err;
  EXPECT_NE(signed_offline.out.find("submit it with: dvs submit " + dir_.Sub("approve.req")),
            std::string::npos)
      << signed_offline.out;
  EXPECT_FALSE(std::filesystem::exists(nowhere)) << "signing offline opened a ledger";
  EXPECT_EQ(Fingerprint(), before) << "signing offline wrote to the ledger";
  EXPECT_EQ(StatusJson(id).fields().at("state").string_value(), "packaged");

  Outcome submitted = Dvs({"submit", dir_.Sub("approve.req")});
  ASSERT_EQ(submitted.code, 0) << submitted.err;
  EXPECT_NE(submitted.out.find("approve " + id), std::string::npos) << submitted.out;
  EXPECT_EQ(StatusJson(id).fields().at("state").string_value(), "approved");
  ExpectRefused({"submit", dir_.Sub("approve.req")},
                "was already applied (a replayed signed request)");

  // package, with the manifest's content signed in: the same id as packaging on the ledger host.
  Write("m2.yaml", ManifestYaml("2.0"));
  Outcome package = Dvs({"--ledger", nowhere, "package", dir_.Sub("m2.yaml"), "--key",
                         Key("publisher"), "--out-request", dir_.Sub("package.req"), "--json"});
  ASSERT_EQ(package.code, 0) << package.err;
  EXPECT_EQ(test::ParseJson(package.out).fields().at("kind").string_value(), "package")
      << package.out;
  Outcome packaged = Dvs({"submit", dir_.Sub("package.req")});
  ASSERT_EQ(packaged.code, 0) << packaged.err;
  const std::string id2 = Package("2.0");  // identical content: the id of what was submitted
  EXPECT_NE(packaged.out.find(id2), std::string::npos) << packaged.out;
}

// An unset shell variable (`--out-request "$REQ"`) must not turn offline signing into a commit.
TEST_F(CliRefusals, AnEmptyOutRequestIsAUsageErrorNotACommit) {
  std::string id = Package("1.0");
  const std::string before = Fingerprint();
  Outcome r = Dvs({"approve", id, "--key", Key("governance"), "--out-request", ""});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.err.find("--out-request: FILE is empty"), std::string::npos) << r.err;
  EXPECT_EQ(Fingerprint(), before) << "an empty --out-request committed the request";
  EXPECT_EQ(StatusJson(id).fields().at("state").string_value(), "packaged");
}

// Other nodes print the leader's name: a name that could forge a log line is refused.
TEST_F(CliRefusals, AClusterNodeNameIsPlainText) {
  for (const std::string& bad : {std::string("a\nb"), std::string(""), std::string(65, 'n'),
                                 std::string("../x"), std::string("n 1")}) {
    Outcome r = Dvs({"serve", "--listen", "127.0.0.1:0", "--cluster", "etcd://127.0.0.1:1/x",
                     "--node-name", bad});
    EXPECT_EQ(r.code, 2) << "'" << bad << "': " << r.err;
    EXPECT_NE(r.err.find("--node-name"), std::string::npos) << r.err;
  }
}

TEST_F(CliRefusals, DeployingARolledBackBundle) {
  Release("1.0");
  std::string v2 = Release("2.0");
  ASSERT_EQ(Dvs({"rollback", v2, "--reason", "bad", "--key", Key("admin")}).code, 0);
  ExpectRefused({"deploy", v2, "--key", Key("admin")}, "rolled_back, which is final");
}

TEST_F(CliRefusals, SecondCanaryAndUnknownBundle) {
  Release("1.0");
  std::string v2 = Release("2.0");
  std::string v3 = Package("3.0");
  ASSERT_EQ(Dvs({"approve", v3, "--key", Key("governance")}).code, 0);
  ExpectRefused({"deploy", v3, "--key", Key("admin")}, "already has a canary, " + v2);
  ExpectRefused({"deploy", "tax_calc_9.9_000000", "--key", Key("admin")},
                "no bundle 'tax_calc_9.9_000000'");
}

TEST_F(CliRefusals, GroupReadableKeyFile) {
  std::string id = Package("1.0");
  chmod(Key("governance").c_str(), 0644);
  ExpectRefused({"approve", id, "--key", Key("governance")},
                "is readable by group or others (mode 0644)");
}

TEST_F(CliRefusals, AnEncryptedKeySignsOnlyWithItsPassphrase) {
  setenv("DVS_PASSPHRASE", "s3cret passphrase", 1);
  ASSERT_EQ(Dvs({"keygen", "--out", Key("vault"), "--passphrase"}).code, 0);
  Grant("vault", "governance");
  std::string id = Package("1.0");
  unsetenv("DVS_PASSPHRASE");  // no passphrase and no terminal: refused, nothing written
  ExpectRefused({"approve", id, "--key", Key("vault")}, "is encrypted: set DVS_PASSPHRASE");
  setenv("DVS_PASSPHRASE", "wrong", 1);
  ExpectRefused({"approve", id, "--key", Key("vault")}, "wrong passphrase for key file");
  setenv("DVS_PASSPHRASE", "s3cret passphrase", 1);
  Outcome ok = Dvs({"approve", id, "--key", Key("vault")});
  unsetenv("DVS_PASSPHRASE");
  EXPECT_EQ(ok.code, 0) << ok.err;
}

TEST_F(CliRefusals, NoLedgerHere) {
  Outcome r = test::WaitDvs(test::StartDvs({"routes"}, dir_.Sub("nowhere"), dir_.path(), "nowhere"),
                            dir_.path(), "nowhere");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no ledger at"), std::string::npos) << r.err;
}

struct BadManifest {
  const char* what;
  std::string yaml;
  const char* want;
};

TEST_F(CliRefusals, BadManifestsAreRefusedBeforeAnythingIsWritten) {
  const std::string gov = "governance: {license: MIT, ethics_review: passed, fedramp: high}\n";
  const std::string base = "name: tax_calc\nversion: \"1.0\"\ncode: c\n" + gov;
  const std::vector<BadManifest> cases = {
      {"not yaml", "name: [unclosed\n", "not valid YAML"},
      {"not a mapping", "- a\n- b\n", "a manifest is a mapping"},
      {"unknown key", base + "canary_percent: 5\n", "canary_percent: unknown key"},
      {"duplicate key", base + "code: d\n", "code: appears twice"},
      {"missing name", "version: \"1.0\"\ncode: c\n", "name: is required"},
      {"missing version", "name: tax_calc\ncode: c\n", "version: is required"},
      {"invalid version", "name: tax_calc\nversion: 1.0.0.0\ncode: c\n", "4 numeric parts"},
      {"leading zero", "name: tax_calc\nversion: \"01.0\"\ncode: c\n", "leading zero"},
      {"invalid name", "name: tax calc\nversion: \"1.0\"\ncode: c\n",
       "name: 'tax calc' has the character ' '"},
      {"name starts with digit", "name: 9lives\nversion: \"1.0\"\ncode: c\n",
       "must start with a letter"},
      {"canary 0", base + "canary_pct: 0\n", "canary_pct: 0 is outside 1..100"},
      {"canary 101", base + "canary_pct: 101\n", "canary_pct: 101 is outside 1..100"},
      {"canary not a number", base + "canary_pct: five\n",
       "canary_pct: expected a whole number, got 'five'"},
      {"step 0", base + "rollout: {step_pct: 0}\n", "rollout.step_pct: 0 is outside 1..100"},
      {"duration without unit", base + "rollout: {interval: 60}\n", "needs a unit (ms, s, m, h)"},
      {"duration bad unit", base + "rollout: {warm_for: 30d}\n", "unknown unit 'd'"},
      {"malformed condition", base + "rollout: {promote_when: [\"error_rate << 1\"]}\n",
       "rollout.promote_when[0]: condition 'error_rate << 1': at column 12"},
      {"condition list not a list", base + "rollout: {rollback_when: \"error_rate > 1\"}\n",
       "rollout.rollback_when: expected a list"},
      {"unknown rollout key", base + "rollout: {step: 20}\n", "rollout.step: unknown key"},
      {"nested config", base + "config: {brackets: {a: 1}}\n",
       "config.brackets: expected a single value"},
      {"config not a map", base + "config: [a, b]\n", "config: expected a mapping"},
      {"oversized field", base + "model: " + std::string(2000, 'm') + "\n",
       "model: is 2000 characters, at most 1024"},
      {"nothing inside", "name: tax_calc\nversion: \"1.0\"\n",
       "at least one of code, model or config"},
      {"missing artifact", base + "artifacts: [no/such/file]\n", "artifacts[0]: cannot read"},
      {"too large", base + "# " + std::string(70000, 'x') + "\n", "larger than 65536 bytes"},
  };
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Write("bad.yaml", c.yaml);
    ExpectRefused({"package", dir_.Sub("bad.yaml"), "--key", Key("publisher")}, c.want);
  }
}

TEST_F(CliRefusals, APolicyWithAnEmptyListIsRefusedNamingTheKey) {
  // Each would allow anything: any license, any value of the tag.
  for (auto [yaml, want] : std::vector<std::pair<std::string, std::string>>{
           {"allowed_licenses: []\n", "allowed_licenses: is an empty list"},
           {"allowed_licenses: [MIT]\nrequired_tags: {fedramp: []}\n",
            "required_tags.fedramp: is an empty list, which would allow any value"},
           {"required_reviews: []\n", "required_reviews: is an empty list"}}) {
    SCOPED_TRACE(yaml);
    Write("empty.yaml", yaml);
    ExpectRefused({"policy", "set", dir_.Sub("empty.yaml"), "--key", Key("root")}, want);
  }
  // `~` says "any value" on purpose, and is accepted.
  Write("any.yaml", "allowed_licenses: [Apache-2.0]\nrequired_tags: {fedramp: ~}\n");
  Outcome r = Dvs({"policy", "set", dir_.Sub("any.yaml"), "--key", Key("root")});
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(CliRefusals, UsageErrorsExitTwo) {
  const std::string before = Fingerprint();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"deploy"},
           {"deploy", "x", "--canary-pct", "many"},
           {"observe", "x", "--metric", "error_rate", "--key", Key("observer")},
           {"observe", "x", "--metric", "error_rate=high", "--key", Key("observer")},
           {"audit", "--since", "yesterday"},
           {"approve", "x"},  // no key: neither --key nor DVS_KEY
       }) {
    Outcome r = Dvs(args);
    EXPECT_EQ(r.code, 2) << (args.empty() ? "(none)" : args[0]) << ": " << r.err;
    EXPECT_FALSE(r.err.empty());
  }
  EXPECT_EQ(Fingerprint(), before);
}

TEST_F(CliRefusals, EverySubcommandExplainsItselfWithAnExample) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"keygen"},  {"init"},    {"key", "grant"},   {"key", "revoke"}, {"policy", "set"},
           {"package"}, {"approve"}, {"reject"},         {"deploy"},        {"observe"},
           {"tick"},    {"promote"}, {"pause"},          {"resume"},        {"rollback"},
           {"retire"},  {"status"},  {"routes"},         {"history"},       {"log"},
           {"audit"},   {"submit"},  {"verify-artifact"}}) {
    auto with_help = args;
    with_help.push_back("--help");
    Outcome r = Dvs(with_help);
    EXPECT_EQ(r.code, 0) << args.back();
    EXPECT_NE(r.out.find("Example"), std::string::npos) << args.back() << ": " << r.out;
  }
}

}  // namespace
}  // namespace dvs
