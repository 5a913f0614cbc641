// The crash test, after RocksDB's: a child process appends signed transitions through the real
// write path and reports each acknowledged seq through a pipe; the parent SIGKILLs it at random
// moments, 200 times (three in four after its first acknowledged append, the rest from the
// fork, so that some land while it opens). After every kill the ledger opens, its chain
// verifies, and every acknowledged entry is there. At the end, dvs-verify's full check passes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <unistd.h>

#include <random>

#include "api/service/release_service.h"
#include "api/verify/verify.h"
#include "ledger/verify_chain.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

constexpr int kKills = 200;

// Checkpoints (and their snapshots) every 40 entries, so kills also land mid-checkpoint.
ServiceOptions KillOptions() {
  ServiceOptions o;
  o.log_key = std::make_shared<const SecretKey>(test::KeyFromNumber(7));
  o.checkpoint_every = 40;
  return o;
}

// The child: observe the stable bundle forever, writing each acknowledged seq to `fd`.
[[noreturn]] void AppendUntilKilled(const std::string& dir, const std::string& bundle, int fd,
                                    int round) {
  test::Harness keys;
  auto svc = ReleaseService::Open(dir, KillOptions());
  if (!svc.ok()) {
    std::fprintf(stderr, "round %d: open: %s\n", round, svc.status().ToString().c_str());
    _exit(10);
  }
  for (uint64_t i = 0;; ++i) {
    Metrics m = {{"latency_ms", static_cast<double>(100 + (i + round) % 50)}};
    auto r = (*svc)->Observe(keys.observer, bundle, m, 10);
    if (!r.ok()) {
      std::fprintf(stderr, "round %d: observe: %s\n", round, r.status().ToString().c_str());
      _exit(11);
    }
    if (write(fd, &r->seq, sizeof(r->seq)) != sizeof(r->seq)) _exit(12);
  }
}

TEST(Kill, EveryAcknowledgedAppendSurvivesSigkill) {
  test::TempDir dir;
  test::Harness h;
  const std::string ledger = dir.Sub("ledger");
  std::string bundle;
  {
    auto svc = std::move(ReleaseService::Init(ledger, h.root, "kill", KillOptions())).value();
    ASSERT_TRUE(svc->GrantKey(h.root, "log", test::KeyFromNumber(7).public_key(), {"log"}).ok());
    ASSERT_TRUE(svc->GrantKey(h.root, "admin", h.admin.public_key(),
                              {"publisher", "governance", "release_admin"})
                    .ok());
    ASSERT_TRUE(svc->GrantKey(h.root, "observer", h.observer.public_key(), {"observer"}).ok());
    auto id = svc->Package(h.admin, test::Manifest("svc", "1.0"));
    ASSERT_TRUE(id.ok());
    bundle = *id;
    ASSERT_TRUE(svc->Approve(h.admin, bundle).ok());  // the empty policy asks only for a license
    ASSERT_TRUE(svc->Deploy(h.admin, bundle).ok()) << "the bundle goes live before the kills";
  }
  std::mt19937 rng(20261126);
  uint64_t acknowledged_total = 0, max_acked = 0;
  int killed_mid_run = 0, waited_for_append = 0;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      AppendUntilKilled(ledger, bundle, fds[1], round);
    }
    close(fds[1]);
    // Three rounds in four wait for the child's first acknowledged append, so that the kill lands
    // mid-append or mid-snapshot however slowly a loaded machine opens the ledger; the fourth
    // kills from the fork, so some kills land mid-open.
    uint64_t seq;
    if (round % 4 != 0 && read(fds[0], &seq, sizeof(seq)) == sizeof(seq)) {
      ++acknowledged_total;
      ++waited_for_append;
      max_acked = std::max(max_acked, seq);
    }
    usleep(std::uniform_int_distribution<int>(0, 25000)(rng));  // 0-25 ms
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    killed_mid_run += WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    ASSERT_FALSE(WIFEXITED(status)) << "the child failed on its own: exit " << WEXITSTATUS(status);
    while (read(fds[0], &seq, sizeof(seq)) == sizeof(seq)) {
      ++acknowledged_total;
      max_acked = std::max(max_acked, seq);
    }
    close(fds[0]);

    auto log = Log::Open(ledger, {});
    ASSERT_TRUE(log.ok()) << "round " << round << ": " << log.status().ToString();
    auto report = VerifyChain(**log);
    ASSERT_TRUE(report.ok());
    ASSERT_TRUE(report->ok()) << "round " << round << ": " << report->problem->ToString();
    ASSERT_GT(report->entries, max_acked)
        << "round " << round << ": acknowledged seq " << max_acked << " is lost";
  }
  auto full = VerifyLedger(ledger, {});
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->valid) << "seq " << full->first_bad_seq.value_or(0) << ": " << full->reason;
  std::printf(
      "kill test: %d SIGKILLs, %llu acknowledged appends, ledger of %llu entries, all present and "
      "valid\n",
      killed_mid_run, static_cast<unsigned long long>(acknowledged_total),
      static_cast<unsigned long long>(full->entries));
  RecordProperty("kills", killed_mid_run);
  RecordProperty("acknowledged", static_cast<int>(acknowledged_total));
  EXPECT_EQ(killed_mid_run, kKills);
  EXPECT_EQ(waited_for_append, kKills - kKills / 4)
      << "the children must really have been appending when killed";
}

}  // namespace
}  // namespace dvs
