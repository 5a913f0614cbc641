// A ledger fixture with the real `dvs serve` running on a loopback port, and helpers to talk to
// it with a real HTTP client (api/http/http_client.h) or through `dvs --server`.
#ifndef DVS_TESTS_SERVE_SERVE_FIXTURE_H_
#define DVS_TESTS_SERVE_SERVE_FIXTURE_H_

#include <signal.h>

#include <chrono>
#include <thread>

#include "api/http/http_client.h"
#include "tests/e2e/dvs_runner.h"

namespace dvs::test {

class ServeFixture : public LedgerFixture {
 protected:
  void TearDown() override {
    if (server_pid_ > 0) {
      ::kill(server_pid_, SIGKILL);
      ::waitpid(server_pid_, nullptr, 0);
    }
  }

  // Starts `dvs serve` with the controller key and `extra` arguments; waits until it listens.
  void StartServer(const std::vector<std::string>& extra = {}, const std::string& tick = "100ms",
                   const std::string& listen = "127.0.0.1:0") {
    std::vector<std::string> args = {"serve", "--listen",         listen,           "--tick",
                                     tick,    "--controller-key", Key("controller")};
    args.insert(args.end(), extra.begin(), extra.end());
    server_tag_ = "serve" + std::to_string(servers_++);
    server_pid_ = StartDvs(args, Ledger(), dir_.path(), server_tag_);
    const std::string out = dir_.Sub(server_tag_ + ".out");
    for (int i = 0; i < 500; ++i) {
      std::string text = Slurp(out);
      size_t at = text.find("http://127.0.0.1:");
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        size_t end = text.find(' ', at);
        server_ = text.substr(at, end - at);
        url_ = *HttpUrl::Parse(server_);
        return;
      }
      int status;
      if (::waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
        server_pid_ = -1;
        FAIL() << "dvs serve exited: " << Slurp(dir_.Sub(server_tag_ + ".err"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "dvs serve did not start listening";
  }

  // SIGTERM, then the exit code and what it printed.
  Outcome StopServer() {
    ::kill(server_pid_, SIGTERM);
    Outcome o = WaitDvs(server_pid_, dir_.path(), server_tag_);
    server_pid_ = -1;
    return o;
  }

  HttpReply Http(const std::string& method, const std::string& target,
                 const std::string& body = "") {
    auto r = HttpCall(url_, method, target, body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : HttpReply{};
  }

  uint64_t Entries() {
    auto s = ParseJson(Http("GET", "/healthz").body);
    return static_cast<uint64_t>(s.fields().at("entries").number_value());
  }

  void ExpectServerStillAnswers() {
    HttpReply r = Http("GET", "/healthz");
    EXPECT_EQ(r.status, 200) << r.body;
  }

  std::string ServerLog() { return Slurp(dir_.Sub(server_tag_ + ".err")); }

  pid_t server_pid_ = -1;
  std::string server_tag_;
  int servers_ = 0;
  HttpUrl url_;
};

// Waits until `pred` holds, up to `ms`; true when it did.
template <typename Pred>
bool Eventually(Pred pred, int ms = 5000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace dvs::test

#endif  // DVS_TESTS_SERVE_SERVE_FIXTURE_H_
