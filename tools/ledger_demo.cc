// dvs-ledger-demo: appends signed entries to a ledger under DIR, verifies the chain, and proves
// one entry's inclusion and the log's consistency, printing each step. Stands in for the main job
// until the release scenario runs on the dvs command line.
#include <cstdio>
#include <filesystem>

#include "ledger/log.h"
#include "ledger/merkle.h"
#include "ledger/verify_chain.h"

namespace {

std::vector<std::string> Raw(const std::vector<dvs::Hash>& hs) {
  std::vector<std::string> out;
  for (const auto& h : hs) out.emplace_back(dvs::AsBytes(h));
  return out;
}

int Fail(const dvs::Status& s) {
  std::fprintf(stderr, "dvs-ledger-demo: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dvs;
  std::string dir = argc > 1 ? argv[1] : "var/demo";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SecretKey key = SecretKey::Generate();
  if (Status s = WriteKeyFiles(key, dir + "/publisher.key"); !s.ok()) return Fail(s);
  auto log = Log::Create(dir + "/ledger", {});
  if (!log.ok()) return Fail(log.status());
  const char* steps[] = {"package tax_calc 8.7",  "approve tax_calc 8.7",  "deploy tax_calc 8.7",
                         "package tax_calc 9.0",  "approve tax_calc 9.0",  "deploy tax_calc 9.0 5%",
                         "ramp tax_calc 9.0 25%", "ramp tax_calc 9.0 45%", "rollback tax_calc 9.0"};
  for (const char* step : steps) {
    auto e = (*log)->Append(SignedBody::Sign(key, step));
    if (!e.ok()) return Fail(e.status());
    std::printf("appended seq %llu  %-26s signed by %s\n", (unsigned long long)e->seq, step,
                key.public_key().Id().c_str());
  }
  auto report = VerifyChain(**log);
  if (!report.ok()) return Fail(report.status());
  std::printf("verify chain: %llu entries, %s\n", (unsigned long long)report->entries,
              report->ok() ? "intact" : report->problem->ToString().c_str());
  auto head = (*log)->GetHead();
  uint64_t n = head->size;
  auto root = (*log)->Root(n);
  auto old_root = (*log)->Root(4);
  std::printf("root of %llu entries: %s\n", (unsigned long long)n, ToHex(*root).c_str());
  auto proof = (*log)->InclusionProof(5, n);
  Status inc = VerifyInclusion(5, n, std::string(AsBytes(*(*log)->LeafHashAt(5))), Raw(*proof),
                               std::string(AsBytes(*root)));
  std::printf("inclusion of seq 5 (%zu hashes): %s\n", proof->size(), inc.ToString().c_str());
  auto cons = (*log)->ConsistencyProof(4, n);
  Status con = VerifyConsistency(4, n, std::string(AsBytes(*old_root)), std::string(AsBytes(*root)),
                                 Raw(*cons));
  std::printf("consistency 4 -> %llu (%zu hashes): %s\n", (unsigned long long)n, cons->size(),
              con.ToString().c_str());
  return report->ok() && inc.ok() && con.ok() ? 0 : 1;
}
