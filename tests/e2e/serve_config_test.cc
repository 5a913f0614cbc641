// `dvs serve --config FILE`: YAML keys mirror the flags, flags override keys, a mistyped key is
// named with the closest flag.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

class ServeConfig : public test::LedgerFixture {
 protected:
  // Starts `dvs serve ARGS`, waits for its banner (and for `ready`, when given), stops it with
  // SIGTERM; returns what it printed. Generous waits: CI machines are loaded.
  Outcome ServeOnce(const std::vector<std::string>& args,
                    const std::function<bool()>& ready = nullptr) {
    std::vector<std::string> all = {"serve"};
    all.insert(all.end(), args.begin(), args.end());
    pid_t pid = test::StartDvs(all, Ledger(), dir_.path(), "serve");
    for (int i = 0; i < 800; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {  // it stopped by itself: a refusal
        Outcome r;
        r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.out = test::Slurp(dir_.Sub("serve.out"));
        r.err = test::Slurp(dir_.Sub("serve.err"));
        return r;
      }
      if (test::Slurp(dir_.Sub("serve.out")).find("listening") != std::string::npos &&
          (ready == nullptr || ready())) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    kill(pid, SIGTERM);
    return test::WaitDvs(pid, dir_.path(), "serve");
  }
};

TEST_F(ServeConfig, KeysMirrorTheFlagsAndFlagsOverrideThem) {
  Write("serve.yaml", "listen: not-an-address\ntick: 1h\ncontroller-key: " + Key("controller") +
                          "\nrouter: [file:" + dir_.Sub("routes.json") + "]\n");
  // The file's listen is applied...
  Outcome bad = ServeOnce({"--config", dir_.Sub("serve.yaml")});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--listen 'not-an-address' is not ADDR:PORT"), std::string::npos)
      << bad.err;
  // ...unless the command line says otherwise; the file's other keys still count.
  // (The file router writes its first table just after the banner.)
  Outcome r = ServeOnce({"--config", dir_.Sub("serve.yaml"), "--listen", "127.0.0.1:0"},
                        [&] { return std::filesystem::exists(dir_.Sub("routes.json")); });
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("listening on http://127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("controller off"), std::string::npos) << r.out;  // controller-key applied
  EXPECT_TRUE(std::filesystem::exists(dir_.Sub("routes.json")));        // and the router
}

TEST_F(ServeConfig, AMistypedKeyIsNamedWithTheClosestFlag) {
  Write("serve.yaml", "listen: 127.0.0.1:0\ncontoller-key: x.key\n");
  Outcome r = ServeOnce({"--config", dir_.Sub("serve.yaml")});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "dvs: serve --config: unknown key 'contoller-key'; did you mean 'controller-key'?\n");
}

}  // namespace
}  // namespace dvs
