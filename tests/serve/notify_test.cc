// `dvs serve --notify`: a real HTTP receiver (here, on loopback) gets every deploy event as a
// CloudEvents 1.0 document signed by the controller's key, in ledger order, each at least once
// and, after a restart of the server, resumed from the last acknowledged seq; a receiver that
// is down delays no decision.
#include <atomic>
#include <mutex>

#include "api/controller/notifiers.h"
#include "ledger/key_files.h"
#include "tests/serve/serve_fixture.h"
#include "tools/testbed/loopback_listener.h"

namespace dvs {
namespace {

using test::Eventually;
using Clock = std::chrono::steady_clock;

struct Delivery {
  std::string body, signature, key_id, content_type;
  google::protobuf::Struct event;
};

// A webhook receiver: answers each POST with `status` (200 acknowledges).
class Receiver {
 public:
  std::string Url() const { return "http://" + listener_.address() + "/hooks/dvs"; }
  std::atomic<int> status{200};
  std::vector<Delivery> got() {
    std::lock_guard<std::mutex> l(mu_);
    return got_;
  }
  int refused() const { return refused_; }

 private:
  void Serve(int c) {
    const std::string req = test::ReadHttpRequest(c, 2000);
    if (req.empty()) return;
    const size_t end = req.find("\r\n\r\n");
    const std::string head = req.substr(0, end);
    const int code = status;
    if (code == 200) {
      Delivery d{req.substr(end + 4),
                 test::HeaderValue(head, "dvs-signature"),
                 test::HeaderValue(head, "dvs-key-id"),
                 test::HeaderValue(head, "content-type"),
                 {}};
      d.event = test::ParseJson(d.body);
      std::lock_guard<std::mutex> l(mu_);
      got_.push_back(std::move(d));
    } else {
      ++refused_;
    }
    test::SendAll(c, "HTTP/1.1 " + std::to_string(code) +
                         " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  }

  std::atomic<int> refused_{0};
  std::mutex mu_;
  std::vector<Delivery> got_;
  test::LoopbackListener listener_{[this](int c) { Serve(c); }};  // last: destroyed first
};

std::string Field(const google::protobuf::Struct& s, const std::string& k) {
  auto it = s.fields().find(k);
  return it == s.fields().end() ? "" : it->second.string_value();
}

class Notifications : public test::ServeFixture {
 protected:
  // The seqs of the ledger's deploy events (what must be delivered), from `dvs log`.
  std::vector<std::string> DeployEventSeqs(uint64_t from) {
    test::Outcome r = Local({"log", "--json", "--from", std::to_string(from)});
    EXPECT_EQ(r.code, 0) << r.err;
    std::vector<std::string> out;
    const auto log = test::ParseJson(r.out);
    for (const auto& e : log.fields().at("entries").list_value().values()) {
      const std::string type = Field(e.struct_value(), "type");
      if (type == "deploy" || type == "ramp" || type == "pause" || type == "resume" ||
          type == "promote" || type == "rollback" || type == "retire" || type == "confirm") {
        out.push_back(std::to_string(
            static_cast<uint64_t>(e.struct_value().fields().at("seq").number_value())));
      }
    }
    return out;
  }
  // Every delivery is a CloudEvent whose signature the controller's public key verifies.
  void ExpectSignedCloudEvents(const std::vector<Delivery>& got) {
    auto pub = LoadPublicKey(Key("controller") + ".pub");
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    for (const Delivery& d : got) {
      EXPECT_EQ(d.content_type, "application/cloudevents+json");
      EXPECT_EQ(Field(d.event, "specversion"), "1.0");
      EXPECT_EQ(Field(d.event, "source"), "dvs:test");
      EXPECT_EQ(Field(d.event, "type").rfind("dvs.deploy.", 0), 0u) << d.body;
      EXPECT_EQ(d.key_id, pub->Id());
      auto sig = FromBase64(d.signature);
      ASSERT_TRUE(sig.has_value()) << d.signature;
      EXPECT_TRUE(pub->Verify(kNotificationContext, d.body, *sig)) << d.body;
      std::string tampered = d.body;
      tampered[tampered.size() / 2] ^= 1;
      EXPECT_FALSE(pub->Verify(kNotificationContext, tampered, *sig));
    }
  }
  static std::vector<std::string> Ids(const std::vector<Delivery>& got) {
    std::vector<std::string> ids;
    for (const Delivery& d : got) ids.push_back(Field(d.event, "id"));
    return ids;
  }
};

TEST_F(Notifications, EveryDeployEventArrivesSignedInOrderAndResumesAfterARestart) {
  Receiver hook;
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  const uint64_t start = 0;
  StartServer({"--notify", "webhook:" + hook.Url()}, "1h");
  const uint64_t first = Entries();  // a new notifier starts at the head
  std::string v90 = Release("9.0");
  ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);       // ramp to 25 %
  ASSERT_EQ(Observe(v90, 0.02, 450, 300).code, 0);  // rollback, with its evidence
  ASSERT_TRUE(Eventually([&] { return Ids(hook.got()) == DeployEventSeqs(first); }))
      << hook.got().size() << " delivered";
  std::vector<Delivery> got = hook.got();
  ExpectSignedCloudEvents(got);
  EXPECT_EQ(Field(got.front().event, "type"), "dvs.deploy.start");
  EXPECT_EQ(Field(got.front().event, "subject"), v90);
  const auto& last = got.back().event;
  EXPECT_EQ(Field(last, "type"), "dvs.deploy.rollback");
  const auto& data = last.fields().at("data").struct_value();
  EXPECT_NE(Field(data, "detail").find("latency_ms"), std::string::npos) << got.back().body;
  EXPECT_EQ(data.fields().at("evidence").list_value().values_size(), 1);
  EXPECT_TRUE(data.fields().at("automatic").bool_value());

  // The server stops; a release_admin acts meanwhile; the server comes back.
  ASSERT_EQ(StopServer().code, 0);
  const std::string url = server_;
  server_.clear();
  std::string v91 = Release("9.1");
  ASSERT_EQ(Dvs({"pause", v91, "--key", Key("admin")}).code, 0);
  StartServer({"--notify", "webhook:" + hook.Url()}, "1h");
  // Every deploy event exactly once across the restart: none missed, none repeated.
  ASSERT_TRUE(Eventually([&] { return Ids(hook.got()) == DeployEventSeqs(first); }))
      << hook.got().size() << " delivered, ids " << [&] {
           std::string s;
           for (auto& i : Ids(hook.got())) s += i + " ";
           return s;
         }();
  got = hook.got();
  ExpectSignedCloudEvents(got);
  EXPECT_EQ(Field(got.back().event, "type"), "dvs.deploy.paused");
  (void)start;
  (void)url;
}

TEST_F(Notifications, AReceiverThatIsDownDelaysNoDecisionAndGetsEverythingWhenItReturns) {
  Receiver hook;
  hook.status = 503;  // down
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  StartServer({"--notify", "webhook:" + hook.Url()}, "1h");
  const uint64_t first = Entries();
  std::string v90 = Release("9.0");
  ASSERT_TRUE(Eventually([&] { return hook.refused() > 0; }));
  const auto t0 = Clock::now();
  test::Outcome rolled = Observe(v90, 0.02, 450, 300);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  ASSERT_EQ(rolled.code, 0) << rolled.err;
  EXPECT_NE(rolled.out.find("the controller decided rollback"), std::string::npos) << rolled.out;
  EXPECT_LT(ms, 2000) << "the observation (a whole dvs process) waited for the receiver";
  EXPECT_NE(ServerLog().find("webhook " + hook.Url() + " answered 503"), std::string::npos)
      << ServerLog();
  hook.status = 200;  // back: the events it missed arrive, in order
  ASSERT_TRUE(Eventually([&] { return Ids(hook.got()) == DeployEventSeqs(first); }, 15000))
      << hook.got().size() << " delivered";
  ExpectSignedCloudEvents(hook.got());
}

TEST_F(Notifications, ACommandGetsEachEventOnStdinWithItsSignatureInTheEnvironment) {
  std::string v87 = Release("8.7");
  const std::string events = dir_.Sub("events"), sigs = dir_.Sub("sigs");
  StartServer({"--notify", "exec:cat >> " + events + "; echo >> " + events +
                               "; echo \"$DVS_KEY_ID $DVS_SIGNATURE\" >> " + sigs},
              "1h");
  std::string v90 = Release("9.0");
  ASSERT_TRUE(Eventually([&] { return !test::Slurp(sigs).empty(); }));
  const std::string body = test::Slurp(events).substr(0, test::Slurp(events).find('\n'));
  const std::string line = test::Slurp(sigs).substr(0, test::Slurp(sigs).find('\n'));
  auto pub = LoadPublicKey(Key("controller") + ".pub");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(line.substr(0, line.find(' ')), pub->Id());
  auto sig = FromBase64(line.substr(line.find(' ') + 1));
  ASSERT_TRUE(sig.has_value()) << line;
  EXPECT_TRUE(pub->Verify(kNotificationContext, body, *sig)) << body;
  EXPECT_EQ(Field(test::ParseJson(body), "type"), "dvs.deploy.start");
  EXPECT_EQ(Field(test::ParseJson(body), "subject"), v90);
}

TEST_F(Notifications, BadSpecsAreUsageErrors) {
  test::Outcome r = Local({"serve", "--listen", "127.0.0.1:0", "--controller-key",
                           Key("controller"), "--notify", "pager:555-0100"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("notifier 'pager:555-0100' is not webhook:URL or exec:CMD"),
            std::string::npos)
      << r.err;
  r = Local({"serve", "--listen", "127.0.0.1:0", "--notify", "exec:cat"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--notify needs --controller-key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dvs
