// dvs-verify's progress bar: the rate a person reads is entries per second since the bar
// appeared, never a division by the zero time of its first frame.
#include "tools/verify/progress_bar.h"

#include <gtest/gtest.h>

namespace dvs {
namespace {

TEST(ProgressBar, TheFirstFrameShowsNoRateThenTheRateSinceIt) {
  ProgressBar bar;
  // The first frame: 8,192 entries already checked when the first callback comes.
  std::string first = bar.Frame("signatures and chain", 8192, 100000, 1000.0);
  EXPECT_NE(first.find("8192/100000"), std::string::npos) << first;
  EXPECT_NE(first.find("--/s  ETA --"), std::string::npos) << first;
  // Half a second later, 20,000 more: 40,000/s, and the 71,808 left take about 2 s.
  std::string next = bar.Frame("signatures and chain", 28192, 100000, 1000.5);
  EXPECT_NE(next.find("  40000/s  ETA 2s"), std::string::npos) << next;
  // Within 0.1 s of the last frame nothing is redrawn, except the phase's end.
  EXPECT_EQ(bar.Frame("signatures and chain", 30000, 100000, 1000.55), "");
  std::string done = bar.Frame("signatures and chain", 100000, 100000, 1000.56);
  EXPECT_NE(done.find("100%"), std::string::npos) << done;
  // A new phase starts its own measurement.
  std::string replay = bar.Frame("replay", 5, 100000, 1001.0);
  EXPECT_NE(replay.find("--/s"), std::string::npos) << replay;
}

}  // namespace
}  // namespace dvs
