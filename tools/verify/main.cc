// dvs-verify LEDGER_DIR [--root-pub FILE] [--checkpoint FILE ...] [--json]
//
// Proves, or disproves, from a copy of a ledger and nothing else, that it is intact and that every
// decision in it was allowed (see api/verify/verify.h for the checks). Opens the ledger
// read-only. Exit codes: 0 valid; 3 invalid, naming the first bad seq and why; 1 unreadable or
// another failure (a bad checkpoint file, say); 2 usage error.
#include <google/protobuf/stubs/logging.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "api/render/json.h"
#include "api/verify/verify.h"
#include "ledger/key_files.h"
#include "tools/cli/suggest.h"
#include "tools/verify/progress_bar.h"

namespace {

constexpr int kValid = 0, kFailed = 1, kUsage = 2, kInvalid = 3;

}  // namespace

int main(int argc, char** argv) {
  google::protobuf::LogSilencer quiet;
  std::string dir, root_pub;
  std::vector<std::string> checkpoints;
  bool json = false;
  CLI::App app{
      "dvs-verify: prove offline that a dvs ledger is intact and that every decision in it was "
      "allowed"};
  app.name("dvs-verify");
  app.set_version_flag("--version", std::string("dvs-verify ") + DVS_VERSION + " (commit " +
                                        DVS_GIT_COMMIT + ", " + DVS_BUILD_TYPE + " build)");
  app.add_option("ledger", dir, "ledger directory (opened read-only)")->required();
  app.add_option("--root-pub", root_pub, "pin genesis to this root public key file");
  app.add_option("--checkpoint", checkpoints,
                 "a signed checkpoint to check the ledger against (repeatable)");
  app.add_flag("--json", json, "print the report as JSON");
  app.footer(
      "Exit codes: 0 valid; 3 invalid (the first bad seq and why); 1 unreadable; 2 usage.\n"
      "Example:\n  dvs-verify ./copy-of-ledger --root-pub root.key.pub --checkpoint q3.checkpoint");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // In dvs's phrasing (tools/cli/suggest.h): the mistyped option and the closest one, or what
    // is missing, on one line.
    std::string message = dvs::cli::UnknownName(app, argc, argv);
    if (message.empty() && dynamic_cast<const CLI::RequiredError*>(&e) != nullptr)
      message = dvs::cli::MissingArgument(app);
    if (message.empty()) message = dvs::cli::Rephrased(app, e.what());
    std::fprintf(stderr, "dvs-verify: %s\n", message.c_str());
    return kUsage;
  }

  dvs::VerifyOptions opt;
  if (!root_pub.empty()) {
    auto pub = dvs::LoadPublicKey(root_pub);
    if (!pub.ok()) {
      std::fprintf(stderr, "dvs-verify: %s\n", pub.status().message().c_str());
      return kFailed;
    }
    opt.root_pub = *pub;
  }
  for (const std::string& f : checkpoints) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "dvs-verify: checkpoint %s cannot be read\n", f.c_str());
      return kFailed;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    opt.checkpoints.emplace_back(f, ss.str());
  }
  dvs::ProgressBar bar;
  const bool tty = isatty(STDERR_FILENO) && !json;
  if (tty) opt.progress = [&](const char* p, uint64_t d, uint64_t t) { bar.Update(p, d, t); };

  if (!opt.root_pub) {
    std::fprintf(stderr,
                 "dvs-verify: WARNING: genesis not pinned: without --root-pub this proves the ledger "
                 "is consistent with whatever root key its genesis names, not that it is yours\n");
  }
  auto report = dvs::VerifyLedger(dir, opt);
  if (tty) bar.Finish();
  if (!report.ok()) {
    std::fprintf(stderr, "dvs-verify: %s\n", report.status().message().c_str());
    return kFailed;
  }
  const double rate = report->entries / std::max(1e-9, report->signature_seconds);
  if (json) {
    dvs::Json j;
    j.BeginObject()
        .Key("ledger")
        .String(dir)
        .Key("valid")
        .Bool(report->valid)
        .Key("entries")
        .Uint(report->entries)
        .Key("root_pinned")
        .Bool(opt.root_pub.has_value());
    if (report->first_bad_seq)
      j.Key("first_bad_seq").Uint(*report->first_bad_seq).Key("reason").String(report->reason);
    j.Key("notes").BeginArray();
    for (const auto& n : report->notes) j.String(n);
    j.EndArray()
        .Key("signature_rate_per_s")
        .Number(rate)
        .Key("seconds")
        .Number(report->total_seconds)
        .EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    for (const auto& n : report->notes) std::printf("%s\n", n.c_str());
    if (report->valid) {
      std::printf("VALID: %llu entries; signatures and chain at %.0f entries/s; %.2f s in all\n",
                  static_cast<unsigned long long>(report->entries), rate, report->total_seconds);
    }
  }
  if (!report->valid) {
    std::fprintf(stderr, "dvs-verify: INVALID at seq %llu: %s\n",
                 static_cast<unsigned long long>(*report->first_bad_seq), report->reason.c_str());
    return kInvalid;
  }
  return kValid;
}
