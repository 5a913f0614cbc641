// dvs-dashboard-bench DIR [--entries N] [--decisions N] [--small]: makes the ledger the dashboard's
// page-load benchmark opens (api/http/dashboard/bench/page_load.mjs, run by `tools/run bench`):
// tax_calc released again and again until the controller has taken N decisions (ramps, promotions,
// rollbacks, each signed and citing its evidence), then observations of the stable bundle until
// the ledger holds N entries, the last rollout left as a live canary. Keys in DIR (all.key signs
// everything). --small: the same story with 20 decisions and no filler, the peer the big ledger is
// compared with in the same run.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "api/service/transitions.h"
#include "tools/bench_ledger.h"

namespace dvs {
namespace {

int Run(const std::string& dir, uint64_t entries, uint64_t decisions) {
  auto b = bench::BenchLedger::Create(dir, "dvs-dashboard-bench");
  if (!b) return 1;
  ReleaseService& svc = *b->svc;
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "dvs-dashboard-bench: %s\n", s.ToString().c_str());
    return 1;
  };
  uint64_t decided = 0;
  std::string stable = b->stable;
  for (int version = 2; decided < decisions; ++version) {
    const std::string canary = b->Release(version);
    if (canary.empty()) return fail(Status::Refused("releasing tax_calc failed"));
    // Every third rollout regresses and is rolled back; the others ramp to stable.
    const bool bad = version % 3 == 0;
    const bool last = decided + 2 >= decisions;
    for (int step = 0; !last && step < 8; ++step) {
      auto o = svc.Observe(b->all, canary, {{"error_rate", bad ? 2.5 : 0.02}}, 200);
      if (!o.ok()) return fail(o.status());
      auto ticks = svc.Tick(b->all, {"tax_calc"});
      if (!ticks.ok()) return fail(ticks.status());
      for (const TickOutcome& t : *ticks) decided += t.receipt ? 1 : 0;
      auto st = svc.StatusOf(canary);
      if (!st.ok()) return fail(st.status());
      if (st->state != "canary") {
        if (st->state == "stable") stable = canary;
        break;
      }
    }
    if (last) break;
  }
  // Filler: observations of the stable bundle, signed and committed in batches.
  auto head = svc.LedgerHead();
  if (!head.ok()) return fail(head.status());
  for (uint64_t n = head->size; n < entries;) {
    std::vector<SignedBody> batch;
    for (int i = 0; i < 1000 && n < entries; ++i, ++n) {
      batch.push_back(SignTransition(
          b->all, make::Observe(stable, {{"error_rate", 0.01 + (n % 7) * 0.001}}, 500)));
    }
    auto r = svc.SubmitBatch(std::move(batch));
    if (!r.ok()) return fail(r.status());
  }
  head = svc.LedgerHead();
  if (!head.ok()) return fail(head.status());
  std::printf("%s: %llu entries, %llu automatic decisions, keys in %s\n", (dir + "/ledger").c_str(),
              static_cast<unsigned long long>(head->size), static_cast<unsigned long long>(decided),
              dir.c_str());
  return 0;
}

}  // namespace
}  // namespace dvs

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: dvs-dashboard-bench DIR [--entries N] [--decisions N] [--small]\n");
    return 2;
  }
  uint64_t entries = 100'000, decisions = 1'000;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--entries") && i + 1 < argc) {
      entries = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--decisions") && i + 1 < argc) {
      decisions = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--small")) {
      entries = 0;
      decisions = 20;
    } else {
      std::fprintf(stderr, "dvs-dashboard-bench: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  return dvs::Run(argv[1], entries, decisions);
}
