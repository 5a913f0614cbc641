// Several processes appending to one ledger at once still produce one valid linear chain.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "ledger/log.h"
#include "ledger/verify_chain.h"
#include "tests/test_util.h"

namespace dvs {
namespace {

TEST(Concurrency, FourProcessesAppending250EachLeaveOneChainOf1000) {
  test::TempDir dir;
  { ASSERT_TRUE(Log::Create(dir.path(), {}).ok()); }
  constexpr int kProcs = 4, kEach = 250;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto log = Log::Open(dir.path(), {});
      if (!log.ok()) _exit(10);
      SecretKey key = test::KeyFromNumber(100 + p);
      for (int i = 0; i < kEach; ++i) {
        auto body = "proc " + std::to_string(p) + " item " + std::to_string(i);
        if (!(*log)->Append(SignedBody::Sign(key, body)).ok()) _exit(11);
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto log = Log::Open(dir.path(), {});
  ASSERT_TRUE(log.ok());
  auto report = VerifyChain(**log);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->problem->ToString();
  EXPECT_EQ(report->entries, static_cast<uint64_t>(kProcs * kEach));
  std::set<std::string> bodies;
  ASSERT_TRUE((*log)
                  ->Scan(0, 1000,
                         [&](uint64_t, std::string_view raw) {
                           bodies.insert(Entry::Decode(raw)->body);
                           return Status::OK();
                         })
                  .ok());
  EXPECT_EQ(bodies.size(), static_cast<size_t>(kProcs * kEach));
}

}  // namespace
}  // namespace dvs
