// dvs-scale-bench: what a user pays at 1k, 1M and 10M entries, as ratios to the same figure at
// the smallest size and to raw primitives measured in the same run.
//
//   dvs-scale-bench [--sizes 1000,1000000,10000000] [--dir DIR] [--runs N] [--bin DIR] [--reuse]
//
// For each size it builds a ledger of the realistic mix (mostly observations of the stable and
// the canary, a release cycle every 10,000 entries with controller decisions, a rollback every
// other cycle, a log-signed checkpoint every 1,000 entries), one entry per second of log time
// ending now, then measures:
//   - open in process (snapshot under a signed checkpoint + suffix), p50;
//   - single durable append in process (Observe: sign, verify, apply, synced commit), p50/p99;
//   - `dvs rollback` and `dvs status` as whole processes, p50/p99;
//   - bytes per entry, per database;
//   - dvs-verify's rate and peak anonymous RSS (sampled; the kernel's peak counts the mapped
//     ledger's pages too);
//   - group commit: 64 threads each appending single entries (signed beforehand) for 3 s;
//   - replay through Apply alone (no signatures, no hashing).
// Primitives measured in the same run: a raw LMDB synced single-put commit, Ed25519 verify on
// every core, spawning /bin/true. Each figure is printed as it is taken. --reuse measures the
// ledger an earlier run left in DIR/SIZE instead of building it again (10M takes most of an hour).
#include <fcntl.h>
#include <lmdb.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "api/service/release_service.h"
#include "api/service/state_loader.h"
#include "api/service/transitions.h"
#include "ledger/key_files.h"
#include "ledger/parallel.h"
#include "statemachine/apply.h"
#include "tools/bench_manifest.h"
#include "tools/bench_util.h"

extern char** environ;

namespace dvs::bench {
namespace {

namespace fs = std::filesystem;

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Spawned {
  int code = -1;
  double seconds = 0;
  long max_rss_kb = 0;   // the kernel's high-water mark: mapped ledger pages it touched included
  long max_anon_kb = 0;  // RssAnon sampled every 10 ms: the process's own memory
};

// RssAnon of a live process, in kB; 0 once it is gone.
long RssAnonKb(pid_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (f == nullptr) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb;
}

Spawned Spawn(const std::vector<std::string>& args, bool sample_memory = false) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t quiet;
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  Spawned out;
  const double t0 = NowSeconds();
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &quiet, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    struct rusage ru {};
    bool reaped = false;
    while (sample_memory && !reaped) {
      out.max_anon_kb = std::max(out.max_anon_kb, RssAnonKb(pid));
      reaped = wait4(pid, &status, WNOHANG, &ru) == pid;
      if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped) wait4(pid, &status, 0, &ru);
    out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    out.max_rss_kb = ru.ru_maxrss;
  }
  out.seconds = NowSeconds() - t0;
  posix_spawn_file_actions_destroy(&quiet);
  return out;
}

struct Keys {
  SecretKey root = SecretKey::Generate();
  SecretKey all = SecretKey::Generate();
  SecretKey log = SecretKey::Generate();
};

// Builds a ledger of `size` entries under dir/ledger, ending at about the wall clock's now.
class Builder {
 public:
  Builder(const std::string& dir, uint64_t size) : dir_(dir), size_(size) {
    now_ms_ = WallMs() - static_cast<int64_t>(size) * 1000;
  }

  bool Build() {
    if (!WriteKeyFiles(keys_.root, dir_ + "/root.key").ok() ||
        !WriteKeyFiles(keys_.all, dir_ + "/all.key").ok() ||
        !WriteKeyFiles(keys_.log, dir_ + "/log.key").ok())
      return Fail("key files");
    ServiceOptions o;
    o.log.clock = [this] { return now_ms_; };
    o.actor_clock = [this] { return now_ms_; };
    o.log_key =
        std::make_shared<const SecretKey>(std::move(SecretKey::FromSeed(keys_.log.seed())).value());
    auto svc = ReleaseService::Init(dir_ + "/ledger", keys_.root, "scale", o);
    if (!svc.ok()) return Fail(svc.status().ToString());
    svc_ = std::move(*svc);
    if (!svc_->GrantKey(keys_.root, "log", keys_.log.public_key(), {"log"}).ok() ||
        !svc_->GrantKey(keys_.root, "all", keys_.all.public_key(),
                        {"governance", "publisher", "release_admin", "observer", "controller"})
             .ok())
      return Fail("grants");
    stable_ = Release();
    if (stable_.empty()) return Fail("first release");
    while (Size() < size_) {
      if (!Cycle()) return false;
    }
    return true;
  }

  uint64_t Size() { return svc_->log().GetHead()->size; }
  const Keys& keys() const { return keys_; }
  void Close() { svc_.reset(); }

 private:
  bool Fail(const std::string& why) {
    std::fprintf(stderr, "dvs-scale-bench: building %llu entries: %s\n",
                 static_cast<unsigned long long>(size_), why.c_str());
    return false;
  }

  std::string Release() {
    auto id = svc_->Package(keys_.all, BenchManifest(++version_));
    if (!id.ok() || !svc_->Approve(keys_.all, *id).ok() || !svc_->Deploy(keys_.all, *id).ok())
      return "";
    return *id;
  }

  // Observations of `bundles` in turn, signed on every core and appended 1,000 per transaction,
  // one second of log time apart.
  bool Observe(const std::vector<std::string>& bundles, uint64_t n) {
    while (n > 0) {
      const uint64_t batch = std::min<uint64_t>(n, 1000);
      std::vector<SignedBody> bodies(batch);
      const int64_t t = now_ms_;
      ParallelFor(batch, DefaultThreads(), [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) {
          const std::string& id = bundles[(i + n) % bundles.size()];
          Metrics m = {{"error_rate", 0.01 + 0.001 * double(i % 7)},
                       {"latency_ms", 100 + double(i % 50)}};
          bodies[i] = SignTransitionAt(keys_.all, make::Observe(id, m, 500), t);
        }
      });
      auto r = svc_->SubmitBatch(std::move(bodies));
      if (!r.ok()) return Fail("observations: " + r.status().ToString());
      now_ms_ += static_cast<int64_t>(batch) * 1000;
      n -= batch;
    }
    return true;
  }

  // One release cycle of up to 10,000 entries: a canary, observations with a controller tick
  // every 1,000, then a rollback (odd cycles) or a promotion.
  bool Cycle() {
    const uint64_t left = size_ - Size();
    if (left < 200) return Observe({stable_}, left);
    const std::string canary = Release();
    if (canary.empty()) return Fail("release");
    const uint64_t end = Size() + std::min<uint64_t>(left, 10'000) - 20;
    while (Size() + 1000 < end) {
      if (!Observe({stable_, canary, stable_, stable_}, 1000)) return false;
      if (!svc_->Tick(keys_.all).ok()) return Fail("tick");
      if (!CanaryFlies(canary)) break;
    }
    if (CanaryFlies(canary)) {
      auto r = version_ % 2 ? svc_->Rollback(keys_.all, canary, "scale bench")
                            : svc_->Promote(keys_.all, canary, true);
      if (!r.ok()) return Fail("end of cycle: " + r.status().ToString());
    }
    auto st = svc_->StatusOfService("tax_calc");
    if (st.ok() && !st->empty()) stable_ = (*st)[0].bundle;
    return true;
  }

  bool CanaryFlies(const std::string& id) {
    auto st = svc_->StatusOf(id);
    return st.ok() && (st->state == "canary" || st->state == "paused");
  }

  std::string dir_;
  uint64_t size_;
  int64_t now_ms_;
  Keys keys_;
  std::unique_ptr<ReleaseService> svc_;
  std::string stable_;
  int version_ = 0;
};

// Bytes of each named database: its pages times the page size.
std::map<std::string, double> BytesByDatabase(const std::string& ledger) {
  std::map<std::string, double> out;
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_maxdbs(env, 32);
  mdb_env_set_mapsize(env, size_t{64} << 30);
  if (mdb_env_open(env, ledger.c_str(), MDB_RDONLY, 0644) != 0) return out;
  MDB_txn* txn = nullptr;
  mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn);
  for (const char* name : {"entries", "merkle", "meta", "snapshots", "audit", "index"}) {
    MDB_dbi dbi;
    MDB_stat st;
    if (mdb_dbi_open(txn, name, 0, &dbi) != 0 || mdb_stat(txn, dbi, &st) != 0) continue;
    out[name] = double(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) * st.ms_psize;
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return out;
}

double RawLmdbCommitMs(const std::string& dir, int runs) {
  fs::create_directories(dir);
  MDB_env* env = nullptr;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, size_t{1} << 30);
  mdb_env_open(env, dir.c_str(), 0, 0644);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const double t0 = NowSeconds();
    MDB_txn* txn;
    MDB_dbi dbi;
    mdb_txn_begin(env, nullptr, 0, &txn);
    mdb_dbi_open(txn, nullptr, 0, &dbi);
    std::string k = std::to_string(i), v(300, 'v');
    MDB_val kv{k.size(), k.data()}, vv{v.size(), v.data()};
    mdb_put(txn, dbi, &kv, &vv, 0);
    mdb_txn_commit(txn);
    ms.push_back((NowSeconds() - t0) * 1e3);
  }
  mdb_env_close(env);
  return Percentile(ms, 50);
}

double VerifyRate(const Keys& k) {
  std::vector<SignedBody> bodies;
  for (int i = 0; i < 20000; ++i)
    bodies.push_back(SignTransition(k.all, make::Observe("x", {{"e", 1}}, 1)));
  const double t0 = NowSeconds();
  auto r = VerifiedBody::VerifyAll(std::move(bodies), DefaultThreads());
  return double(r.size()) / (NowSeconds() - t0);
}

// The figures of one size, kept for the ratios the next sizes print against the first.
struct Figures {
  uint64_t size = 0;
  double open_ms = 0, append_p50 = 0;
};

// Everything the bench needs of the run: its primitives and where things are.
struct Run {
  std::string dir, bin;
  int runs = 20;
  bool reuse = false;  // measure a ledger a previous run built at this size, when there is one
  double lmdb_ms = 0, verify_rate = 0;
};

// printf and flush: a run of hours that is stopped still reports every figure it took.
template <typename... A>
void Say(const char* fmt, A... a) {
  std::printf(fmt, a...);
  std::fflush(stdout);
}

uint64_t LedgerSize(const std::string& ledger) {
  auto l = Log::Open(ledger, {.read_only = true});
  return l.ok() ? (*l)->GetHead()->size : 0;
}

// Measures one size, printing each figure as soon as it is taken.
Figures Measure(const Run& run, uint64_t size, const Figures* base) {
  const std::string dir = run.dir + "/" + std::to_string(size), ledger = dir + "/ledger";
  const int runs = run.runs;
  const std::string& bin = run.bin;
  Figures f;
  if (run.reuse && LedgerSize(ledger) >= size && fs::exists(dir + "/all.key")) {
    f.size = LedgerSize(ledger);
    Say("== %llu entries (reused from an earlier run)\n", static_cast<unsigned long long>(f.size));
  } else {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const double b0 = NowSeconds();
    Builder b(dir, size);
    if (!b.Build()) std::exit(1);
    f.size = b.Size();
    b.Close();
    Say("== %llu entries (built in %.0f s)\n", static_cast<unsigned long long>(f.size),
        NowSeconds() - b0);
  }
  if (base == nullptr) base = &f;

  std::vector<double> open_ms;
  for (int i = 0; i < runs; ++i) {
    const double t0 = NowSeconds();
    auto svc = ReleaseService::Open(ledger);
    open_ms.push_back((NowSeconds() - t0) * 1e3);
    if (!svc.ok()) std::exit(1);
  }
  f.open_ms = Percentile(open_ms, 50);
  Say("  open in process p50          %8.2f ms   (x%.2f of %llu; target <= 10 ms at 10M)\n",
      f.open_ms, f.open_ms / (base == &f ? f.open_ms : base->open_ms),
      static_cast<unsigned long long>(base->size));
  {
    // What opening costs when no snapshot is trusted (a ledger never checkpointed by a log key):
    // every entry hashed and applied from genesis.
    auto log = std::move(Log::Open(ledger, {.read_only = true})).value();
    TrustedTip tip;
    const double t0 = NowSeconds();
    Status st = Advance(&tip, log->GetHead()->size, [&](uint64_t seq) { return log->GetRaw(seq); });
    const double ms = (NowSeconds() - t0) * 1e3;
    if (!st.ok()) std::exit(1);
    Say("  open, no signed checkpoint    %8.2f ms   (x%.1f of the trusted open: full replay with "
        "hashing, the cost without a log key)\n",
        ms, ms / f.open_ms);
  }

  SecretKey all = std::move(LoadSecretKey(dir + "/all.key")).value();
  std::string stable;
  {
    ServiceOptions o;
    o.log_key =
        std::make_shared<const SecretKey>(std::move(LoadSecretKey(dir + "/log.key")).value());
    auto svc = std::move(ReleaseService::Open(ledger, o)).value();
    stable = (*svc->StatusOfService("tax_calc"))[0].bundle;
    std::vector<double> ms;
    for (int i = 0; i < runs * 10; ++i) {
      const double t0 = NowSeconds();
      auto r = svc->Observe(all, stable, {{"error_rate", 0.01}}, 100);
      ms.push_back((NowSeconds() - t0) * 1e3);
      if (!r.ok()) std::exit(1);
    }
    f.append_p50 = Percentile(ms, 50);
    Say("  durable append p50 / p99     %8.3f / %.3f ms  (p50 x%.2f of smallest, target <= 1.2; "
        "x%.2f of raw LMDB commit)\n",
        f.append_p50, Percentile(ms, 99), f.append_p50 / (base == &f ? f.append_p50 : base->append_p50),
        f.append_p50 / run.lmdb_ms);

    // Group commit: 64 writers, single entries, for up to 3 s. The bodies are signed before the
    // clock starts: clients sign on their own machines; the server's work is verify, apply,
    // append and commit.
    std::vector<SignedBody> bodies(60'000);
    ParallelFor(bodies.size(), DefaultThreads(), [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i)
        bodies[i] = SignTransition(all, make::Observe(stable, {{"e", double(i)}}, 1));
    });
    std::atomic<bool> stop{false};
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> done{0};
    std::vector<std::thread> writers;
    const double t0 = NowSeconds();
    for (int t = 0; t < 64; ++t) {
      writers.emplace_back([&] {
        for (size_t i; !stop && (i = next++) < bodies.size();) {
          if (svc->SubmitSigned(std::move(bodies[i])).ok()) ++done;
        }
      });
    }
    while (NowSeconds() - t0 < 3 && next < bodies.size())
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
    for (auto& w : writers) w.join();
    const double group_rate = double(done) / (NowSeconds() - t0);
    Say("  group commit, 64 writers     %8.0f /s  (x%.2f of the verify rate; target >= 0.7)\n",
        group_rate, group_rate / run.verify_rate);

    // Whole processes: rollback of a fresh canary each time, and status.
    // Versions above every one the builder made, and new in each run (a reused ledger holds the
    // last run's).
    const int version = 100000 + int((WallMs() / 1000) % 10'000'000) * 100;
    std::vector<double> rb, st;
    for (int i = 0; i < runs; ++i) {
      auto id = svc->Package(all, BenchManifest(version + i));
      if (!id.ok() || !svc->Approve(all, *id).ok() || !svc->Deploy(all, *id).ok()) std::exit(1);
      Spawned r = Spawn({bin + "/dvs", "rollback", *id, "--reason", "bench", "--key",
                         dir + "/all.key", "--ledger", ledger});
      if (r.code != 0) std::exit(1);
      rb.push_back(r.seconds * 1e3);
      Spawned s = Spawn({bin + "/dvs", "status", "tax_calc", "--ledger", ledger});
      st.push_back(s.seconds * 1e3);
    }
    Say("  dvs rollback process p50/p99 %8.2f / %.2f ms  (target <= 20 ms)\n",
        Percentile(rb, 50), Percentile(rb, 99));
    Say("  dvs status process p50       %8.2f ms\n", Percentile(st, 50));
  }

  const std::map<std::string, double> by_db = BytesByDatabase(ledger);
  double total = 0;
  for (auto& [db, bytes] : by_db) total += bytes;
  const uint64_t entries = std::max<uint64_t>(LedgerSize(ledger), 1);
  Say("  bytes per entry              %8.0f    (target <= 400):", total / double(entries));
  for (auto& [db, bytes] : by_db) Say(" %s %.0f", db.c_str(), bytes / double(entries));
  Say("\n");

  Spawned v = Spawn({bin + "/dvs-verify", ledger}, /*sample_memory=*/true);
  const double verify_rate = double(entries) / v.seconds;
  Say("  dvs-verify                   %8.0f /s  (x%.2f of the %u-core verify rate, exit %d), peak "
      "anonymous RSS %.0f MiB (target <= 256), peak RSS with the mapped ledger %.0f MiB\n",
      verify_rate, verify_rate / run.verify_rate, DefaultThreads(), v.code,
      double(v.max_anon_kb) / 1024, double(v.max_rss_kb) / 1024);

  {
    auto log = std::move(Log::Open(ledger, {.read_only = true})).value();
    State s;
    const double t0 = NowSeconds();
    (void)log->Scan(0, UINT64_MAX, [&](uint64_t, std::string_view raw) {
      auto e = Entry::Decode(raw);
      return e.ok() ? ApplyEntry(&s, *e) : e.status();
    });
    Say("  replay through Apply         %8.0f /s  (target >= 2,000,000)\n\n",
        double(s.size) / (NowSeconds() - t0));
  }
  return f;
}

int Main(int argc, char** argv) {
  std::vector<uint64_t> sizes = {1000, 1000000, 10000000};
  Run run;
  run.dir = "/tmp/dvs-scale-bench";
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--reuse") {
      run.reuse = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) a = "";
    std::string v = a.empty() ? "" : argv[i + 1];
    if (a == "--sizes") {
      sizes.clear();
      std::stringstream ss(v);
      for (std::string p; std::getline(ss, p, ',');) sizes.push_back(std::stoull(p));
    } else if (a == "--dir") {
      run.dir = v;
    } else if (a == "--runs") {
      run.runs = std::stoi(v);
    } else if (a == "--bin") {
      run.bin = v;
    } else {
      std::fprintf(stderr,
                   "usage: dvs-scale-bench [--sizes N,N,...] [--dir DIR] [--runs N] [--bin DIR] [--reuse]\n");
      return 2;
    }
  }
  if (run.bin.empty()) run.bin = fs::canonical("/proc/self/exe").parent_path().string();
  if (const char* only = std::getenv("DVS_OPEN_ONLY")) {  // for profiling: open LEDGER, say how
    const double t0 = NowSeconds();
    auto svc = ReleaseService::Open(only);
    if (!svc.ok()) return 1;
    std::printf("opened in %.2f ms from the snapshot at %llu (%zu refused)\n",
                (NowSeconds() - t0) * 1e3,
                static_cast<unsigned long long>((*svc)->load_report().snapshot_size),
                (*svc)->load_report().rejected.size());
    for (const auto& r : (*svc)->load_report().rejected) std::printf("  %s\n", r.c_str());
    return 0;
  }
  if (const char* only = std::getenv("DVS_REPLAY_ONLY")) {  // for profiling: replay LEDGER only
    auto log = std::move(Log::Open(only, {.read_only = true})).value();
    State s;
    const double t0 = NowSeconds();
    (void)log->Scan(0, UINT64_MAX, [&](uint64_t, std::string_view raw) {
      auto e = Entry::Decode(raw);
      return e.ok() ? ApplyEntry(&s, *e) : e.status();
    });
    std::printf("replayed %llu entries at %.0f/s\n", static_cast<unsigned long long>(s.size),
                double(s.size) / (NowSeconds() - t0));
    return 0;
  }
  Keys k;
  run.lmdb_ms = RawLmdbCommitMs(run.dir + "/raw-lmdb", 200);
  run.verify_rate = VerifyRate(k);
  std::vector<double> spawn_ms;
  for (int i = 0; i < 20; ++i) spawn_ms.push_back(Spawn({"/bin/true"}).seconds * 1e3);
  Say("primitives: LMDB synced single-put commit p50 %.3f ms; Ed25519 verify on %u cores "
      "%.0f/s; spawn /bin/true p50 %.2f ms\n\n",
      run.lmdb_ms, DefaultThreads(), run.verify_rate, Percentile(spawn_ms, 50));
  std::optional<Figures> first;
  for (uint64_t n : sizes) {
    Figures f = Measure(run, n, first ? &*first : nullptr);
    if (!first) first = f;
  }
  return 0;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) { return dvs::bench::Main(argc, argv); }
