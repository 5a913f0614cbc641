// The README's five-minute tour is a test: its shell blocks, extracted exactly as a reader copies
// them (and as the repository's before-stop hook does), run verbatim with `/bin/sh -e` in an empty
// folder with the built dvs on PATH. The run must exit 0 within 40 s, leave no process behind, and
// show what its comments claim: the bundle ids, the canary at 5 % ramped step by step, the
// rollbacks, and an audit that returns them.
#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

// The ```sh, ```bash, ```console (or bare ```) blocks between the "## ...tour" heading and the
// next "## " heading, concatenated. Mirrors the hook's two awk filters line for line.
std::string TourScript(const std::string& readme) {
  static const std::regex kTourHeading("^## .*[Tt]our.*");
  static const std::regex kFence("^```(sh|bash|console)?$");
  std::istringstream in(readme);
  std::string line, script;
  bool in_tour = false, in_block = false;
  while (std::getline(in, line)) {
    if (std::regex_match(line, kTourHeading)) {
      in_tour = true;
      continue;
    }
    if (line.rfind("## ", 0) == 0) in_tour = false;
    if (!in_tour) continue;
    if (std::regex_match(line, kFence)) {
      in_block = !in_block;
      continue;
    }
    if (in_block) script += line + "\n";
  }
  return script;
}

std::string Dirname(const std::string& path) { return path.substr(0, path.rfind('/')); }

// Runs `script` with /bin/sh -e in `dir`/run in a process group of its own, with the built dvs
// first on PATH and none of the DVS_* variables of the caller's environment.
Outcome RunTour(const test::TempDir& dir, const std::string& script, bool* timed_out,
                bool* left_running) {
  test::Write(dir.Sub("tour.sh"), script);
  std::filesystem::create_directory(dir.Sub("run"));
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    if (chdir(dir.Sub("run").c_str()) != 0) _exit(126);
    if (!freopen(dir.Sub("out").c_str(), "w", stdout) ||
        !freopen(dir.Sub("err").c_str(), "w", stderr))
      _exit(126);
    for (const char* v : {"DVS_LEDGER", "DVS_KEY", "DVS_SERVER", "DVS_LOG_KEY", "DVS_PASSPHRASE"})
      unsetenv(v);
    const char* path = std::getenv("PATH");
    setenv("PATH", (Dirname(DVS_BINARY) + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
    std::string tour = dir.Sub("tour.sh");
    execl("/bin/sh", "sh", "-e", tour.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(40);
  int status = 0;
  *timed_out = false;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      *timed_out = true;
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // A `dvs serve &` the tour did not stop would keep running after it: give a stopped server
  // its graceful shutdown, then call whatever is left a leak (and end it).
  const auto grace = Clock::now() + std::chrono::seconds(5);
  while (kill(-pid, 0) == 0 && Clock::now() < grace)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  *left_running = kill(-pid, 0) == 0;
  if (*left_running) kill(-pid, SIGKILL);
  Outcome r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = test::Slurp(dir.Sub("out"));
  r.err = test::Slurp(dir.Sub("err"));
  return r;
}

// Every match of `re`'s first group in `text`, in order.
std::vector<std::string> All(const std::string& text, const std::string& re) {
  std::vector<std::string> out;
  std::regex r(re);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), r); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1].str());
  return out;
}

class ReadmeTour : public ::testing::Test {
 protected:
  // dvs on the ledger the tour left behind.
  Outcome Dvs(const std::vector<std::string>& args) {
    std::string tag = "after" + std::to_string(runs_++);
    return test::WaitDvs(test::StartDvs(args, dir_.Sub("run/ledger"), dir_.path(), tag),
                         dir_.path(), tag);
  }
  std::string State(const std::string& bundle) {
    Outcome r = Dvs({"status", bundle, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return test::ParseJson(r.out).fields().at("state").string_value();
  }

  test::TempDir dir_;
  int runs_ = 0;
};

TEST_F(ReadmeTour, RunsVerbatimInAnEmptyFolderAndShowsWhatItsCommentsSay) {
  const std::string script = TourScript(test::Slurp(DVS_README));
  ASSERT_NE(script.find("dvs init"), std::string::npos) << "no tour found in " << DVS_README;
  bool timed_out = false, left_running = false;
  Outcome run = RunTour(dir_, script, &timed_out, &left_running);
  const std::string shown = "\n--- stdout ---\n" + run.out + "\n--- stderr ---\n" + run.err;
  ASSERT_FALSE(timed_out) << "the tour did not finish within 40 s" << shown;
  ASSERT_EQ(run.code, 0) << "the tour stops part way" << shown;
  EXPECT_FALSE(left_running) << "the tour leaves a process running (dvs serve?)" << shown;

  // The bundle ids it prints, one per version, in the documented form.
  const std::vector<std::string> ids = All(run.out, R"(packaged (tax_calc_[0-9.]+_[0-9a-f]{6})\n)");
  ASSERT_EQ(ids.size(), 4u) << shown;
  const std::string v87 = ids[0], v90 = ids[1], v91 = ids[2], v92 = ids[3];
  EXPECT_EQ(v87.rfind("tax_calc_8.7_", 0), 0u);
  EXPECT_EQ(v92.rfind("tax_calc_9.2_", 0), 0u);

  // "a canary at the manifest's 5 %", then "25, 45, 65, 85, 100 %, then promoted", each tick
  // saying so.
  EXPECT_EQ(All(run.out, "tax_calc " + v90 + R"(: step to (\d+) %)"),
            (std::vector<std::string>{"25", "45", "65", "85", "100"}))
      << shown;
  // Each says its step once, then why: the signed reason's closing "; step to N %" is not
  // printed a second time.
  EXPECT_TRUE(std::regex_search(
      run.out, std::regex("\ntax_calc " + v90 +
                          R"(: step to 25 % at seq \d+ \(all promote_when conditions hold\)\n)")))
      << shown;
  EXPECT_NE(run.out.find("tax_calc " + v90 + ": promote"), std::string::npos) << shown;
  EXPECT_NE(run.out.find("tax_calc " + v91 + ": rollback"), std::string::npos) << shown;
  Outcome deploys = Dvs({"audit", "--type", "deploy", "--json"});
  ASSERT_EQ(deploys.code, 0) << deploys.err;
  EXPECT_EQ(All(deploys.out, R"("weight_after":\s*(\d+))"),
            (std::vector<std::string>{"100", "5", "5", "5"}))
      << "first release at 100 %, then canaries at 5 %: " << deploys.out;

  // The final states: 9.1 rolled back by the controller, 9.0 by hand, 9.2 by the server the
  // moment its observation arrived (what the tour's `dvs status` printed); 8.7 serves again.
  EXPECT_EQ(State(v91), "rolled_back");
  EXPECT_EQ(State(v90), "rolled_back");
  EXPECT_EQ(State(v92), "rolled_back");
  EXPECT_EQ(State(v87), "stable");
  EXPECT_NE(run.out.find("state     rolled_back"), std::string::npos) << shown;
  EXPECT_TRUE(std::regex_search(
      run.out, std::regex("observe " + v92 + R"(: committed at seq \d+; canary at 5 %; )" +
                          R"(the controller decided rollback at seq \d+)")))
      << "the observation sent to dvs serve says what it triggered" << shown;

  // The tour's audit query printed both rollbacks; the ledger holds the server's third.
  for (const std::string& id : {v91, v90}) {
    EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\n *\d+  \S+  rollback +\S+ +)" + id)))
        << "no audit row for the rollback of " << id << shown;
  }
  Outcome audit = Dvs({"audit", "--service", "tax_calc", "--type", "rollback", "--json"});
  ASSERT_EQ(audit.code, 0) << audit.err;
  EXPECT_EQ(All(audit.out, R"re("bundle":\s*"([^"]+)")re"),
            (std::vector<std::string>{v91, v90, v92}))
      << audit.out;

  // "For auditors (the tour, continued)": a checkpoint, proofs from it, and an auditor's copy
  // that dvs-verify finds valid against the pinned root and that checkpoint.
  EXPECT_NE(run.out.find("\"leafIdx\":20"), std::string::npos) << shown;
  EXPECT_NE(run.out.find("\"size1\":10"), std::string::npos) << shown;
  EXPECT_TRUE(std::regex_search(run.out, std::regex(R"(\nVALID: \d+ entries)"))) << shown;
  EXPECT_NE(run.out.find("q3.checkpoint: signed by 'log'"), std::string::npos) << shown;
}

}  // namespace
}  // namespace dvs
