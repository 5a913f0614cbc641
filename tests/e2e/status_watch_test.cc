// `dvs status SERVICE --watch` as a person at a terminal meets it: the real dvs under a
// pseudo-terminal; each commit by another process redraws the frame (home + clear), with the
// routing and the latest decision; Ctrl-C ends it with exit 0.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

// The real dvs on a pseudo-terminal's slave side; its output read from the master side.
class Terminal {
 public:
  Terminal(const std::vector<std::string>& args, const std::string& ledger) {
    winsize ws{};
    ws.ws_row = 40;
    ws.ws_col = 160;
    pid_ = forkpty(&master_, nullptr, nullptr, &ws);
    if (pid_ == 0) {
      setenv("DVS_LEDGER", ledger.c_str(), 1);
      unsetenv("DVS_SERVER");
      unsetenv("COLUMNS");
      std::vector<char*> argv = {const_cast<char*>(DVS_BINARY)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(DVS_BINARY, argv.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }

  // Reads until `pred(screen so far)` holds or `ms` pass; true when it held.
  bool ReadUntil(const std::function<bool(const std::string&)>& pred, int ms = 10'000) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!pred(seen_)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = read(master_, buf, sizeof(buf));
      if (n <= 0) return pred(seen_);
      seen_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // The last frame: what follows the last home-and-clear.
  std::string LastFrame() const {
    size_t at = seen_.rfind("\x1b[H\x1b[2J");
    return at == std::string::npos ? seen_ : seen_.substr(at);
  }
  size_t Frames() const {
    size_t n = 0;
    for (size_t at = 0; (at = seen_.find("\x1b[H\x1b[2J", at)) != std::string::npos; ++at) ++n;
    return n;
  }
  int Interrupt() {
    kill(pid_, SIGINT);
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string seen_;
};

class StatusWatch : public test::LedgerFixture {};

TEST_F(StatusWatch, RedrawsOnEveryCommitWithTheLatestDecisionAndStopsOnCtrlC) {
  const std::string v1 = Release("1.0");
  ASSERT_EQ(Observe(v1, 0.01, 100).code, 0);
  Terminal term({"status", "tax_calc", "--watch"}, Ledger());
  ASSERT_TRUE(term.ReadUntil([](const std::string& s) {
    return s.find("last decision: seq") != std::string::npos;
  })) << "first frame never came";
  std::string first = term.LastFrame();
  EXPECT_NE(first.find("100 %"), std::string::npos) << first;
  EXPECT_NE(first.find("deploy of " + v1), std::string::npos) << first;
  const size_t frames = term.Frames();

  // Another process deploys a canary: the open view redraws with it, and says why.
  const std::string v2 = Release("2.0");
  ASSERT_TRUE(term.ReadUntil([&](const std::string&) {
    return term.LastFrame().find("deploy of " + v2) != std::string::npos;
  })) << term.LastFrame();
  EXPECT_GT(term.Frames(), frames);
  std::string frame = term.LastFrame();
  EXPECT_NE(frame.find(v2), std::string::npos);
  EXPECT_NE(frame.find("5 %"), std::string::npos) << frame;
  EXPECT_NE(frame.find("95 %"), std::string::npos) << frame;
  // The canary's metrics against its thresholds (none observed yet), then with an observation.
  EXPECT_NE(frame.find("thresholds of " + v2), std::string::npos) << frame;
  EXPECT_NE(frame.find("latency_ms < 200"), std::string::npos) << frame;
  ASSERT_EQ(Observe(v2, 0.05, 120, 10).code, 0);  // too few samples to decide: held
  ASSERT_TRUE(term.ReadUntil([&](const std::string&) {
    const std::string f = term.LastFrame();
    return f.find("latency_ms < 200") != std::string::npos &&
           f.find("now 120") != std::string::npos && f.find(" met") != std::string::npos &&
           f.find("clear") != std::string::npos;
  })) << term.LastFrame();

  // A bad observation and a tick: the rollback, signed by the controller, is the latest decision.
  ASSERT_EQ(Observe(v2, 2.5, 100).code, 0);  // the default rollback_when: error_rate > 1
  ASSERT_EQ(Tick().code, 0);
  ASSERT_TRUE(term.ReadUntil([&](const std::string&) {
    return term.LastFrame().find("rollback of " + v2 + " by controller (automatic)") !=
           std::string::npos;
  })) << term.LastFrame();

  EXPECT_EQ(term.Interrupt(), 0);
}

TEST_F(StatusWatch, UsageErrorsAreNamed) {
  Release("1.0");
  Outcome json = Dvs({"status", "tax_calc", "--watch", "--json"});
  EXPECT_EQ(json.code, 2);
  EXPECT_NE(json.err.find("--watch"), std::string::npos) << json.err;
  Outcome unknown = Dvs({"status", "no_such", "--watch"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("'no_such' is neither a bundle nor a service"), std::string::npos)
      << unknown.err;
}

}  // namespace
}  // namespace dvs
