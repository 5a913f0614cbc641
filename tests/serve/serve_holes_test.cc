// `dvs serve` under clients that connect and send nothing, and the files its routers write.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "api/controller/routers.h"
#include "tests/serve/serve_fixture.h"

namespace dvs {
namespace {

class ServeHoles : public test::ServeFixture {};

// Opens `n` TCP connections to 127.0.0.1:port that never send a byte.
std::vector<int> HalfOpen(uint16_t port, int n) {
  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

TEST_F(ServeHoles, HalfOpenConnectionsBeyondTheLimitDoNotLockOutNewClients) {
  rlimit rl{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 4096 && rl.rlim_max >= 4096) {
    rl.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
  }
  if (rl.rlim_cur < 1200) GTEST_SKIP() << "needs 1200 file descriptors, have " << rl.rlim_cur;
  StartServer();
  const auto port = static_cast<uint16_t>(std::stoi(url_.port));
  std::vector<int> idle = HalfOpen(port, 1100);  // more than the server's 1024 connections
  ASSERT_EQ(idle.size(), 1100u);
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the server accepts the backlog
  for (int round = 0; round < 3; ++round) {  // and again: each new client still gets in
    const auto t0 = std::chrono::steady_clock::now();
    HttpReply r = Http("GET", "/healthz");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.status, 200) << "round " << round << ": " << r.body;
    EXPECT_LT(s, 2.0) << "round " << round;
  }
  for (int fd : idle) ::close(fd);
  ExpectServerStillAnswers();
}

TEST(FileRouter, NeverWritesThroughASymlinkOrOverADevice) {
  test::TempDir dir;
  std::ofstream(dir.Sub("precious")) << "precious";
  const std::string link = dir.Sub("routes.json");
  ASSERT_EQ(::symlink(dir.Sub("precious").c_str(), link.c_str()), 0);
  auto router = MakeRouter("file:" + link, RouterOptions{});
  ASSERT_TRUE(router.ok()) << router.status().ToString();
  Status s = (*router)->Apply(RoutingTable{});
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.message().find(link + " is a symbolic link; refusing to replace it"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(test::Slurp(dir.Sub("precious")), "precious");
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));

  const std::string fifo = dir.Sub("fifo.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto to_fifo = MakeRouter("file:" + fifo, RouterOptions{});
  ASSERT_TRUE(to_fifo.ok());
  s = (*to_fifo)->Apply(RoutingTable{});
  EXPECT_NE(s.message().find("is a FIFO"), std::string::npos) << s.ToString();
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));

  auto plain = MakeRouter("file:" + dir.Sub("plain.json"), RouterOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)->Apply(RoutingTable{}).ok());
  EXPECT_TRUE((*plain)->Apply(RoutingTable{}).ok());  // and replaces its own file
}

}  // namespace
}  // namespace dvs
