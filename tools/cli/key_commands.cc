// keygen, init, key grant|revoke|list, policy set.
#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "api/manifest/manifest.h"
#include "api/service/transitions.h"
#include "ledger/key_files.h"
#include "statemachine/roles.h"
#include "tools/cli/cli.h"

namespace dvs::cli {

namespace {

struct KeyArgs {
  std::string out, root_key, name = "dvs", key, key_name, pub, reason, file;
  std::vector<std::string> roles;
  bool passphrase = false;
};

int Keygen(const Globals& g, const KeyArgs& a) {
  SecretKey key = SecretKey::Generate();
  std::string pass;
  if (a.passphrase) {
    auto p = PassphraseFromEnvironmentOrTerminal(a.out);
    if (!p.ok()) return Fail("keygen", p.status());
    if (std::getenv("DVS_PASSPHRASE") == nullptr) {  // typed: ask again to catch a typo
      auto again = PassphraseFromEnvironmentOrTerminal(a.out + " (again)");
      if (!again.ok() || *again != *p)
        return Fail("keygen", Status::InvalidArgument("the passphrases differ"));
    }
    pass = *p;
  }
  Status s = WriteKeyFiles(key, a.out, a.passphrase ? &pass : nullptr);
  sodium_memzero(pass.data(), pass.size());
  if (!s.ok()) return Fail("keygen", s);
  if (g.json) {
    Json j;
    j.BeginObject().Key("key_id").String(key.public_key().Id());
    j.Key("secret_key").String(a.out).Key("public_key").String(a.out + ".pub");
    j.Key("encrypted").Bool(a.passphrase).EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%s\n", key.public_key().Id().c_str());
  return kExitOk;
}

int Init(const Globals& g, const KeyArgs& a) {
  if (int e = LocalOnly(g, "init")) return e;
  auto root = LoadSecretKey(a.root_key);
  if (!root.ok()) return Fail("init", root.status());
  auto svc = ReleaseService::Init(g.ledger, *root, a.name);
  if (!svc.ok()) return Fail("init", svc.status());
  if (g.json) {
    Json j;
    j.BeginObject().Key("ledger").String(a.name).Key("path").String(g.ledger);
    j.Key("root_key").String(root->public_key().Id()).EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("ledger %s created at %s; root key %s\n", a.name.c_str(), g.ledger.c_str(),
              root->public_key().Id().c_str());
  return kExitOk;
}

int Grant(const Globals& g, const KeyArgs& a) {
  auto pub = LoadPublicKey(a.pub);
  if (!pub.ok()) return Fail("key grant", pub.status());
  return Signed(g, "key grant", a.key, make::GrantKey(a.key_name, *pub, a.roles));
}

int Revoke(const Globals& g, const KeyArgs& a) {
  return Signed(g, "key revoke", a.key, make::RevokeKey(a.key_name, a.reason));
}

int List(const Globals& g) {
  return PrintQuery(g, "key list", Query::Keys(), OutputFormat(g));
}

int PolicySet(const Globals& g, const KeyArgs& a) {
  auto policy = LoadPolicy(a.file);
  if (!policy.ok()) return Fail("policy set", policy.status());
  return Signed(g, "policy set", a.key, make::SetPolicy(*policy));
}

}  // namespace

void AddKeyCommands(CLI::App& app, Globals& g) {
  static KeyArgs a;

  auto* keygen =
      app.add_subcommand("keygen", "Make an Ed25519 key pair: FILE (mode 0600) and FILE.pub");
  keygen->add_option("--out", a.out, "secret key file to write; FILE.pub is written beside it")
      ->required();
  keygen->add_flag("--passphrase", a.passphrase,
                   "encrypt the secret key file (Argon2id + secretbox); the passphrase comes from "
                   "$DVS_PASSPHRASE, else it is asked twice on the terminal");
  keygen->footer(
      "Prints the key id. Commands that sign with an encrypted key ask for its passphrase\n"
      "(or read $DVS_PASSPHRASE).\nExample:\n  dvs keygen --out keys/release-admin.key "
      "--passphrase");
  AddJsonOption(keygen, &g, "print the key id and the files written as JSON");
  keygen->callback([&] { g.exit_code = Keygen(g, a); });

  auto* init =
      app.add_subcommand("init", "Create a ledger whose genesis is signed by the root key");
  init->add_option("--root-key", a.root_key, "the root's secret key file")->required();
  init->add_option("--name", a.name, "the ledger's name (its origin in checkpoints; default: dvs)");
  init->footer(
      "Example:\n  dvs init --ledger ./var/ledger --root-key keys/root.key --name irs-prod");
  AddJsonOption(init, &g, "print the ledger's name, folder and root key as JSON");
  init->callback([&] { g.exit_code = Init(g, a); });

  auto* key = app.add_subcommand("key", "Grant, revoke and list the keys that may sign");
  key->require_subcommand(1);
  auto* grant =
      key->add_subcommand("grant", "Register a public key under NAME with roles (root only)");
  grant->add_option("name", a.key_name, "the key's name, unique forever")->required();
  grant->add_option("--pub", a.pub, "the public key file (FILE.pub from keygen)")->required();
  grant
      ->add_option(
          "--role", a.roles,
          "root, governance, publisher, release_admin, observer, controller, log (repeatable)")
      ->required();
  AddKeyOption(grant, &a.key);
  AddOutRequestOption(grant, &g);
  AddJsonOption(grant, &g, kReceiptJson);
  grant->footer(
      "Example:\n  dvs key grant alice --pub keys/alice.key.pub --role release_admin --key "
      "keys/root.key");
  grant->callback([&] { g.exit_code = Grant(g, a); });

  auto* revoke =
      key->add_subcommand("revoke", "Revoke a key: it can sign nothing from now on (root only)");
  revoke->add_option("name", a.key_name, "the key's name")->required();
  PrintableText(revoke->add_option("--reason", a.reason, "why, for the audit trail"))->required();
  AddKeyOption(revoke, &a.key);
  AddOutRequestOption(revoke, &g);
  AddJsonOption(revoke, &g, kReceiptJson);
  revoke->footer("Example:\n  dvs key revoke alice --reason 'laptop lost' --key keys/root.key");
  revoke->callback([&] { g.exit_code = Revoke(g, a); });

  auto* list = key->add_subcommand("list", "List keys, their roles and revocations");
  AddJsonOption(list, &g);
  list->footer("Example:\n  dvs key list --json");
  list->callback([&] { g.exit_code = List(g); });

  auto* policy = app.add_subcommand("policy", "Governance policy");
  policy->require_subcommand(1);
  auto* set =
      policy->add_subcommand("set", "Set the governance policy from a YAML file (root only)");
  set->add_option("file", a.file, "policy YAML: allowed_licenses, required_reviews, required_tags")
      ->required();
  AddKeyOption(set, &a.key);
  AddOutRequestOption(set, &g);
  AddJsonOption(set, &g, kReceiptJson);
  set->footer(
      "Example policy.yaml:\n  allowed_licenses: [Apache-2.0, MIT]\n  required_reviews: "
      "[ethics_review]\n"
      "  required_tags: {fedramp: [moderate, high]}");
  set->callback([&] { g.exit_code = PolicySet(g, a); });
}

}  // namespace dvs::cli
