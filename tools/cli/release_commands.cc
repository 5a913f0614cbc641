// package, approve, reject, deploy, observe, tick, promote, pause, resume, rollback, retire,
// verify-artifact.
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "api/manifest/manifest.h"
#include "api/service/transitions.h"
#include "ledger/entry.pb.h"
#include "ledger/files.h"
#include "ledger/limits.h"
#include "statemachine/condition.h"
#include "statemachine/manifest_rules.h"
#include "tools/cli/cli.h"

namespace dvs::cli {

namespace {

// As the manifest's rollout.min_samples (api/manifest.cc).
constexpr uint64_t kMaxSamples = uint64_t{1} << 40;

struct ReleaseArgs {
  std::string key, manifest, bundle, reason, file;
  uint32_t canary_pct = 0;
  std::vector<std::string> metrics, services;
  uint64_t samples = 1;
  bool full = false;
};

// The bundle id, as text (the id alone: scripts capture it) or {"bundle": ID}.
int Package(const Globals& g, const ReleaseArgs& a) {
  auto key = LoadSigningKey(a.key);
  if (!key.ok()) return KeyFail("package", key.status());
  auto m = LoadManifest(a.manifest);
  if (!m.ok()) return Fail("package", m.status());
  if (!g.out_request.empty()) {
    if (Status v = ValidateManifest(*m); !v.ok()) return Fail("package", v);
    return WriteRequest(g, "package", SignTransition(*key, make::Package(EncodeManifest(*m))));
  }
  auto client = OpenClient(g);
  if (!client.ok()) return Fail("package", client.status());
  auto out = (*client)->Package(*key, *m, OutputFormat(g));
  if (!out.ok()) return Fail("package", out.status());
  std::fputs(out->c_str(), stdout);
  return kExitOk;
}

Result<Metrics> ParseMetrics(const std::vector<std::string>& specs) {
  Metrics out;
  for (const std::string& s : specs) {
    size_t eq = s.find('=');
    if (eq == std::string::npos)
      return Status::InvalidArgument("--metric '" + s + "' is not NAME=VALUE");
    std::string name = s.substr(0, eq), value = s.substr(eq + 1);
    if (!IsMetricName(name))
      return Status::InvalidArgument("--metric '" + s + "': '" + name + "' is not a metric name");
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') {
      return Status::InvalidArgument("--metric '" + s + "': '" + value + "' is not a number");
    }
    if (!out.emplace(name, v).second)
      return Status::InvalidArgument("--metric " + name + " is given twice");
  }
  return out;
}

int Observe(const Globals& g, const ReleaseArgs& a) {
  auto metrics = ParseMetrics(a.metrics);
  if (!metrics.ok()) return Usage("observe: " + metrics.status().message());
  return Signed(g, "observe", a.key, make::Observe(a.bundle, *metrics, a.samples));
}

// Against a server, the server's controller key decides (no --key needed).
int Tick(const Globals& g, const ReleaseArgs& a) {
  std::optional<SecretKey> key;
  if (g.server.empty()) {
    auto k = LoadSigningKey(a.key);
    if (!k.ok()) return KeyFail("tick", k.status());
    key.emplace(std::move(*k));
  }
  auto client = OpenClient(g);
  if (!client.ok()) return Fail("tick", client.status());
  auto out = (*client)->Tick(a.services, key ? &*key : nullptr, OutputFormat(g));
  if (!out.ok()) return Fail("tick", out.status());
  std::fputs(out->c_str(), stdout);
  return kExitOk;
}

int Promote(const Globals& g, const ReleaseArgs& a) {
  auto key = LoadSigningKey(a.key);
  if (!key.ok()) return KeyFail("promote", key.status());
  auto client = OpenClient(g);
  if (!client.ok()) return Fail("promote", client.status());
  auto out = (*client)->Promote(*key, a.bundle, a.full, OutputFormat(g));
  if (!out.ok()) return Fail("promote", out.status());
  std::fputs(out->c_str(), stdout);
  return kExitOk;
}

// A request signed elsewhere: a serialized dvs.ledger.Entry whose body, signer_key and signature
// are set (seq, prev_hash and time are the ledger's to assign and are ignored).
int Submit(const Globals& g, const ReleaseArgs& a) {
  auto text = ReadRegularFile(a.file, kMaxBodySize + 1024);  // a body, its key and signature
  if (!text.ok()) return Fail("submit", text.status());
  ledger::Entry pb;
  if (!pb.ParseFromString(*text)) {
    return Fail("submit", Status::InvalidArgument(a.file + " is not a signed dvs request"));
  }
  auto signer = PublicKey::FromBytes(pb.signer_key());
  if (!signer.ok()) return Fail("submit", signer.status().Prefixed(a.file));
  return SubmitBody(g, "submit", SignedBody{pb.body(), *signer, pb.signature()});
}

// Exit 0 only when FILE is one of BUNDLE's artifacts AND governance approved BUNDLE (and did not
// reject it since): an auditor's script reads exit 0 as "governance signed this file".
int VerifyArtifact(const Globals& g, const ReleaseArgs& a) {
  if (int e = LocalOnly(g, "verify-artifact")) return e;
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("verify-artifact", svc.status());
  auto state = (*svc)->Current();
  if (!state.ok()) return Fail("verify-artifact", state.status());
  const Bundle* b = (*state)->FindBundle(a.bundle);
  if (b == nullptr)
    return Fail("verify-artifact", Status::NotFound("no bundle '" + a.bundle + "'"));
  uint64_t size = 0;
  auto digest = Sha256File(a.file, &size);
  if (!digest.ok()) return Fail("verify-artifact", digest.status());
  const sm::Artifact* match = nullptr;
  for (const auto& art : b->manifest.artifacts()) {
    if (art.sha256() == *digest) match = &art;
  }
  if (match == nullptr) {
    return Fail(
        "verify-artifact",
        Status::Refused(a.file + " (sha256 " + ToHex(*digest).substr(0, 16) +
                        "...) is not one of the " + std::to_string(b->manifest.artifacts_size()) +
                        " artifacts governance signed for " + b->id));
  }
  const char* state_name = BundleStateName(b->state);
  if (!b->approved_seq.has_value() || b->state == BundleState::kRejected) {
    return Fail("verify-artifact",
                Status::Refused(a.file + " matches artifact " + match->path() + " of " + b->id +
                                ", but governance has not approved " + b->id + " (it is " +
                                state_name + ")"));
  }
  if (g.json) {
    Json j;
    j.BeginObject().Key("file").String(a.file).Key("matches").Bool(true);
    j.Key("bundle").String(b->id).Key("artifact").String(match->path());
    j.Key("sha256").String(ToHex(match->sha256())).Key("size").Uint(size);
    j.Key("approved_by").String(b->approved_by).Key("approved_seq").Uint(*b->approved_seq);
    j.Key("state").String(state_name).EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("%s matches artifact %s of %s (sha256 %s), approved by %s at seq %llu; now %s\n",
              a.file.c_str(), match->path().c_str(), b->id.c_str(), ToHex(match->sha256()).c_str(),
              b->approved_by.c_str(), static_cast<unsigned long long>(*b->approved_seq),
              state_name);
  return kExitOk;
}

}  // namespace

void AddReleaseCommands(CLI::App& app, Globals& g) {
  static ReleaseArgs a;
  auto bundle_arg = [](CLI::App* sub) {
    sub->add_option("bundle", a.bundle, "bundle id, as printed by dvs package")->required();
  };

  auto* package =
      app.add_subcommand("package", "Package a bundle from a manifest; prints the bundle id");
  package->add_option("manifest", a.manifest, "manifest YAML file")->required();
  AddKeyOption(package, &a.key);
  AddOutRequestOption(package, &g);
  AddJsonOption(package, &g,
                "print the receipt as JSON (bundle, seq, ...; \"appended\":false when identical "
                "content was packaged before)");
  package->footer(
      "Packaging the same version with identical content again prints the same id.\n"
      "Example:\n  dvs package tax_calc-9.0.yaml --key keys/publisher.key");
  package->callback([&] { g.exit_code = Package(g, a); });

  auto* approve =
      app.add_subcommand("approve", "Approve a bundle under the governance policy (governance)");
  bundle_arg(approve);
  AddKeyOption(approve, &a.key);
  AddOutRequestOption(approve, &g);
  AddJsonOption(approve, &g, kReceiptJson);
  approve->footer("Example:\n  dvs approve tax_calc_9.0_3f2a1b --key keys/governance.key");
  approve->callback([&] { g.exit_code = Signed(g, "approve", a.key, make::Approve(a.bundle)); });

  auto* reject = app.add_subcommand("reject", "Reject a bundle for good (governance)");
  bundle_arg(reject);
  PrintableText(reject->add_option("--reason", a.reason, "why"))->required();
  AddKeyOption(reject, &a.key);
  AddOutRequestOption(reject, &g);
  AddJsonOption(reject, &g, kReceiptJson);
  reject->footer(
      "Example:\n  dvs reject tax_calc_9.0_3f2a1b --reason 'model card missing' --key "
      "keys/governance.key");
  reject->callback(
      [&] { g.exit_code = Signed(g, "reject", a.key, make::Reject(a.bundle, a.reason)); });

  auto* deploy = app.add_subcommand(
      "deploy", "Start a canary (or the first release at 100 %) (release_admin)");
  bundle_arg(deploy);
  WholeNumber(deploy->add_option("--canary-pct", a.canary_pct,
                                 "canary weight, 1..100 (default: the manifest's)"),
              1, 100);
  AddKeyOption(deploy, &a.key);
  AddOutRequestOption(deploy, &g);
  AddJsonOption(deploy, &g, kReceiptJson);
  deploy->footer(
      "Example:\n  dvs deploy tax_calc_9.0_3f2a1b --canary-pct 5 --key keys/release-admin.key");
  deploy->callback(
      [&] { g.exit_code = Signed(g, "deploy", a.key, make::Deploy(a.bundle, a.canary_pct)); });

  auto* observe = app.add_subcommand("observe", "Report live metrics of a bundle (observer)");
  bundle_arg(observe);
  observe->add_option("--metric", a.metrics, "NAME=VALUE (repeatable)")->required();
  WholeNumber(observe->add_option("--samples", a.samples,
                                  "how many requests the metrics cover (default 1)"),
              1, kMaxSamples);
  AddKeyOption(observe, &a.key);
  AddOutRequestOption(observe, &g);
  AddJsonOption(observe, &g, kReceiptJson);
  observe->footer(
      "Example:\n  dvs observe tax_calc_9.0_3f2a1b --metric error_rate=0.03 --metric "
      "latency_ms=110 --samples 500 --key keys/observer.key");
  observe->callback([&] { g.exit_code = Observe(g, a); });

  auto* tick = app.add_subcommand(
      "tick",
      "One controller evaluation: ramp, promote or roll back as the policy decides (controller)");
  tick->add_option("services", a.services, "services to evaluate (default: all with a canary)");
  AddKeyOption(tick, &a.key);
  AddJsonOption(tick, &g);
  tick->footer("Holds append nothing. Example:\n  dvs tick tax_calc --key keys/controller.key");
  tick->callback([&] { g.exit_code = Tick(g, a); });

  auto* promote = app.add_subcommand(
      "promote", "By hand: one ramp step, or --full to make the canary stable (release_admin)");
  bundle_arg(promote);
  promote->add_flag("--full", a.full, "straight to stable at 100 %");
  AddKeyOption(promote, &a.key);
  AddJsonOption(promote, &g, kReceiptJson);
  promote->footer(
      "Example:\n  dvs promote tax_calc_9.0_3f2a1b --full --key keys/release-admin.key");
  promote->callback([&] { g.exit_code = Promote(g, a); });

  auto* pause =
      app.add_subcommand("pause", "Stop the controller from ramping a canary (release_admin)");
  bundle_arg(pause);
  PrintableText(pause->add_option("--reason", a.reason, "why"));
  AddKeyOption(pause, &a.key);
  AddOutRequestOption(pause, &g);
  AddJsonOption(pause, &g, kReceiptJson);
  pause->footer(
      "Example:\n  dvs pause tax_calc_9.0_3f2a1b --reason 'investigating' --key "
      "keys/release-admin.key");
  pause->callback(
      [&] { g.exit_code = Signed(g, "pause", a.key, make::Pause(a.bundle, a.reason)); });

  auto* resume =
      app.add_subcommand("resume", "Let the controller ramp a paused canary again (release_admin)");
  bundle_arg(resume);
  AddKeyOption(resume, &a.key);
  AddOutRequestOption(resume, &g);
  AddJsonOption(resume, &g, kReceiptJson);
  resume->footer("Example:\n  dvs resume tax_calc_9.0_3f2a1b --key keys/release-admin.key");
  resume->callback([&] { g.exit_code = Signed(g, "resume", a.key, make::Resume(a.bundle)); });

  auto* rollback = app.add_subcommand(
      "rollback",
      "Roll back: a canary to the stable, a stable to the previous good bundle (release_admin)");
  bundle_arg(rollback);
  PrintableText(rollback->add_option("--reason", a.reason, "why, for the audit trail"))->required();
  AddKeyOption(rollback, &a.key);
  AddOutRequestOption(rollback, &g);
  AddJsonOption(rollback, &g, kReceiptJson);
  rollback->footer(
      "Example:\n  dvs rollback tax_calc_9.0_3f2a1b --reason 'overcharges reported' --key "
      "keys/release-admin.key");
  rollback->callback(
      [&] { g.exit_code = Signed(g, "rollback", a.key, make::Rollback(a.bundle, a.reason)); });

  auto* retire =
      app.add_subcommand("retire", "Retire a bundle that carries no traffic (release_admin)");
  bundle_arg(retire);
  PrintableText(retire->add_option("--reason", a.reason, "why"))->required();
  AddKeyOption(retire, &a.key);
  AddOutRequestOption(retire, &g);
  AddJsonOption(retire, &g, kReceiptJson);
  retire->footer(
      "Example:\n  dvs retire tax_calc_8.7_9c1d2e --reason 'superseded for a quarter' --key "
      "keys/release-admin.key");
  retire->callback(
      [&] { g.exit_code = Signed(g, "retire", a.key, make::Retire(a.bundle, a.reason)); });

  auto* submit =
      app.add_subcommand("submit", "Submit a request signed elsewhere (offline signing)");
  submit
      ->add_option("file", a.file,
                   "a serialized dvs.ledger.Entry with body, signer_key and signature")
      ->required();
  AddJsonOption(submit, &g, kReceiptJson);
  submit->footer(
      "The signature is checked, then the transition goes through the same rules as any other.\n"
      "A request can be applied once: submitting it again is refused as a replay, and only\n"
      "within an hour of its signing. Signing commands write one with --out-request FILE.\n"
      "Example:\n  dvs approve tax_calc_9.0_3f2a1b --key keys/governance.key --out-request "
      "approve-9.0.req\n  dvs submit approve-9.0.req");
  submit->callback([&] { g.exit_code = Submit(g, a); });

  auto* verify = app.add_subcommand(
      "verify-artifact",
      "Tell whether FILE is an artifact of BUNDLE and governance approved BUNDLE");
  bundle_arg(verify);
  verify->add_option("file", a.file, "the file to check")->required();
  AddJsonOption(verify, &g, "print the match as JSON");
  verify->footer(
      "Exits 0 only when FILE is one of BUNDLE's artifacts and governance approved BUNDLE (and\n"
      "did not reject it); 1 otherwise, saying which and the bundle's state.\n"
      "Example:\n  dvs verify-artifact tax_calc_9.0_3f2a1b build/tax_calc.tar");
  verify->callback([&] { g.exit_code = VerifyArtifact(g, a); });
}

}  // namespace dvs::cli
