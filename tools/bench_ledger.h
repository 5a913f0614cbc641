// The ledger the service benchmarks start from: a fresh ledger under a directory, its root key
// ("admin") and one key with every role ("all"; one key keeps the set-up short, the rules are the
// same), both also written as key files for child processes, and tax_calc 1 released and observed
// as the stable bundle.
#ifndef DVS_TOOLS_BENCH_LEDGER_H_
#define DVS_TOOLS_BENCH_LEDGER_H_

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "api/service/release_service.h"
#include "ledger/key_files.h"
#include "tools/bench_manifest.h"

namespace dvs::bench {

struct BenchLedger {
  SecretKey admin = SecretKey::Generate();
  SecretKey all = SecretKey::Generate();
  std::unique_ptr<ReleaseService> svc;
  std::string stable;  // tax_calc 1's bundle id

  // Removes and recreates `root`; null after printing why on stderr, naming `program`.
  static std::unique_ptr<BenchLedger> Create(const std::string& root, const char* program) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    auto b = std::make_unique<BenchLedger>();
    auto fail = [&](const Status& s) {
      std::fprintf(stderr, "%s: %s\n", program, s.ToString().c_str());
      return nullptr;
    };
    if (Status s = WriteKeyFiles(b->admin, root + "/admin.key"); !s.ok()) return fail(s);
    if (Status s = WriteKeyFiles(b->all, root + "/all.key"); !s.ok()) return fail(s);
    auto svc = ReleaseService::Init(root + "/ledger", b->admin, "bench");
    if (!svc.ok()) return fail(svc.status());
    b->svc = std::move(svc).value();
    auto granted =
        b->svc->GrantKey(b->admin, "all", b->all.public_key(),
                         {"governance", "publisher", "release_admin", "observer", "controller"});
    if (!granted.ok()) return fail(granted.status());
    b->stable = b->Release(1);
    if (b->stable.empty()) return fail(Status::Refused("releasing tax_calc 1 failed"));
    auto observed = b->svc->Observe(b->all, b->stable, {{"error_rate", 0.01}}, 500);
    if (!observed.ok()) return fail(observed.status());
    return b;
  }

  // Packages, approves and deploys tax_calc `version`; its bundle id, or "" when refused.
  std::string Release(int version) {
    auto id = svc->Package(all, BenchManifest(version));
    if (!id.ok() || !svc->Approve(all, *id).ok() || !svc->Deploy(all, *id).ok()) return "";
    return *id;
  }
};

}  // namespace dvs::bench

#endif  // DVS_TOOLS_BENCH_LEDGER_H_
