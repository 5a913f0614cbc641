// Malformed, oversized, unknown, slow and vanished requests get clear 4xx answers or are dropped,
// and never stop the server; SIGTERM finishes what is in flight and exits 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>

#include "api/service/release_service.h"
#include "api/service/transitions.h"
#include "ledger/entry_batch.h"
#include "ledger/key_files.h"
#include "ledger/log.h"
#include "tests/serve/serve_fixture.h"
#include "tests/serve/sse_client.h"

namespace dvs {
namespace {

using test::Outcome;

class ServeRobustness : public test::ServeFixture {
 protected:
  int Connect() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(std::stoi(url_.port)));
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    return fd;
  }
  // Sends raw bytes; returns what the server sent back until it closed or `wait_ms` passed.
  std::string Raw(const std::string& bytes, int wait_ms = 3000, bool* closed = nullptr) {
    int fd = Connect();
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    if (closed) *closed = false;
    for (;;) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed) *closed = true;
        break;
      }
      out.append(buf, n);
    }
    ::close(fd);
    return out;
  }
  void ExpectHealthy() {
    HttpReply r = Http("GET", "/healthz");
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // A `dvs serve` that must refuse to start: its outcome, or a failure (and a kill) if it is
  // still running after 10 s, that is, if it started.
  Outcome ServeThatMustNotStart(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string tag = "refused-serve" + std::to_string(runs_++);
    const pid_t pid = test::StartDvs(args, Ledger(), dir_.path(), tag);
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        return {WEXITSTATUS(status), test::Slurp(dir_.Sub(tag + ".out")),
                test::Slurp(dir_.Sub(tag + ".err"))};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ADD_FAILURE() << "dvs serve " << extra[0]
                  << " started: " << test::Slurp(dir_.Sub(tag + ".out"));
    return {};
  }
};

TEST_F(ServeRobustness, ASecondServerOnTheSameLedgerIsRefusedUntilTheFirstIsGoneEvenByKill) {
  StartServer();
  const std::string lock = Ledger() + "/serve.lock";
  Outcome second = ServeThatMustNotStart({"--controller-key", Key("controller")});
  EXPECT_EQ(second.code, 1);
  EXPECT_EQ(second.err, "dvs: serve: ledger " + Ledger() + " is already served by dvs serve pid " +
                            std::to_string(server_pid_) + " (" + lock +
                            "); one server, one controller per ledger\n");
  ExpectHealthy();
  // SIGKILL runs no cleanup: the kernel releases the lock with the process.
  ::kill(server_pid_, SIGKILL);
  ::waitpid(server_pid_, nullptr, 0);
  server_pid_ = -1;
  StartServer();
  ExpectHealthy();
  EXPECT_EQ(StopServer().code, 0);
  StartServer();  // and after an orderly stop
  ExpectHealthy();
}

TEST_F(ServeRobustness, StartRefusesARouterFolderThatIsNotThereAndCheckpointsWithoutALogKey) {
  Outcome router = ServeThatMustNotStart({"--router", "file:/nonexistent/dir/x"});
  EXPECT_EQ(router.code, 1);
  EXPECT_EQ(router.err,
            "dvs: serve: router 'file:/nonexistent/dir/x': folder /nonexistent/dir does not "
            "exist\n");
  Outcome every = ServeThatMustNotStart({"--checkpoint-every", "10"});
  EXPECT_EQ(every.code, 2);
  EXPECT_EQ(every.err,
            "dvs: serve: --checkpoint-every needs --log-key (or $DVS_LOG_KEY): checkpoints are "
            "signed by the log key, and without one none is written\n");
}

TEST_F(ServeRobustness, ClusterGrowthFlagsAreCheckedBeforeAnythingStarts) {
  const std::string etcd = "etcd://127.0.0.1:1/p";
  test::Write(dir_.Sub("cluster-less.yaml"), "node-name: a\n");
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  for (const Case& c : std::vector<Case>{
           {{"--cluster", etcd, "--node-name", "a", "--compact-every", "5"},
            "--compact-every '5' needs a unit (ms, s, m, h), e.g. 5s"},
           {{"--cluster", etcd, "--node-name", "a", "--compact-every", "10ms"},
            "--compact-every 10ms must be between 100ms and 24h, or 0 (never)"},
           {{"--cluster", etcd, "--node-name", "a", "--advertise-url", "ftp://x"},
            "--advertise-url 'ftp://x' is not http://HOST:PORT[/PREFIX]"},
           {{"--advertise-url", "http://10.0.0.1:8080"},
            "--advertise-url makes sense only with --cluster"},
           // Flags that would do nothing without --cluster, given on the command line or in
           // --config (written below).
           {{"--compact-every", "1m"}, "--compact-every makes sense only with --cluster"},
           {{"--node-name", "a"}, "--node-name makes sense only with --cluster"},
           {{"--lease-ttl", "5s"}, "--lease-ttl makes sense only with --cluster"},
           {{"--config", dir_.Sub("cluster-less.yaml")},
            "--node-name makes sense only with --cluster"},
           {{"--cluster", etcd, "--node-name", "a", "--lease-ttl", "1"},
            "--lease-ttl 1 needs a unit: 1s"},
           {{"--cluster", etcd, "--node-name", "a", "--lease-ttl", "99999h"},
            "--lease-ttl 99999h must be whole seconds from 1s to 300s (a dead leader is "
            "replaced only when its lease runs out)"},
           {{"--cluster", etcd, "--node-name", "a", "--lease-ttl", "301s"},
            "must be whole seconds from 1s to 300s"},
           // A mistyped prefix is refused before it could seed a second history.
           {{"--cluster", "etcd://127.0.0.1:1/a b", "--node-name", "a"},
            "prefix '/a b' holds whitespace or a control character"},
           {{"--cluster", "etcd://127.0.0.1:1/a\tb", "--node-name", "a"},
            "holds whitespace or a control character"},
           {{"--cluster", "etcd://127.0.0.1:1//", "--node-name", "a"}, "needs a /PREFIX"},
       }) {
    Outcome r = ServeThatMustNotStart(c.args);
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_NE(r.err.find(c.err), std::string::npos) << r.err;
  }
  // --compact-every 0s means never, like 0; without --log-key an explicit period warns that this
  // node writes no checkpoint to compact up to. (etcd at port 1 is not there: exit 1, not 2.)
  Outcome never =
      ServeThatMustNotStart({"--cluster", etcd, "--node-name", "a", "--compact-every", "0s"});
  EXPECT_EQ(never.code, 1) << never.err;
  EXPECT_EQ(never.err.find("--compact-every"), std::string::npos) << never.err;
  Outcome warned =
      ServeThatMustNotStart({"--cluster", etcd, "--node-name", "a", "--compact-every", "5m"});
  EXPECT_EQ(warned.code, 1) << warned.err;
  EXPECT_NE(warned.err.find("warning: --compact-every without --log-key"), std::string::npos)
      << warned.err;
}

// GET /v1/entries: the stored bytes a bootstrapping cluster node fetches from a peer.
TEST_F(ServeRobustness, RawEntriesAreTheStoredBytesAndBadRangesAreNamed) {
  StartServer();
  std::vector<std::string> stored;
  {
    LogOptions o;
    o.read_only = true;
    auto log = Log::Open(Ledger(), o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    ASSERT_TRUE((*log)
                    ->Scan(0, UINT64_MAX,
                           [&](uint64_t, std::string_view raw) {
                             stored.emplace_back(raw);
                             return Status::OK();
                           })
                    .ok());
  }
  const size_t n = stored.size();
  ASSERT_GE(n, 3u);
  HttpReply all = Http("GET", "/v1/entries?from=0");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.content_type, "application/octet-stream");
  auto decoded = DecodeBatch(all.body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(*decoded == stored);
  HttpReply two = Http("GET", "/v1/entries?from=1&limit=2");
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.body, EncodeBatch({stored[1], stored[2]}));
  HttpReply at_head = Http("GET", "/v1/entries?from=" + std::to_string(n));
  EXPECT_EQ(at_head.status, 200);
  EXPECT_EQ(at_head.body, "");  // nothing yet
  struct Case {
    std::string target;
    int status;
    std::string words;
  };
  for (const Case& c : std::vector<Case>{
           {"/v1/entries", 400, "?from=SEQ is required"},
           {"/v1/entries?from=abc", 400, "?from 'abc' is not a seq"},
           {"/v1/entries?from=-1", 400, "is not a seq"},
           {"/v1/entries?from=0&limit=0", 400, "?limit '0' is not between 1 and 10000"},
           {"/v1/entries?from=0&limit=10001", 400, "?limit '10001' is not between 1 and 10000"},
           {"/v1/entries?from=0&limit=x", 400, "is not between 1 and 10000"},
           {"/v1/entries?from=0&from=1", 400, "given twice"},
           {"/v1/entries?from=0&to=3", 400, "unknown query parameter ?to"},
           {"/v1/entries?from=" + std::to_string(n + 1), 404,
            "?from " + std::to_string(n + 1) + " is past the head (this ledger holds " +
                std::to_string(n) + " entries)"},
       }) {
    HttpReply r = Http("GET", c.target);
    EXPECT_EQ(r.status, c.status) << c.target << ": " << r.body;
    EXPECT_NE(r.body.find(c.words), std::string::npos) << c.target << ": " << r.body;
  }
  // Submissions still go to POST /v1/entries.
  HttpReply bad = Http("POST", "/v1/entries", "[1]");
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(ServeRobustness, BadRequestsGetNamedFourHundreds) {
  StartServer();
  struct Case {
    std::string method, target, body;
    int status;
    std::string words;
  };
  for (const Case& c : std::vector<Case>{
           {"GET", "/v2/nothing", "", 404, "no such endpoint"},
           {"DELETE", "/v1/routes", "", 405, "takes GET"},
           {"DELETE", "/v1/entries", "", 405, "takes POST (submit) or GET"},
           {"POST", "/v1/entries", "{\"body\": ", 400, "not JSON"},
           {"POST", "/v1/entries", "[1,2,3]", 400, "JSON object"},
           {"POST", "/v1/entries", "{\"body\":\"***\",\"signer_key\":\"a\",\"signature\":\"b\"}",
            400, "not base64"},
           {"POST", "/v1/entries", "{\"entries\":[]}", 400, "non-empty array"},
           {"GET", "/v1/routes?format=xml", "", 400, "format 'xml'"},
           {"GET", "/v1/log?from=abc", "", 400, "not a seq"},
           {"GET", "/v1/log?from=9&to=3", "", 400, "after"},
           {"GET", "/v1/audit?since=yesterday", "", 400, "not a time"},
           {"GET", "/v1/audit?servce=tax_calc", "", 400, "unknown query parameter ?servce"},
           {"GET", "/v1/log?form=3", "", 400, "unknown query parameter ?form"},
           {"GET", "/v1/routes?format=csv", "", 400, "csv is for entry rows"},
           {"GET", "/v1/audit?type=a&type=b", "", 400, "given twice"},
           {"GET", "/v1/status/no_such_thing", "", 404, "neither a bundle nor a service"},
           {"GET", "/v1/events?from=-1", "", 400, "not a seq"},
           {"GET", "/v1/status/%zz", "", 400, "percent-encoding"},
           {"GET", "/v1/routes?min_seq=abc", "", 400, "?min_seq 'abc' is not a seq"},
           {"GET", "/v1/log?min_seq=1&min_seq=2", "", 400, "given twice"},
           {"GET", "/v1/routes?min_seq=999999", "", 503, "entry 999999 (?min_seq) is not here yet"},
           {"GET", "/v1/entries?from=0&min_seq=999999", "", 503, "is not here yet"},
           {"GET", "/v1/events?from=0&follow=false&min_seq=999999", "", 503, "is not here yet"},
           {"GET", "/v1/events?from=0&follow=false&min_seq=x", "", 400, "?min_seq 'x' is not a seq"},
       }) {
    HttpReply r = Http(c.method, c.target, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << ": " << r.body;
    EXPECT_NE(r.body.find(c.words), std::string::npos)
        << c.method << " " << c.target << ": " << r.body;
  }
  // Not HTTP at all, and headers beyond the limit.
  EXPECT_NE(Raw("HELLO THERE\r\n\r\n").find("400 Bad Request"), std::string::npos);
  EXPECT_NE(Raw("GET / HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n").find("431"),
            std::string::npos);
  // A body larger than the limit is refused from its Content-Length, before it is sent.
  std::string big = Raw("POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n");
  EXPECT_NE(big.find("413"), std::string::npos) << big;
  EXPECT_NE(big.find("exceeds"), std::string::npos) << big;
  ExpectHealthy();
}

// HEAD answers what GET would, without the body: on a kept-alive connection the next answer
// must start where the HEAD answer's header ends. A 405 says what the path takes in Allow.
TEST_F(ServeRobustness, HeadAnswersCarryNoBodyAndMethodErrorsSayWhatIsAllowed) {
  StartServer();
  const std::string both = Raw(
      "HEAD /v1/routes HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const size_t second = both.find("HTTP/1.1", 1);
  ASSERT_NE(second, std::string::npos) << both;
  const std::string head = both.substr(0, second);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
  const std::string get_routes = Http("GET", "/v1/routes").body;
  EXPECT_NE(head.find("Content-Length: " + std::to_string(get_routes.size()) + "\r\n"),
            std::string::npos)
      << head;
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n") << "HEAD answer carries a body: " << head;
  EXPECT_NE(both.find("\"status\":\"ok\"", second), std::string::npos) << both;
  // The dashboard's page: the length of the page, no page.
  const std::string page = Raw("HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(page.find("Content-Length: " + std::to_string(Http("GET", "/").body.size())),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("<html"), std::string::npos) << page;
  const std::string del =
      Raw("DELETE /v1/entries HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(del.find("405"), std::string::npos) << del;
  EXPECT_NE(del.find("Allow: GET, POST\r\n"), std::string::npos) << del;
  ExpectHealthy();
}

TEST_F(ServeRobustness, SlowAndVanishedClientsAreDroppedWhileOthersAreServed) {
  StartServer({"--idle-timeout", "1"});
  // Slow: half a request line, then nothing. The server hangs up after the idle timeout.
  bool closed = false;
  auto t0 = std::chrono::steady_clock::now();
  std::string slow = Raw("GET /v1/rou", 5000, &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(4000));
  // Vanished: many clients that send part of a request, or subscribe to events, then go away.
  for (int i = 0; i < 50; ++i) {
    int fd = Connect();
    std::string half = "POST /v1/entries HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"bo";
    ::send(fd, half.data(), half.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  for (int i = 0; i < 5; ++i) {
    int fd = Connect();
    std::string sub = "GET /v1/events?from=0 HTTP/1.1\r\n\r\n";
    ::send(fd, sub.data(), sub.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  ExpectHealthy();
  std::string v87 = Release("8.7");  // writes still work, and wake whatever is left
  ExpectHealthy();
  EXPECT_TRUE(test::Eventually([&] {
    return Http("GET", "/metrics").body.find("dvs_event_subscribers 0") != std::string::npos;
  }));
}

// A follower that opens event streams and never reads them cannot take the connections that
// requests need; a stream whose subscriber hangs up frees its slot at once.
TEST_F(ServeRobustness, EventStreamsAreCappedAndFreedWhenTheSubscriberHangsUp) {
  StartServer({"--max-streams", "3"});
  auto subscribe = [&] {
    int fd = Connect();
    std::string sub = "GET /v1/events?from=0 HTTP/1.1\r\n\r\n";
    ::send(fd, sub.data(), sub.size(), MSG_NOSIGNAL);
    return fd;
  };
  auto first_bytes = [](int fd) {
    std::string out;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) > 0) {
      char buf[512];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n > 0) out.assign(buf, n);
    }
    return out;
  };
  std::vector<int> streams;
  for (int i = 0; i < 3; ++i) {
    streams.push_back(subscribe());
    EXPECT_NE(first_bytes(streams.back()).find("text/event-stream"), std::string::npos);
  }
  int refused = subscribe();
  std::string answer = first_bytes(refused);
  ::close(refused);
  EXPECT_NE(answer.find("503"), std::string::npos) << answer;
  EXPECT_NE(answer.find("too_many_streams"), std::string::npos) << answer;
  EXPECT_NE(answer.find("--max-streams"), std::string::npos) << answer;
  ExpectHealthy();  // requests are still served beside the full set of streams

  // One subscriber goes away without a word: before the 15 s keepalive would notice, a new
  // subscriber gets its slot (10 s of room for a loaded machine).
  ::close(streams.back());
  streams.pop_back();
  EXPECT_TRUE(test::Eventually(
      [&] {
        int fd = subscribe();
        const bool ok = first_bytes(fd).find("text/event-stream") != std::string::npos;
        if (ok) {
          streams.push_back(fd);
        } else {
          ::close(fd);
        }
        return ok;
      },
      10000));
  for (int fd : streams) ::close(fd);
}

TEST_F(ServeRobustness, SigtermFinishesInFlightRequestsAndExitsZero) {
  std::string v87 = Release("8.7");
  StartServer();
  test::SseClient stream(url_, "/v1/events?from=0");
  std::atomic<bool> run{true};
  std::atomic<int> ok{0}, garbled{0};
  std::thread client([&] {
    HttpConnection c(url_, 5000);
    while (run) {
      auto r = c.Call("GET", "/v1/status/tax_calc");
      if (!r.ok()) break;  // the server has gone: connection refused or closed
      if (r->status == 200 && r->body.find("tax_calc") != std::string::npos) {
        ++ok;
      } else {
        ++garbled;
      }
    }
  });
  ASSERT_TRUE(test::Eventually([&] { return ok > 20; }));
  Outcome stopped = StopServer();
  run = false;
  client.join();
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("SIGTERM"), std::string::npos) << stopped.err;
  EXPECT_EQ(garbled, 0);
  EXPECT_TRUE(test::Eventually([&] { return stream.done(); }));  // streams end, not hang
}

TEST_F(ServeRobustness, ARequestHalfSentWhenSigtermArrivesIsStillCommittedAndAnswered) {
  std::string id = Package("8.7");
  StartServer();
  auto gov = LoadSecretKey(Key("governance"));
  ASSERT_TRUE(gov.ok());
  const std::string body = SignedBodyJson(SignTransition(*gov, make::Approve(id)));
  const uint64_t before = Entries();
  int fd = Connect();
  const std::string head =
      "POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  const std::string first = head + body.substr(0, body.size() / 2);
  ASSERT_EQ(::send(fd, first.data(), first.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(first.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the header has arrived
  ::kill(server_pid_, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string rest = body.substr(body.size() / 2);
  ASSERT_EQ(::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL), static_cast<ssize_t>(rest.size()));
  std::string answer;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) answer.append(buf, n);
  ::close(fd);
  EXPECT_NE(answer.find("200 OK"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"kind\":\"approve\""), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  Outcome stopped = test::WaitDvs(server_pid_, dir_.path(), server_tag_);
  server_pid_ = -1;
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  // Committed: the ledger holds the approval.
  Outcome log = Local({"log", "--from", std::to_string(before), "--json"});
  EXPECT_NE(log.out.find("\"type\":\"approve\""), std::string::npos) << log.out;
}

}  // namespace
}  // namespace dvs
