// The seed's scenario driven over HTTP against the real `dvs serve`: clients sign locally and
// talk to the server through `dvs --server`; the server's controller ramps and rolls back on its
// own; event subscribers see everything in order, and a reconnect misses nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "tests/serve/serve_fixture.h"
#include "tests/serve/sse_client.h"

namespace dvs {
namespace {

using test::Eventually;
using test::Outcome;

class ServeScenario : public test::ServeFixture {};

double Weight(const google::protobuf::Struct& s) { return s.fields().at("weight").number_value(); }
std::string State(const google::protobuf::Struct& s) {
  return s.fields().at("state").string_value();
}

TEST_F(ServeScenario, SeedScenarioOverHttpRampsAndRollsBackWithNoTickCalled) {
  StartServer({}, "50ms");
  test::SseClient live(url_, "/v1/events?from=0");

  // Every command below goes through the server; nothing here calls `dvs tick`.
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  std::string v90 = Release("9.0");
  EXPECT_EQ(Weight(StatusJson(v90)), 5);
  std::vector<double> weights;
  for (int i = 0; i < 6; ++i) {
    // An observation posted over HTTP counts at once: the controller decides before it answers.
    Outcome o = Observe(v90, 0.03, 110);
    ASSERT_EQ(o.code, 0) << o.err;
    weights.push_back(Weight(StatusJson(v90)));
  }
  EXPECT_EQ(weights, (std::vector<double>{25, 45, 65, 85, 100, 100}));
  EXPECT_EQ(State(StatusJson(v90)), "stable");

  std::string v91 = Release("9.1");
  Outcome bad = Observe(v91, 0.02, 450, 300);
  ASSERT_EQ(bad.code, 0) << bad.err;
  EXPECT_EQ(State(StatusJson(v91)), "rolled_back");  // committed before the observe returned

  // The routing table, over plain HTTP, and the same bytes as the local command prints.
  HttpReply routes = Http("GET", "/v1/routes");
  EXPECT_EQ(routes.status, 200);
  EXPECT_EQ(routes.content_type, "application/json");
  auto table = test::ParseJson(routes.body);
  const auto& list =
      table.fields().at("services").struct_value().fields().at("tax_calc").list_value();
  ASSERT_GE(list.values_size(), 1);
  EXPECT_EQ(list.values(0).struct_value().fields().at("bundle").string_value(), v90);
  EXPECT_EQ(list.values(0).struct_value().fields().at("weight").number_value(), 100);
  for (const auto& cmd : std::vector<std::vector<std::string>>{
           {"routes"},
           {"routes", "--json"},
           {"status", "tax_calc"},
           {"status", v91, "--json"},
           {"history", "tax_calc"},
           {"log", "--from", "3", "--to", "9", "--json"},
           {"audit", "--service", "tax_calc", "--type", "rollback", "--csv"},
           {"events", "--from", "5"},
           {"key", "list"},
           {"key", "list", "--json"},
           {"state", "--at", "12"},
           {"state", "--at", "12", "--json"}}) {
    Outcome remote = Dvs(cmd);
    Outcome local = Local(cmd);
    EXPECT_EQ(remote.code, 0) << remote.err;
    EXPECT_EQ(remote.out, local.out) << "dvs " << cmd[0] << " differs through the server";
  }

  // The automatic rollback cites its evidence, signed by the server's controller key.
  Outcome audit = Dvs({"audit", "--type", "rollback", "--json"});
  auto rows = test::ParseJson(audit.out).fields().at("entries").list_value();
  ASSERT_EQ(rows.values_size(), 1);
  EXPECT_EQ(rows.values(0).struct_value().fields().at("actor").string_value(), "controller");
  EXPECT_TRUE(rows.values(0).struct_value().fields().at("automatic").bool_value());

  // The live subscriber saw every entry's events, in order, as `dvs events` lists them.
  const uint64_t entries = Entries();
  ASSERT_TRUE(Eventually([&] {
    auto ev = live.events();
    return !ev.empty() && ev.back().seq + 1 == entries;
  })) << live.events().size()
      << " events";
  Outcome all = Local({"events"});
  std::vector<std::string> expected;
  for (size_t at = 0, nl; (nl = all.out.find('\n', at)) != std::string::npos; at = nl + 1)
    expected.push_back(all.out.substr(at, nl - at));
  std::vector<std::string> seen;
  for (const auto& e : live.events()) seen.push_back(e.data);
  EXPECT_EQ(seen, expected);

  Outcome stopped = StopServer();
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("stopped"), std::string::npos);
}

// Every read is written once against api/client/client.h: a refusal is the same refusal, with the
// same exit code and the same reason, whether the ledger is opened here or reached through a
// server.
TEST_F(ServeScenario, PackagingThroughTheServerAnswersTheEntryThatHoldsTheBundle) {
  StartServer({});
  Write("m-1.0.yaml", ManifestYaml("1.0"));
  const std::vector<std::string> package = {"package", dir_.Sub("m-1.0.yaml"), "--key",
                                            Key("publisher"), "--json"};
  Outcome first = Dvs(package);
  ASSERT_EQ(first.code, 0) << first.err;
  auto j = test::ParseJson(first.out);
  const std::string bundle = j.fields().at("bundle").string_value();
  const double seq = j.fields().at("seq").number_value();
  EXPECT_EQ(j.fields().at("kind").string_value(), "package") << first.out;
  EXPECT_EQ(j.fields().count("appended"), 0u) << first.out;
  const std::string at = std::to_string(static_cast<uint64_t>(seq));
  EXPECT_NE(Dvs({"log", "--from", at, "--to", at}).out.find("package"), std::string::npos);

  // Again, with the same content: the same entry, nothing appended, as a local ledger answers.
  Outcome again = Dvs(package);
  ASSERT_EQ(again.code, 0) << again.err;
  j = test::ParseJson(again.out);
  EXPECT_EQ(j.fields().at("bundle").string_value(), bundle);
  EXPECT_EQ(j.fields().at("seq").number_value(), seq) << again.out;
  EXPECT_FALSE(j.fields().at("appended").bool_value()) << again.out;
  EXPECT_EQ(Dvs({"package", dir_.Sub("m-1.0.yaml"), "--key", Key("publisher")}).out, bundle + "\n");
  Outcome log = Dvs({"log", "--json"});
  EXPECT_EQ(log.out.find("\"package\""), log.out.rfind("\"package\"")) << "one package entry";
}

TEST_F(ServeScenario, AReadRefusedLocallyIsRefusedTheSameWayThroughTheServer) {
  StartServer();
  Release("8.7");
  struct Case {
    std::vector<std::string> cmd;
    int code;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {{"status", "no_such"}, 1, "'no_such' is neither a bundle nor a service"},
           {{"state", "--at", "yesterday"}, 2, "yesterday"},
           {{"state", "--at", "999999"}, 1, "seq 999999 is beyond the ledger"},
           {{"state", "--at", "1795699828000"}, 1, "for unix ms write --at @1795699828000"},
           {{"state", "--at", "@17956x"}, 2, "@ takes unix milliseconds"},
           {{"log", "--from", "9", "--to", "3"}, 2, "--from 9 is after --to 3"},
           {{"audit", "--type", "rollbak"}, 2, "no entry type 'rollbak' (types: genesis,"},
           {{"audit", "--since", "2026-12-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"},
            2,
            "is after until"}}) {
    Outcome local = Local(c.cmd);
    Outcome remote = Dvs(c.cmd);
    EXPECT_EQ(local.code, c.code) << c.cmd[0] << ": " << local.err;
    EXPECT_EQ(remote.code, c.code) << c.cmd[0] << " --server: " << remote.err;
    EXPECT_NE(local.err.find(c.reason), std::string::npos) << local.err;
    EXPECT_NE(remote.err.find(c.reason), std::string::npos) << remote.err;
    EXPECT_EQ(remote.out, "");
  }
  // --ledger and --server at once name two ledgers: refused, not silently resolved.
  Outcome both = Dvs({"--ledger", Ledger(), "routes"});
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("--ledger and --server name two different ledgers"), std::string::npos)
      << both.err;
}

// A server that accepts a connection and never answers: the client gives up after $DVS_TIMEOUT
// seconds, naming the problem, instead of hanging a pipeline.
TEST_F(ServeScenario, AServerThatNeverAnswersTimesOutWithANamedError) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);  // the kernel accepts; nobody ever reads or answers
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string silent = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  ::setenv("DVS_TIMEOUT", "1", 1);
  const auto t0 = std::chrono::steady_clock::now();
  Outcome read = Local({"--server", silent, "status", "tax_calc"});
  Outcome write = Local({"--server", silent, "observe", "x_1_abcdef", "--metric", "e=1", "--key",
                         Key("observer")});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::setenv("DVS_TIMEOUT", "soon", 1);
  Outcome bad = Local({"--server", silent, "status", "tax_calc"});
  ::unsetenv("DVS_TIMEOUT");
  ::close(fd);
  EXPECT_EQ(read.code, 1);
  EXPECT_NE(read.err.find("no answer within"), std::string::npos) << read.err;
  EXPECT_EQ(write.code, 1);
  EXPECT_NE(write.err.find("no answer within"), std::string::npos) << write.err;
  EXPECT_LT(seconds, 20) << "two requests with a 1 s timeout";
  EXPECT_NE(bad.err.find("DVS_TIMEOUT='soon'"), std::string::npos) << bad.err;
}

// `dvs status --watch` through a server: a frame per change (blank-line separated off a terminal),
// each with the latest decision; SIGINT ends it with exit 0.
TEST_F(ServeScenario, StatusWatchThroughTheServerRedrawsOnEachCommit) {
  StartServer();
  const std::string v1 = Release("1.0");
  pid_t watch = test::StartDvs({"--server", server_, "status", "tax_calc", "--watch"}, Ledger(),
                               dir_.path(), "watch");
  auto seen = [&](const std::string& what) {
    return Eventually([&] {
      return test::Slurp(dir_.Sub("watch.out")).find(what) != std::string::npos;
    });
  };
  ASSERT_TRUE(seen("last decision: seq")) << test::Slurp(dir_.Sub("watch.err"));
  const std::string v2 = Release("2.0");
  EXPECT_TRUE(seen("deploy of " + v2)) << test::Slurp(dir_.Sub("watch.out"));
  kill(watch, SIGINT);
  Outcome done = test::WaitDvs(watch, dir_.path(), "watch");
  EXPECT_EQ(done.code, 0) << done.err;
  EXPECT_EQ(done.out.find("\x1b["), std::string::npos) << "no terminal codes into a file";
}

TEST_F(ServeScenario, AReconnectWithLastEventIdMissesNothingAndRepeatsNothing) {
  StartServer();
  std::string v87 = Release("8.7");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  std::string v90 = Release("9.0");  // deploy emits two events for one entry

  // Read everything once, as the reference.
  test::SseClient whole(url_, "/v1/events?from=0&follow=false");
  whole.Join();
  const auto reference = whole.events();
  ASSERT_GT(reference.size(), 12u);
  EXPECT_EQ(reference.back().id, std::to_string(reference.back().seq));

  // Now drop the connection after every three events and resume with Last-Event-ID, with an
  // entry appended while disconnected.
  std::vector<test::SseEvent> got;
  std::string last;
  for (int round = 0; round < 100; ++round) {
    test::SseClient part(url_, "/v1/events?from=0&follow=false", last, 3);
    part.Join();
    for (const auto& e : part.events()) got.push_back(e);
    if (part.events().empty()) break;
    last = part.events().back().id;
    if (round == 1) {
      ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
    }
  }
  test::SseClient after(url_, "/v1/events?from=0&follow=false");
  after.Join();
  const auto full = after.events();
  ASSERT_EQ(got.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(got[i].seq, full[i].seq) << i;
    EXPECT_EQ(got[i].event, full[i].event) << i;
    EXPECT_EQ(got[i].id, full[i].id) << i;
  }
}

TEST_F(ServeScenario, EntriesAppendedByOtherProcessesReachSubscribersRoutersAndTheTimer) {
  StartServer({"--router", "file:" + dir_.Sub("routes.json")});
  test::SseClient live(url_, "/v1/events?from=0");
  // The CLI writes to the ledger directly, not through the server.
  const std::string url = server_;
  server_.clear();
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  std::string v90 = Release("9.0");
  // The deploy reaches the stream (the router's confirmation of its table may follow it).
  EXPECT_TRUE(Eventually([&] {
    auto ev = live.events();
    return std::any_of(ev.begin(), ev.end(), [&](const auto& e) {
      return e.event == "deploy.start" && e.bundle() == v90;
    });
  })) << (live.events().empty() ? "no events" : live.events().back().data);
  EXPECT_TRUE(Eventually(
      [&] { return test::Slurp(dir_.Sub("routes.json")).find(v90) != std::string::npos; }));
  // An observation the server did not see arrive: its timer decides on it at the next tick.
  ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
  EXPECT_TRUE(Eventually([&] { return Weight(StatusJson(v90)) == 25; }));
  server_ = url;
  EXPECT_EQ(Weight(StatusJson(v90)), 25);
}

TEST_F(ServeScenario, EventsFollowThroughAServerResumesAcrossItsRestartWithNoLossOrRepeat) {
  std::string v87 = Release("8.7");
  StartServer();
  const std::string url = server_, port = url_.port;
  pid_t follower =
      test::StartDvs({"--server", url, "events", "--follow"}, "", dir_.path(), "follow");
  auto lines = [&] {
    std::string out = test::Slurp(dir_.Sub("follow.out"));
    return static_cast<size_t>(std::count(out.begin(), out.end(), '\n'));
  };
  const std::string before = Local({"events"}).out;
  ASSERT_TRUE(Eventually([&] { return test::Slurp(dir_.Sub("follow.out")) == before; }));

  // The server goes away; entries are appended meanwhile; it comes back on the same port.
  ASSERT_EQ(StopServer().code, 0);
  server_.clear();
  std::string v90 = Release("9.0");
  ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
  StartServer({}, "100ms", "127.0.0.1:" + port);
  ASSERT_EQ(server_, url);
  std::string v91_id = Package("9.1");  // and one more through the new server
  // The server's timer also ramps 9.0 on the observation it did not see arrive: compare with
  // whatever the ledger holds by then.
  EXPECT_TRUE(Eventually(
      [&] { return test::Slurp(dir_.Sub("follow.out")) == Local({"events"}).out; }, 10000))
      << lines() << " lines:\n"
      << test::Slurp(dir_.Sub("follow.out")) << "\nbut the ledger has:\n"
      << Local({"events"}).out;
  ::kill(follower, SIGKILL);
  ::waitpid(follower, nullptr, 0);
}

TEST_F(ServeScenario, ListeningBeyondLoopbackMustBeAskedFor) {
  Outcome r = Local({"serve", "--listen", "0.0.0.0:0", "--controller-key", Key("controller")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("not a loopback address"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--allow-remote"), std::string::npos) << r.err;
}

TEST_F(ServeScenario, ServeUsageErrorsAreNamed) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string words;
  };
  StartServer();  // holds a port the next one cannot have
  for (const Case& c : std::vector<Case>{
           {{"--listen", "127.0.0.1"}, 2, "is not ADDR:PORT"},
           {{"--listen", "127.0.0.1:99999"}, 2, "port must be 0..65535"},
           {{"--listen", "not-an-address:80"}, 2, "is not an IP address"},
           {{"--tick", "soon"}, 2, "--tick"},
           {{"--router", "nginx:/tmp/x.conf"}, 2, "needs --nginx-backends"},
           {{"--router", "carrier-pigeon:x"}, 2, "router kind 'carrier-pigeon'"},
           {{"--threads", "0"}, 2, "--threads: 0 is outside 1..64"},
       }) {
    std::vector<std::string> args = {"serve", "--controller-key", Key("controller")};
    if (c.args[0] != "--listen") args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    args.insert(args.end(), c.args.begin(), c.args.end());
    Outcome r = Local(args);
    EXPECT_EQ(r.code, c.code) << c.args[0] << " " << c.args[1] << ": " << r.err;
    EXPECT_NE(r.err.find(c.words), std::string::npos) << r.err;
  }
  // The port in use, by a server on another ledger (on this one, the ledger's lock refuses first).
  ASSERT_EQ(Local({"--ledger", dir_.Sub("other"), "init", "--root-key", Key("root")}).code, 0);
  Outcome taken =
      Local({"--ledger", dir_.Sub("other"), "serve", "--listen", "127.0.0.1:" + url_.port});
  EXPECT_EQ(taken.code, 1) << taken.err;
  EXPECT_NE(taken.err.find("cannot listen on"), std::string::npos) << taken.err;
  ExpectServerStillAnswers();
}

TEST_F(ServeScenario, AControllerKeyWithoutTheRoleIsRefusedAtStart) {
  Outcome r = Local({"serve", "--listen", "127.0.0.1:0", "--controller-key", Key("observer")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not hold the controller role"), std::string::npos) << r.err;
}

TEST_F(ServeScenario, CommandsThatNeedTheLedgerFileSayTheyAreLocalOnly) {
  StartServer();
  Outcome r = Dvs({"checkpoint", "--key", Key("root")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("local ledger only"), std::string::npos) << r.err;
}

TEST_F(ServeScenario, ALogKeyCheckpointsTheLedgerAndMustHoldTheLogRole) {
  ASSERT_EQ(Dvs({"keygen", "--out", Key("log")}).code, 0);
  // Refused at start while the key holds no log role: nothing would ever be checkpointed.
  Outcome early = Dvs({"serve", "--listen", "127.0.0.1:0", "--log-key", Key("log")});
  EXPECT_EQ(early.code, 1);
  EXPECT_NE(early.err.find("does not hold the log role"), std::string::npos) << early.err;
  Grant("log", "log");
  StartServer({"--log-key", Key("log"), "--checkpoint-every", "5"}, "50ms");
  std::string v1 = Release("1.0");
  for (int i = 0; i < 6; ++i) ASSERT_EQ(Observe(v1, 0.01, 100).code, 0);
  EXPECT_EQ(StopServer().code, 0);
  Outcome log = Local({"log", "--json"});
  ASSERT_EQ(log.code, 0);
  size_t checkpoints = 0;
  for (size_t at = log.out.find("\"checkpoint\""); at != std::string::npos;
       at = log.out.find("\"checkpoint\"", at + 1))
    ++checkpoints;
  EXPECT_GE(checkpoints, 2u) << log.out;
  Outcome v =
      test::WaitDvs(test::StartProgram(DVS_VERIFY_BINARY, {Ledger()}, "", dir_.path(), "verify"),
                    dir_.path(), "verify");
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.out.find("in-ledger checkpoints match"), std::string::npos) << v.out;
}

}  // namespace
}  // namespace dvs
