// Replays every committed fuzz corpus and regression input through its target, in the ordinary
// and sanitizer builds: a crash the fuzzer once found stays fixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/fuzz/targets.h"

namespace dvs {
namespace {

namespace fs = std::filesystem;

int ReplayAll(const std::string& target, void (*fn)(const uint8_t*, size_t)) {
  int n = 0;
  for (const char* kind : {"corpus", "regressions"}) {
    fs::path dir = fs::path(DVS_FUZZ_DIR) / kind / target;
    if (!fs::is_directory(dir)) continue;
    for (const auto& f : fs::directory_iterator(dir)) {
      if (!f.is_regular_file() || f.path().filename().string()[0] == '.') continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string bytes = ss.str();
      SCOPED_TRACE(f.path().string());
      fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++n;
    }
  }
  return n;
}

TEST(FuzzCorpus, EntryAndApply) { EXPECT_GE(ReplayAll("entry_and_apply", fuzz::EntryAndApply), 5); }
TEST(FuzzCorpus, ManifestYaml) { EXPECT_GE(ReplayAll("manifest_yaml", fuzz::ManifestYaml), 3); }
TEST(FuzzCorpus, Condition) { EXPECT_GE(ReplayAll("condition", fuzz::Condition), 5); }
TEST(FuzzCorpus, CheckpointNote) {
  EXPECT_GE(ReplayAll("checkpoint_note", fuzz::CheckpointNote), 1);
}

TEST(FuzzCorpus, SnapshotRecord) {
  EXPECT_GE(ReplayAll("snapshot_record", fuzz::SnapshotRecord), 5);
}

TEST(FuzzCorpus, HttpRequest) { EXPECT_GE(ReplayAll("http_request", fuzz::HttpRequest), 8); }

}  // namespace
}  // namespace dvs
