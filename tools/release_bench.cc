// dvs-release-bench: the release service's user-facing latencies, against primitives measured in
// the same run.
//
//   dvs-release-bench [--dvs PATH] [--runs N] [--dir DIR]
//
// - `dvs rollback` as a whole process (exec, open, sign, append, sync, exit), against spawning
//   /bin/true and a raw LMDB synced commit; DESIGN.md's target is <= 20 ms wall, the seed's 5 s.
// - status and routes in process (ReleaseService::StatusOf, Routes): p99 target <= 20 us.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "api/service/release_service.h"
#include "statemachine/manifest_rules.h"
#include "tools/bench_ledger.h"
#include "tools/bench_util.h"

extern char** environ;

namespace dvs::bench {
namespace {

namespace fs = std::filesystem;

int Spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t quiet;  // the children's receipts are not the report
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &quiet, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&quiet);
  if (rc != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int Run(const std::string& dvs, int runs, const std::string& root) {
  auto bench = BenchLedger::Create(root, "dvs-release-bench");
  if (!bench) return 1;
  ReleaseService& s = *bench->svc;
  const std::string stable = bench->stable;
  auto release = [&](int v) { return bench->Release(v); };

  // Primitive: spawning a process that does nothing.
  std::vector<double> spawn_ms;
  for (int i = 0; i < runs; ++i) {
    double t0 = NowSeconds();
    Spawn({"/bin/true"});
    spawn_ms.push_back((NowSeconds() - t0) * 1e3);
  }
  // Ours: the whole `dvs rollback` process, each time on a fresh canary.
  std::vector<double> rollback_ms;
  for (int i = 0; i < runs; ++i) {
    std::string canary = release(i + 2);
    if (canary.empty()) return 1;
    double t0 = NowSeconds();
    int rc = Spawn({dvs, "rollback", canary, "--reason", "bench", "--ledger", root + "/ledger",
                    "--key", root + "/all.key"});
    rollback_ms.push_back((NowSeconds() - t0) * 1e3);
    if (rc != 0) {
      std::fprintf(stderr, "dvs-release-bench: dvs rollback exited %d\n", rc);
      return 1;
    }
  }
  // In process: status and routes on the state at the head.
  std::vector<double> status_us, routes_us;
  for (int i = 0; i < 20000; ++i) {
    double t0 = NowSeconds();
    auto st = s.StatusOf(stable);
    double t1 = NowSeconds();
    auto rt = s.Routes();
    double t2 = NowSeconds();
    if (!st.ok() || !rt.ok()) return 1;
    status_us.push_back((t1 - t0) * 1e6);
    routes_us.push_back((t2 - t1) * 1e6);
  }
  double spawn_p50 = Percentile(spawn_ms, 50);
  double rb_p50 = Percentile(rollback_ms, 50), rb_p99 = Percentile(rollback_ms, 99);
  std::printf("dvs-release-bench: %d runs, ledger of %llu entries\n\n", runs,
              static_cast<unsigned long long>(s.log().GetHead()->size));
  std::printf("%-40s p50 %8.2f ms  p99 %8.2f ms   target p50 <= 20 ms: %s\n",
              "dvs rollback (whole process)", rb_p50, rb_p99, rb_p50 <= 20 ? "met" : "MISSED");
  std::printf("%-40s p50 %8.2f ms   ratio rollback/spawn %.1f\n", "spawn /bin/true (primitive)",
              spawn_p50, rb_p50 / spawn_p50);
  std::printf("%-40s p50 %8.2f us  p99 %8.2f us   target p99 <= 20 us: %s\n", "status (in process)",
              Percentile(status_us, 50), Percentile(status_us, 99),
              Percentile(status_us, 99) <= 20 ? "met" : "MISSED");
  std::printf("%-40s p50 %8.2f us  p99 %8.2f us   target p99 <= 20 us: %s\n", "routes (in process)",
              Percentile(routes_us, 50), Percentile(routes_us, 99),
              Percentile(routes_us, 99) <= 20 ? "met" : "MISSED");
  fs::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) {
  std::string dvs = (std::filesystem::path(argv[0]).parent_path() / "dvs").string();
  std::string dir = (std::filesystem::temp_directory_path() / "dvs-release-bench").string();
  int runs = 50;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--dvs") && i + 1 < argc) {
      dvs = argv[++i];
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::max(5, std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: dvs-release-bench [--dvs PATH] [--runs N] [--dir DIR]\n");
      return 2;
    }
  }
  return dvs::bench::Run(dvs, runs, dir);
}
