// dvs::Ledger (dvs/ledger.h), the public façade, as an embedding program uses it: key files on
// disk, manifests as YAML, plain values back; and its answers are ReleaseService's.
#include <gtest/gtest.h>

#include <fstream>

#include "api/service/release_service.h"
#include "dvs/ledger.h"
#include "ledger/key_files.h"
#include "tests/statemachine/harness.h"
#include "tests/test_util.h"

namespace dvs {
namespace {

constexpr char kManifest[] = R"(name: tax_calc
version: "VERSION"
code: registry.gov/tax_calc:VERSION
governance: {license: MIT}
)";

std::string ManifestYaml(const std::string& version) {
  std::string yaml = kManifest;
  for (size_t at; (at = yaml.find("VERSION")) != std::string::npos;) yaml.replace(at, 7, version);
  return yaml;
}

class LedgerFacadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The keys and their roles, set up through the internal library, which then closes the
    // ledger: one process opens a ledger at most once.
    {
      auto svc = ReleaseService::Init(path_, h_.root, "facade");
      ASSERT_TRUE(svc.ok()) << svc.status().ToString();
      for (auto [name, key, role] :
           std::vector<std::tuple<std::string, const SecretKey*, std::string>>{
               {"governance", &h_.governance, "governance"},
               {"publisher", &h_.publisher, "publisher"},
               {"admin", &h_.admin, "release_admin"},
               {"observer", &h_.observer, "observer"}}) {
        ASSERT_TRUE((*svc)->GrantKey(h_.root, name, key->public_key(), {role}).ok());
      }
    }
    publisher_ = KeyFile("publisher", h_.publisher);
    governance_ = KeyFile("governance", h_.governance);
    admin_ = KeyFile("admin", h_.admin);
    observer_ = KeyFile("observer", h_.observer);
    auto l = Ledger::Open(path_);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ledger_ = std::move(*l);
  }

  std::optional<SigningKey> KeyFile(const std::string& name, const SecretKey& key) {
    const std::string path = dir_.Sub(name + ".key");
    EXPECT_TRUE(WriteKeyFiles(key, path).ok());
    auto k = SigningKey::Load(path);
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? std::optional<SigningKey>(*k) : std::nullopt;
  }

  std::string Packaged(const std::string& version) {
    auto id = ledger_->PackageYaml(*publisher_, ManifestYaml(version), dir_.path());
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_TRUE(ledger_->Approve(*governance_, *id).ok());
    return *id;
  }

  test::TempDir dir_;
  std::string path_ = dir_.Sub("ledger");
  test::Harness h_;
  std::optional<SigningKey> publisher_, governance_, admin_, observer_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(LedgerFacadeTest, AReleaseFromPackageToRetirementInPlainValues) {
  const std::string v1 = Packaged("8.7");
  auto first = ledger_->Deploy(*admin_, v1);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->kind, "deploy");
  EXPECT_EQ(first->bundle, v1);
  EXPECT_EQ(first->state, "stable");
  EXPECT_EQ(first->weight_after, 100u);
  EXPECT_EQ(first->hash_hex.size(), 64u);

  const std::string v2 = Packaged("8.8");
  auto canary = ledger_->Deploy(*admin_, v2, 10);
  ASSERT_TRUE(canary.ok()) << canary.status().ToString();
  EXPECT_EQ(canary->state, "canary");
  EXPECT_EQ(canary->weight_after, 10u);
  ASSERT_TRUE(ledger_->Observe(*observer_, v2, {{"error_rate", 0.01}}, 500).ok());
  ASSERT_TRUE(ledger_->Pause(*admin_, v2, "looking").ok());
  ASSERT_TRUE(ledger_->Resume(*admin_, v2).ok());

  auto status = ledger_->StatusOfBundle(v2);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->version, "8.8");
  EXPECT_EQ(status->role, "canary");
  EXPECT_EQ(status->approved_by, "governance");
  EXPECT_EQ(status->metrics.at("error_rate"), 0.01);
  EXPECT_EQ(status->samples, 500u);

  auto routes = ledger_->RoutesOf("tax_calc");
  ASSERT_TRUE(routes.ok());
  ASSERT_EQ(routes->size(), 2u);
  EXPECT_EQ((*routes)[0].role, "stable");
  EXPECT_EQ((*routes)[0].weight + (*routes)[1].weight, 100u);

  auto promoted = ledger_->Promote(*admin_, v2, /*full=*/true);
  ASSERT_TRUE(promoted.ok()) << promoted.status().ToString();
  EXPECT_EQ(promoted->state, "stable");
  EXPECT_TRUE(ledger_->Retire(*admin_, v1, "superseded by 8.8").ok());

  const std::string v3 = Packaged("8.9");
  ASSERT_TRUE(ledger_->Deploy(*admin_, v3).ok());
  auto rolled = ledger_->Rollback(*admin_, v3, "errors");
  ASSERT_TRUE(rolled.ok()) << rolled.status().ToString();
  EXPECT_EQ(rolled->state, "rolled_back");
  EXPECT_EQ(rolled->weight_after, 0u);

  auto v4 = ledger_->PackageYaml(*publisher_, ManifestYaml("9.0"), dir_.path());
  ASSERT_TRUE(v4.ok());
  auto rejected = ledger_->Reject(*governance_, *v4, "no review");
  ASSERT_TRUE(rejected.ok()) << rejected.status().ToString();
  EXPECT_EQ(rejected->state, "rejected");

  auto service = ledger_->StatusOfService("tax_calc");
  ASSERT_TRUE(service.ok());
  ASSERT_EQ(service->size(), 1u);
  EXPECT_EQ((*service)[0].bundle, v2);
  EXPECT_EQ((*service)[0].weight, 100u);

  auto head = ledger_->GetHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->hash_hex, rejected->hash_hex);
  EXPECT_EQ(head->size, rejected->seq + 1);
}

TEST_F(LedgerFacadeTest, RowsAreTheLedgersEntries) {
  const std::string v1 = Packaged("8.7");
  ASSERT_TRUE(ledger_->Deploy(*admin_, v1).ok());
  auto history = ledger_->History("tax_calc");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].kind, "package");
  EXPECT_EQ((*history)[0].actor, "publisher");
  EXPECT_EQ((*history)[0].actor_key, publisher_->id());
  EXPECT_EQ((*history)[2].kind, "deploy");
  EXPECT_EQ((*history)[2].weight_after, 100u);

  Ledger::AuditFilter only_deploys;
  only_deploys.type = "deploy";
  auto audit = ledger_->Audit(only_deploys);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].seq, (*history)[2].seq);

  auto head = ledger_->GetHead();
  ASSERT_TRUE(head.ok());
  auto log = ledger_->Log(0, head->size + 10);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->size(), head->size);
  EXPECT_EQ(log->front().kind, "genesis");
}

TEST_F(LedgerFacadeTest, RefusalsAreValuesThatNameTheProblem) {
  auto unknown = ledger_->Approve(*governance_, "nope_1.0_abcdef");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("nope_1.0_abcdef"), std::string::npos);

  auto bad = ledger_->PackageYaml(*publisher_, "name: tax_calc\n", dir_.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status().ToString();

  const std::string v1 = Packaged("8.7");
  auto wrong_role = ledger_->Deploy(*publisher_, v1);
  ASSERT_FALSE(wrong_role.ok());
  EXPECT_TRUE(wrong_role.status().IsForbidden()) << wrong_role.status().ToString();

  auto missing = SigningKey::Load(dir_.Sub("absent.key"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.key"), std::string::npos);
}

TEST_F(LedgerFacadeTest, WithALogKeyWritesAreCheckpointed) {
  // The log key's role is granted through the internal library, then the facade reopens (one
  // open of a ledger per process at a time).
  ledger_.reset();
  {
    auto svc = ReleaseService::Open(path_);
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    const SecretKey log_key = test::KeyFromNumber(7);
    ASSERT_TRUE((*svc)->GrantKey(h_.root, "log", log_key.public_key(), {"log"}).ok());
  }
  LedgerOptions options;
  options.log_key = KeyFile("log", test::KeyFromNumber(7));
  options.checkpoint_every = 2;
  auto l = Ledger::Open(path_, options);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ledger_ = std::move(*l);
  ASSERT_TRUE(ledger_->Deploy(*admin_, Packaged("8.7")).ok());
  auto rows = ledger_->Log(0, 1000);
  ASSERT_TRUE(rows.ok());
  size_t checkpoints = 0;
  for (const Ledger::Row& r : *rows) checkpoints += r.kind == "checkpoint";
  EXPECT_GE(checkpoints, 1u);
}

TEST(LedgerFacade, InitThenOpenFromAManifestFile) {
  test::TempDir dir;
  ASSERT_TRUE(WriteKeyFiles(test::KeyFromNumber(1), dir.Sub("root.key")).ok());
  auto root = SigningKey::Load(dir.Sub("root.key"));
  ASSERT_TRUE(root.ok());
  {
    auto made = Ledger::Init(dir.Sub("ledger"), *root, "fresh");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    auto head = (*made)->GetHead();
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->size, 1u);
  }
  EXPECT_FALSE(Ledger::Init(dir.Sub("ledger"), *root, "again").ok());
  auto opened = Ledger::Open(dir.Sub("ledger"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::ofstream(dir.Sub("m.yaml")) << ManifestYaml("1.0");
  // Root holds no publisher role: refused, and the manifest file was read to get there.
  auto id = (*opened)->PackageFile(*root, dir.Sub("m.yaml"));
  ASSERT_FALSE(id.ok());
  EXPECT_TRUE(id.status().IsForbidden()) << id.status().ToString();
  EXPECT_FALSE((*opened)->PackageFile(*root, dir.Sub("absent.yaml")).ok());
}

// A SigningKey has no moved-from state: "moving" one copies it, so both still sign.
TEST_F(LedgerFacadeTest, AKeyMovedElsewhereStillSigns) {
  SigningKey k = *publisher_;
  SigningKey taken = std::move(k);
  auto first = ledger_->PackageYaml(k, ManifestYaml("1.0"), dir_.path());  // NOLINT(bugprone-use-after-move)
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = ledger_->PackageYaml(taken, ManifestYaml("1.1"), dir_.path());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(k.id(), taken.id());
}

}  // namespace
}  // namespace dvs
