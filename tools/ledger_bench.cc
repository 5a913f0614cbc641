// dvs-bench: the ledger's performance as ratios to the raw primitives, measured in the same run.
//
//   dvs-bench [--entries N] [--dir DIR]
//
// Primitives: LMDB synced single-put commit, LMDB batched puts, Ed25519 sign and verify (1 and 2
// threads), SHA-256. Ours: Append (verify + synced commit), AppendBatch, VerifyChain, inclusion
// proof generation. Targets are DESIGN.md's.
#include <lmdb.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "ledger/hash.h"
#include "ledger/lmdb_util.h"
#include "ledger/log.h"
#include "ledger/parallel.h"
#include "ledger/verify_chain.h"
#include "tools/bench_util.h"

namespace dvs::bench {
namespace {

namespace fs = std::filesystem;

std::string Body(int i) {
  // About the size of a real transition body.
  std::string b = "transition " + std::to_string(i) + " ";
  b.resize(180, 'x');
  return b;
}

// A bare LMDB environment in default (synced) mode, as the primitive to compare with.
MDB_env* OpenRawEnv(const std::string& dir) {
  fs::create_directories(dir);
  MDB_env* env;
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, size_t{4} << 30);
  mdb_env_open(env, dir.c_str(), 0, 0644);
  return env;
}

double RawLmdbSyncedCommitP50(const std::string& dir, int n) {
  MDB_env* env = OpenRawEnv(dir);
  MDB_txn* t;
  MDB_dbi dbi;
  mdb_txn_begin(env, nullptr, 0, &t);
  mdb_dbi_open(t, nullptr, 0, &dbi);
  mdb_txn_commit(t);
  std::string value(300, 'v');
  std::vector<double> lat;
  for (int i = 0; i < n; ++i) {
    double t0 = NowSeconds();
    mdb_txn_begin(env, nullptr, 0, &t);
    std::string key = lmdb::BigEndian64(i);
    MDB_val k = lmdb::Val(key), v = lmdb::Val(value);
    mdb_put(t, dbi, &k, &v, MDB_APPEND);
    mdb_txn_commit(t);
    lat.push_back(NowSeconds() - t0);
  }
  mdb_env_close(env);
  return Percentile(lat, 50) * 1e3;
}

double RawLmdbBatchedPutsPerSecond(const std::string& dir, int n) {
  MDB_env* env = OpenRawEnv(dir);
  MDB_txn* t;
  MDB_dbi dbi;
  std::string value(300, 'v');
  double t0 = NowSeconds();
  mdb_txn_begin(env, nullptr, 0, &t);
  mdb_dbi_open(t, nullptr, 0, &dbi);
  for (int i = 0; i < n; ++i) {
    std::string key = lmdb::BigEndian64(i);
    MDB_val k = lmdb::Val(key), v = lmdb::Val(value);
    mdb_put(t, dbi, &k, &v, MDB_APPEND);
  }
  mdb_txn_commit(t);
  double dt = NowSeconds() - t0;
  mdb_env_close(env);
  return n / dt;
}

double VerifyRate(const std::vector<SignedBody>& bodies, unsigned threads) {
  double t0 = NowSeconds();
  std::atomic<int> bad{0};
  ParallelFor(bodies.size(), threads, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      if (!bodies[i].signer.Verify(kEntryBodyContext, bodies[i].body, bodies[i].signature)) ++bad;
    }
  });
  return bodies.size() / (NowSeconds() - t0);
}

int Run(int entries, const std::string& root) {
  fs::remove_all(root);
  SecretKey key = SecretKey::Generate();
  std::printf("dvs-bench: %d entries, %u hardware threads, scratch %s\n\n", entries,
              std::thread::hardware_concurrency(), root.c_str());

  // ---- raw primitives ----
  const int kCommits = 2000;
  double raw_commit_ms = RawLmdbSyncedCommitP50(root + "/raw-commit", kCommits);
  double raw_batch = RawLmdbBatchedPutsPerSecond(root + "/raw-batch", entries);
  std::vector<SignedBody> bodies;
  double t0 = NowSeconds();
  for (int i = 0; i < entries; ++i) bodies.push_back(SignedBody::Sign(key, Body(i)));
  double sign_rate = entries / (NowSeconds() - t0);
  double verify1 = VerifyRate(bodies, 1);
  double verify2 = VerifyRate(bodies, 2);
  std::string mb(64 << 20, 'h');
  t0 = NowSeconds();
  Hash h = Sha256(mb);
  double sha_mbs = 64 / (NowSeconds() - t0);
  std::printf(
      "primitives: LMDB synced commit p50 %.3f ms | LMDB batched puts %.0f/s | Ed25519 sign "
      "%.0f/s, verify %.0f/s (1 thread) %.0f/s (2 threads) | SHA-256 %.0f MB/s [%02x]\n\n",
      raw_commit_ms, raw_batch, sign_rate, verify1, verify2, sha_mbs, h[0]);

  // ---- ours ----
  auto log = Log::Create(root + "/ledger", {});
  if (!log.ok()) {
    std::fprintf(stderr, "dvs-bench: %s\n", log.status().ToString().c_str());
    return 1;
  }
  std::vector<double> lat;
  for (int i = 0; i < kCommits; ++i) {
    SignedBody b = bodies[i];
    double a = NowSeconds();
    if (!(*log)->Append(std::move(b)).ok()) return 1;
    lat.push_back(NowSeconds() - a);
  }
  double append_p50_ms = Percentile(lat, 50) * 1e3;

  const size_t kBatch = 4096;
  t0 = NowSeconds();
  for (size_t i = kCommits; i < bodies.size(); i += kBatch) {
    std::vector<SignedBody> batch(bodies.begin() + i,
                                  bodies.begin() + std::min(bodies.size(), i + kBatch));
    auto r = (*log)->AppendBatch(std::move(batch));
    if (!r.ok()) {
      std::fprintf(stderr, "dvs-bench: %s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  double batch_rate = (entries - kCommits) / (NowSeconds() - t0);

  t0 = NowSeconds();
  auto report = VerifyChain(**log);
  double verify_chain_rate = entries / (NowSeconds() - t0);
  if (!report.ok() || !report->ok()) {
    std::fprintf(stderr, "dvs-bench: the benchmark ledger does not verify\n");
    return 1;
  }

  const int kProofs = 2000;
  t0 = NowSeconds();
  for (int i = 0; i < kProofs; ++i) {
    auto p = (*log)->InclusionProof((i * 7919) % entries, entries);
    if (!p.ok()) return 1;
  }
  double proof_us = (NowSeconds() - t0) / kProofs * 1e6;
  t0 = NowSeconds();
  for (int i = 0; i < kProofs; ++i) (void)(*log)->GetRaw((i * 7919) % entries);
  double get_us = (NowSeconds() - t0) / kProofs * 1e6;

  PrintRow({"Append p50 (verify+synced commit)", append_p50_ms, "ms", "LMDB synced commit p50",
            raw_commit_ms, true, 1.5});
  // The peer: PostgreSQL's single durable INSERT, measured by tools/pg_peer.sh in the same run.
  if (const char* pg = std::getenv("DVS_PG_INSERT_P50_MS"); pg != nullptr && std::atof(pg) > 0) {
    PrintRow({"Append p50 vs a PostgreSQL peer", append_p50_ms, "ms",
              "PostgreSQL sync-commit INSERT p50", std::atof(pg), true, 1.0});
  }
  PrintRow(
      {"AppendBatch", batch_rate, "entries/s", "Ed25519 verify, 2 threads", verify2, false, 0.7});
  PrintRow({"VerifyChain", verify_chain_rate, "entries/s", "Ed25519 verify, 2 threads", verify2,
            false, 0.8});
  std::printf("%-34s %12.3f %-9s %-32s %12.3f  ratio %6.2f  (no target; %d-entry tree)\n",
              "Inclusion proof generation", proof_us, "us", "LMDB point read (own txn)", get_us,
              proof_us / get_us, entries);
  fs::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace dvs::bench

int main(int argc, char** argv) {
  int entries = 50000;
  std::string dir = (std::filesystem::temp_directory_path() / "dvs-bench").string();
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--entries") && i + 1 < argc) {
      entries = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--dir") && i + 1 < argc) {
      dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: dvs-bench [--entries N] [--dir DIR]\n");
      return 2;
    }
  }
  if (entries < 4000) {
    std::fprintf(stderr, "dvs-bench: --entries must be at least 4000\n");
    return 2;
  }
  return dvs::bench::Run(entries, dir);
}
