// The files `dvs serve`'s routers write: only ever regular files.
#include <sys/stat.h>
#include <unistd.h>

#include "api/routers.h"
#include "tests/serve/serve_fixture.h"

namespace dvs {
namespace {

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
