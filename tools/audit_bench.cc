// dvs-audit-bench: the auditor's figures on a large ledger, against primitives in the same run.
//
//   dvs-audit-bench [--entries N] [--dir DIR] [--keep]   (default 1,000,000 entries)
//
// Builds a ledger of N entries (observations of a stable bundle, with a canary deployed and
// rolled back every 50,000 entries), then measures: opening it (snapshot + suffix; target
// < 100 ms), replay through Apply without signature checks (target >= 1,000,000 entries/s), an
// indexed audit query ("every rollback of tax_calc"; target <= 5 ms), and full offline
// verification against the 2-core Ed25519 verify rate (target >= 0.8x).
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "api/service/release_service.h"
#include "api/service/transitions.h"
#include "api/verify/verify.h"
#include "ledger/parallel.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"
#include "tools/bench_manifest.h"
#include "tools/bench_util.h"

namespace dvs::bench {
namespace {

namespace fs = std::filesystem;

// An observation as an observer signs it now (a fresh request id, the wall time).
SignedBody ObserveBody(const SecretKey& key, const std::string& bundle, uint64_t i) {
  return SignTransition(key, make::Observe(bundle, {{"latency_ms", 100.0 + i % 50}}, 100));
}

int Fail(const Status& s) {
  std::fprintf(stderr, "dvs-audit-bench: %s\n", s.ToString().c_str());
  return 1;
}

int Run(uint64_t entries, const std::string& dir, bool keep) {
  fs::remove_all(dir);
  SecretKey root = SecretKey::Generate(), admin = SecretKey::Generate(),
            observer = SecretKey::Generate();
  std::printf("dvs-audit-bench: building a ledger of %llu entries in %s ...\n",
              static_cast<unsigned long long>(entries), dir.c_str());
  double t0 = NowSeconds();
  {
    // Checkpointed as `dvs serve --log-key` would (every write past 1,000 entries since the last
    // one: here every batch), so that opening costs a checked snapshot plus a suffix; without a
    // log-signed checkpoint a snapshot is not trusted and the open replays everything.
    auto log_key = std::make_shared<const SecretKey>(SecretKey::Generate());
    ServiceOptions o;
    o.log_key = log_key;
    auto made = ReleaseService::Init(dir, root, "bench", o);
    if (!made.ok()) return Fail(made.status());
    ReleaseService& s = **made;
    if (!s.GrantKey(root, "log", log_key->public_key(), {"log"}).ok() ||
        !s.GrantKey(root, "all", admin.public_key(),
                    {"governance", "publisher", "release_admin", "controller"})
             .ok() ||
        !s.GrantKey(root, "observer", observer.public_key(), {"observer"}).ok()) {
      return Fail(Status::IOError("set-up failed"));
    }
    auto release = [&](int v) -> Result<std::string> {
      DVS_ASSIGN_OR_RETURN(std::string id, s.Package(admin, BenchManifest(v)));
      DVS_RETURN_IF_ERROR(s.Approve(admin, id).status());
      DVS_RETURN_IF_ERROR(s.Deploy(admin, id).status());
      return id;
    };
    auto stable = release(1);
    if (!stable.ok()) return Fail(stable.status());
    int version = 2;
    const uint64_t kBatch = 5000;
    while (true) {
      uint64_t size = s.log().GetHead()->size;
      if (size >= entries) break;
      if (size / 50000 != (size + kBatch) / 50000) {  // now and then a canary that is rolled back
        auto canary = release(version++);
        if (!canary.ok()) return Fail(canary.status());
        if (!s.Rollback(admin, *canary, "regression").ok())
          return Fail(Status::IOError("rollback failed"));
      }
      const uint64_t n = std::min(kBatch, entries - size);
      std::vector<SignedBody> bodies(n);
      ParallelFor(n, DefaultThreads(), [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) bodies[i] = ObserveBody(observer, *stable, size + i);
      });
      auto r = s.SubmitBatch(std::move(bodies));
      if (!r.ok()) return Fail(r.status());
    }
  }
  std::printf("built in %.1f s\n\n", NowSeconds() - t0);

  // Primitive: Ed25519 verification on 2 threads, measured now.
  std::vector<SignedBody> sample;
  for (int i = 0; i < 40000; ++i) sample.push_back(ObserveBody(observer, "x", i));
  t0 = NowSeconds();
  ParallelFor(sample.size(), 2, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) (void)sample[i].Check();
  });
  const double verify2 = sample.size() / (NowSeconds() - t0);

  // Opening: latest snapshot plus the suffix after it.
  std::vector<double> open_ms;
  for (int i = 0; i < 5; ++i) {
    t0 = NowSeconds();
    auto svc = ReleaseService::Open(dir);
    if (!svc.ok()) return Fail(svc.status());
    open_ms.push_back((NowSeconds() - t0) * 1e3);
  }
  auto svc = std::move(ReleaseService::Open(dir)).value();
  const uint64_t size = svc->log().GetHead()->size;

  // Replay through Apply, no signature checks.
  t0 = NowSeconds();
  State replayed;
  Status replay = svc->log().Scan(0, size, [&](uint64_t, std::string_view raw) {
    auto e = Entry::Decode(raw);
    return e.ok() ? ApplyEntry(&replayed, *e) : e.status();
  });
  if (!replay.ok()) return Fail(replay);
  const double replay_rate = size / (NowSeconds() - t0);

  // An indexed audit query on the whole ledger.
  AuditQuery q;
  q.service = "tax_calc";
  q.type = "rollback";
  std::vector<double> query_ms;
  size_t rows = 0;
  for (int i = 0; i < 50; ++i) {
    t0 = NowSeconds();
    auto r = svc->Audit(q);
    if (!r.ok()) return Fail(r.status());
    query_ms.push_back((NowSeconds() - t0) * 1e3);
    rows = r->size();
  }
  svc.reset();

  // Offline verification, everything dvs-verify checks.
  auto report = VerifyLedger(dir, {});
  if (!report.ok()) return Fail(report.status());
  if (!report->valid)
    return Fail(Status::Corruption("the bench ledger does not verify: " + report->reason));
  const double sig_rate = size / report->signature_seconds;

  std::printf("%-44s %12.1f ms (p50 of 5)   target < 100 ms: %s\n", "open (snapshot + suffix)",
              Percentile(open_ms, 50), Percentile(open_ms, 50) < 100 ? "met" : "MISSED");
  std::printf("%-44s %12.0f entries/s          target >= 1,000,000/s: %s\n",
              "replay through Apply, no signatures", replay_rate,
              replay_rate >= 1e6 ? "met" : "MISSED");
  std::printf("%-44s %12.2f ms (p50, %zu rows)  target <= 5 ms: %s\n",
              "audit: every rollback of tax_calc", Percentile(query_ms, 50), rows,
              Percentile(query_ms, 50) <= 5 ? "met" : "MISSED");
  std::printf("%-44s %12.0f entries/s  ratio %.2f to 2-core verify %.0f/s  target >= 0.8: %s\n",
              "verify: signatures and chain", sig_rate, sig_rate / verify2, verify2,
              sig_rate / verify2 >= 0.8 ? "met" : "MISSED");
  std::printf("%-44s %12.0f entries/s  (%.1f s for everything dvs-verify checks)\n",
              "verify: all checks", size / report->total_seconds, report->total_seconds);
  std::printf("ledger on disk: %.0f MB\n",
              static_cast<double>(fs::file_size(dir + "/data.mdb")) / (1 << 20));
  if (!keep) fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) {
  uint64_t entries = 1'000'000;
  std::string dir = (std::filesystem::temp_directory_path() / "dvs-audit-bench").string();
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--entries") && i + 1 < argc) {
      entries = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) {
      dir = argv[++i];
    } else if (!std::strcmp(argv[i], "--keep")) {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: dvs-audit-bench [--entries N] [--dir DIR] [--keep]\n");
      return 2;
    }
  }
  if (entries < 10000) {
    std::fprintf(stderr, "dvs-audit-bench: --entries must be at least 10000\n");
    return 2;
  }
  return dvs::bench::Run(entries, dir, keep);
}
