// Eight dvs processes observing at once: every observation lands, in one valid chain.
#include "ledger/log.h"
#include "ledger/verify_chain.h"
#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

class CliConcurrency : public test::LedgerFixture {};

TEST_F(CliConcurrency, EightProcessesObservingAtOnceLandInOneValidChain) {
  std::string id = Release("1.0");
  constexpr int kProcs = 8, kEach = 10;
  auto before = (*Log::Open(Ledger(), {}))->GetHead()->size;
  std::vector<std::pair<pid_t, std::string>> running;
  for (int round = 0; round < kEach; ++round) {
    for (int p = 0; p < kProcs; ++p) {
      std::string tag = "obs-" + std::to_string(p) + "-" + std::to_string(round);
      running.emplace_back(
          test::StartDvs({"observe", id, "--metric", "latency_ms=" + std::to_string(100 + p),
                          "--samples", "10", "--key", Key("observer")},
                         Ledger(), dir_.path(), tag),
          tag);
    }
    for (auto& [pid, tag] : running) {
      test::Outcome r = test::WaitDvs(pid, dir_.path(), tag);
      EXPECT_EQ(r.code, 0) << tag << ": " << r.err;
    }
    running.clear();
  }
  auto log = Log::Open(Ledger(), {});
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->GetHead()->size, before + kProcs * kEach);
  auto report = VerifyChain(**log);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->ToString();
}

}  // namespace
}  // namespace dvs
