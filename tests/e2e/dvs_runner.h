// Runs the real dvs binary as a user would: its own process, arguments, environment, exit code,
// stdout and stderr. Also a ledger fixture with a key for every role.
#ifndef DVS_TESTS_E2E_DVS_RUNNER_H_
#define DVS_TESTS_E2E_DVS_RUNNER_H_

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ledger/hash.h"
#include "tests/test_util.h"

namespace dvs::test {

struct Outcome {
  int code = -1;
  std::string out, err;
};

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts `program` with `args`, with DVS_LEDGER set to `ledger` (when not empty) and DVS_KEY unset.
// Does not wait; returns the pid. stdout/stderr go to files under `scratch`.
inline pid_t StartProgram(const char* program, const std::vector<std::string>& args,
                          const std::string& ledger, const std::string& scratch,
                          const std::string& tag) {
  pid_t pid = fork();
  if (pid == 0) {
    setsid();  // no controlling terminal, as in automation: nothing can prompt on /dev/tty
    std::string out = scratch + "/" + tag + ".out", err = scratch + "/" + tag + ".err";
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
    unsetenv("DVS_KEY");
    if (!ledger.empty()) setenv("DVS_LEDGER", ledger.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(program, argv.data());
    _exit(127);
  }
  return pid;
}

// The same for the dvs binary.
inline pid_t StartDvs(const std::vector<std::string>& args, const std::string& ledger,
                      const std::string& scratch, const std::string& tag) {
  return StartProgram(DVS_BINARY, args, ledger, scratch, tag);
}

inline Outcome WaitDvs(pid_t pid, const std::string& scratch, const std::string& tag) {
  int status = 0;
  waitpid(pid, &status, 0);
  Outcome r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = Slurp(scratch + "/" + tag + ".out");
  r.err = Slurp(scratch + "/" + tag + ".err");
  return r;
}

inline void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline google::protobuf::Struct ParseJson(const std::string& text) {
  google::protobuf::Struct s;
  auto st = google::protobuf::util::JsonStringToMessage(text, &s);
  EXPECT_TRUE(st.ok()) << "not JSON: " << text;
  return s;
}

// A ledger with keys for every role and the demo's governance policy.
class LedgerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* who : {"root", "governance", "publisher", "admin", "observer", "controller"}) {
      ASSERT_EQ(Dvs({"keygen", "--out", Key(who)}).code, 0) << who;
    }
    ASSERT_EQ(Dvs({"init", "--root-key", Key("root"), "--name", "test"}).code, 0);
    Grant("governance", "governance");
    Grant("publisher", "publisher");
    Grant("admin", "release_admin");
    Grant("observer", "observer");
    Grant("controller", "controller");
    Write("policy.yaml",
          "allowed_licenses: [Apache-2.0, MIT]\nrequired_reviews: [ethics_review]\n"
          "required_tags: {fedramp: [moderate, high]}\n");
    ASSERT_EQ(Dvs({"policy", "set", dir_.Sub("policy.yaml"), "--key", Key("root")}).code, 0);
  }

  std::string Key(const std::string& who) const { return dir_.Sub(who + ".key"); }
  std::string Ledger() const { return dir_.Sub("ledger"); }

  // Runs dvs on the fixture's ledger, or through `server_` (--server) once a test set it.
  Outcome Dvs(std::vector<std::string> args) {
    if (!server_.empty()) args.insert(args.begin(), {"--server", server_});
    return Local(args);
  }
  // Runs dvs on the fixture's ledger directly, even when a server is set.
  Outcome Local(const std::vector<std::string>& args) {
    std::string tag = "run" + std::to_string(runs_++);
    return WaitDvs(StartDvs(args, Ledger(), dir_.path(), tag), dir_.path(), tag);
  }

  void Grant(const std::string& who, const std::string& role) {
    Outcome r = Dvs(
        {"key", "grant", who, "--pub", Key(who) + ".pub", "--role", role, "--key", Key("root")});
    ASSERT_EQ(r.code, 0) << r.err;
  }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_.Sub(name)) << text;
  }

  static std::string ManifestYaml(const std::string& version, const std::string& extra = "",
                                  const std::string& model = "") {
    return "name: tax_calc\nversion: \"" + version + "\"\ncode: registry.gov/tax_calc:" + version +
           "\nmodel: " + (model.empty() ? "s3://models/tax_v" + version + ".onnx" : model) +
           "\nconfig: {brackets: \"2024\"}\n"
           "governance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}\n"
           "rollout: {interval: 0s, min_samples: 100}\n" +
           extra;
  }

  // Packages a manifest; returns the bundle id.
  std::string Package(const std::string& version, const std::string& model = "") {
    Write("m-" + version + ".yaml", ManifestYaml(version, "", model));
    Outcome r = Dvs({"package", dir_.Sub("m-" + version + ".yaml"), "--key", Key("publisher")});
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }
  std::string Release(const std::string& version) {
    std::string id = Package(version);
    EXPECT_EQ(Dvs({"approve", id, "--key", Key("governance")}).code, 0);
    EXPECT_EQ(Dvs({"deploy", id, "--key", Key("admin")}).code, 0);
    return id;
  }
  Outcome Observe(const std::string& id, double err, double lat, int samples = 200) {
    return Dvs({"observe", id, "--metric", "error_rate=" + std::to_string(err), "--metric",
                "latency_ms=" + std::to_string(lat), "--samples", std::to_string(samples), "--key",
                Key("observer")});
  }
  Outcome Tick() { return Dvs({"tick", "--key", Key("controller")}); }

  google::protobuf::Struct StatusJson(const std::string& target) {
    Outcome r = Dvs({"status", target, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return ParseJson(r.out);
  }

  // The ledger's bytes: a refused command must leave them exactly as they were.
  std::string Fingerprint() const { return ToHex(Sha256(Slurp(Ledger() + "/data.mdb"))); }

  TempDir dir_;
  int runs_ = 0;
  std::string server_;  // http://127.0.0.1:PORT when commands go through `dvs serve`
};

}  // namespace dvs::test

#endif  // DVS_TESTS_E2E_DVS_RUNNER_H_
