// Trust in derived data: someone who can write the LMDB file but holds no key edits only the
// DERIVED databases (snapshots, Merkle nodes). For each forgery: reads equal what a full replay
// of the entries yields, or refuse; no forbidden entry can be appended; no wrong root is signed
// or proven; dvs-verify names the damaged record.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "api/service/release_service.h"
#include "api/service/state_loader.h"
#include "api/verify/verify.h"
#include "ledger/lmdb_util.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/replay.h"
#include "statemachine/snapshot.pb.h"
#include "tests/ledger/raw_ledger.h"
#include "tests/statemachine/harness.h"
#include "tests/test_util.h"

namespace dvs {
namespace {

using Table = std::map<std::string, std::vector<Route>>;

class DerivedTamper {
 public:
  // svc: 1.0 stable, 2.0 a canary rolled back, 3.0 packaged and never approved; a log key
  // checkpoints every 8 entries, so there are trusted snapshots to forge.
  explicit DerivedTamper(uint64_t checkpoint_every = 8) : log_key_(test::KeyFromNumber(7)) {
    path_ = dir_.Sub("ledger");
    ServiceOptions o;
    o.log_key = std::make_shared<const SecretKey>(test::KeyFromNumber(7));
    o.checkpoint_every = checkpoint_every;
    auto s = ReleaseService::Init(path_, h_.root, "tamper", o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(*s);
    Must(svc_->GrantKey(h_.root, "log", log_key_.public_key(), {"log"}));
    Must(svc_->GrantKey(h_.root, "governance", h_.governance.public_key(), {"governance"}));
    Must(svc_->GrantKey(h_.root, "publisher", h_.publisher.public_key(), {"publisher"}));
    Must(svc_->GrantKey(h_.root, "admin", h_.admin.public_key(), {"release_admin"}));
    Must(svc_->GrantKey(h_.root, "observer", h_.observer.public_key(), {"observer"}));
    Must(svc_->GrantKey(h_.root, "controller", h_.controller.public_key(), {"controller"}));
    sm::GovernancePolicy p;
    p.add_allowed_licenses("Apache-2.0");
    Must(svc_->SetPolicy(h_.root, p));
    v1_ = Ship("1.0");
    v2_ = Ship("2.0");
    observed_ = svc_->Observe(h_.observer, v2_, {{"error_rate", 0.01}}, 500);
    Must(observed_);
    Must(svc_->Rollback(h_.admin, v2_, "regression"));
    auto id = svc_->Package(h_.publisher, test::Manifest("svc", "3.0"));
    EXPECT_TRUE(id.ok());
    v3_ = *id;
    // Enough after 3.0 that a checkpoint (and its snapshot) knows it.
    for (int i = 0; i < 13; ++i) Must(svc_->Observe(h_.observer, v1_, {{"error_rate", 0.01}}, 500));
  }

  template <typename R>
  static void Must(const R& r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::string Ship(const std::string& version) {
    sm::Manifest m = test::Manifest("svc", version);
    m.mutable_rollout()->set_interval_ms(0);
    auto id = svc_->Package(h_.publisher, m);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    Must(svc_->Approve(h_.governance, *id));
    Must(svc_->Deploy(h_.admin, *id));
    return *id;
  }

  void Close() { svc_.reset(); }
  Result<std::unique_ptr<ReleaseService>> Reopen() { return ReleaseService::Open(path_); }

  // What a full replay of `entries` alone yields.
  State Truth() {
    LogOptions lo;
    lo.read_only = true;
    auto log = Log::Open(path_, lo);
    EXPECT_TRUE(log.ok());
    State s;
    EXPECT_TRUE((*log)
                    ->Scan(0, UINT64_MAX,
                           [&](uint64_t, std::string_view raw) {
                             auto e = Entry::Decode(raw);
                             return e.ok() ? ApplyEntry(&s, *e) : e.status();
                           })
                    .ok());
    return s;
  }
  static Table RoutesOf(const State& s) {
    Table t;
    for (const auto& [name, svc] : s.services) t[name] = s.Routes(name, s.last_time_ms);
    return t;
  }

  // The newest trusted snapshot: (key, decoded).
  std::pair<std::string, Snapshot> LatestSnapshot() {
    test::RawLedger raw(path_);
    std::optional<std::pair<std::string, std::string>> last;
    for (uint64_t size = 1; size < 200; ++size) {
      auto v = raw.Get("snapshots", lmdb::BigEndian64(size));
      if (v) last.emplace(lmdb::BigEndian64(size), *v);
    }
    EXPECT_TRUE(last.has_value()) << "no snapshot was written";
    auto d = DecodeSnapshot(last->second);
    EXPECT_TRUE(d.ok());
    return {last->first, std::move(*d)};
  }

  // A snapshot in which the never-approved 3.0 is svc's stable, at 100 %.
  static void RouteToUnapproved(State* s, const std::string& v3) {
    Bundle& b = s->bundles.at(v3);
    b.state = BundleState::kStable;
    s->services.at("svc").stable = v3;
    s->services.at("svc").canary.reset();
  }

  uint64_t HeadSize() { return svc_ ? svc_->log().GetHead()->size : 0; }

  // Writes `snap` under `key` in the snapshots database, as the file's writer would.
  void PutSnapshot(const std::string& key, const Snapshot& snap) {
    test::RawLedger raw(path_);
    raw.Put("snapshots", key,
            EncodeSnapshot(snap.state, snap.head_hash, snap.frontier ? &*snap.frontier : nullptr));
  }
  // XORs one byte of Merkle node (level, index).
  void FlipNode(int level, uint64_t index, size_t byte, char mask) {
    test::RawLedger raw(path_);
    std::string nk(1, static_cast<char>(level));
    nk += lmdb::BigEndian64(index);
    auto node = raw.Get("merkle", nk);
    ASSERT_TRUE(node.has_value());
    (*node)[byte] ^= mask;
    raw.Put("merkle", nk, *node);
  }

  test::Harness h_;
  SecretKey log_key_;
  test::TempDir dir_;
  std::string path_;
  std::unique_ptr<ReleaseService> svc_;
  std::string v1_, v2_, v3_;
  Result<Receipt> observed_ = Status::NotFound("");
};

bool RoutesTo(const Table& t, const std::string& bundle) {
  for (const auto& [svc, routes] : t)
    for (const Route& r : routes)
      if (r.bundle == bundle && r.weight > 0) return true;
  return false;
}

Result<VerifyReport> Verify(const std::string& path) { return VerifyLedger(path, {}); }

// A forged snapshot under each kind of key: past the head, at the head, just below it, and over
// the real one (keeping the real head hash, which the old check compared).
class ForgedSnapshot : public ::testing::TestWithParam<int> {};

TEST_P(ForgedSnapshot, IsNeverTakenForTheTruthAndDvsVerifyNamesIt) {
  DerivedTamper t;
  auto [real_key, snap] = t.LatestSnapshot();
  const uint64_t head = t.HeadSize();
  const uint64_t real_size = lmdb::ReadBigEndian64(real_key);
  DerivedTamper::RouteToUnapproved(&snap.state, t.v3_);
  t.Close();
  const Table truth = DerivedTamper::RoutesOf(t.Truth());
  ASSERT_FALSE(RoutesTo(truth, t.v3_));
  uint64_t forged_size = 0;
  switch (GetParam()) {
    case 0:
      forged_size = head + 5;
      break;  // past the log
    case 1:
      forged_size = head;
      break;  // at the head
    case 2:
      forged_size = head - 1;
      break;  // beside the real one, newer
    case 3:
      forged_size = real_size;
      break;  // over the real one
  }
  snap.state.size = forged_size;
  {
    test::RawLedger raw(t.path_);
    raw.Put("snapshots", lmdb::BigEndian64(forged_size),
            EncodeSnapshot(snap.state, snap.head_hash, snap.frontier ? &*snap.frontier : nullptr));
  }
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  auto routes = (*svc)->Routes();
  ASSERT_TRUE(routes.ok());
  EXPECT_EQ(*routes, truth);
  EXPECT_FALSE(RoutesTo(*routes, t.v3_)) << "an unapproved bundle carries traffic";
  // State as of the head, by time travel, is the truth too.
  auto at = (*svc)->StateAt(head);
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(DerivedTamper::RoutesOf(*at), truth);
  svc->reset();
  auto report = Verify(t.path_);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_FALSE(report->valid);
  EXPECT_NE(report->reason.find("snapshot under size " + std::to_string(forged_size)),
            std::string::npos)
      << report->reason;
}

INSTANTIATE_TEST_SUITE_P(Keys, ForgedSnapshot, ::testing::Values(0, 1, 2, 3));

// A snapshot that escalates the observer key to root, governance and release_admin: the write
// path must still refuse what the observer may not do.
TEST(DerivedTamperTest, EscalatedRolesInASnapshotGrantNothing) {
  DerivedTamper t;
  auto [key, snap] = t.LatestSnapshot();
  KeyRecord* obs = nullptr;
  for (auto& [name, k] : snap.state.keys)
    if (k.key == t.h_.observer.public_key()) obs = &k;
  ASSERT_NE(obs, nullptr);
  obs->roles = Bit(Role::kRoot) | Bit(Role::kGovernance) | Bit(Role::kReleaseAdmin);
  t.Close();
  t.PutSnapshot(key, snap);
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  const uint64_t head = (*svc)->log().GetHead()->size;
  EXPECT_FALSE((*svc)->Approve(t.h_.observer, t.v3_).ok());
  EXPECT_FALSE(
      (*svc)->GrantKey(t.h_.observer, "evil", test::KeyFromNumber(9).public_key(), {"root"}).ok());
  EXPECT_EQ((*svc)->log().GetHead()->size, head) << "a forbidden entry was appended";
}

// A snapshot whose request-id window was emptied: a replayed signed body is still refused.
TEST(DerivedTamperTest, AnEmptiedRequestIdSetLetsNoReplayIn) {
  DerivedTamper t;
  const uint64_t observe_seq = t.observed_->seq;
  auto [key, snap] = t.LatestSnapshot();
  ASSERT_GT(lmdb::ReadBigEndian64(key), observe_seq);
  snap.state.request_ids = RequestIdWindow();
  auto original = t.svc_->log().Get(observe_seq);
  ASSERT_TRUE(original.ok());
  t.Close();
  t.PutSnapshot(key, snap);
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  const uint64_t head = (*svc)->log().GetHead()->size;
  auto r = (*svc)->SubmitSigned(SignedBody{original->body, original->signer, original->signature});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ((*svc)->log().GetHead()->size, head) << "a replayed request was appended";
}

// A snapshot that "un-rolls-back" 2.0: nobody can ramp or promote it.
TEST(DerivedTamperTest, AnUnrolledBackBundleStaysRolledBack) {
  DerivedTamper t;
  auto [key, snap] = t.LatestSnapshot();
  snap.state.bundles.at(t.v2_).state = BundleState::kCanary;
  snap.state.services.at("svc").canary = Rollout{t.v2_, 5, false, 0, {}};
  t.Close();
  t.PutSnapshot(key, snap);
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  const uint64_t head = (*svc)->log().GetHead()->size;
  EXPECT_FALSE((*svc)->Promote(t.h_.admin, t.v2_, true).ok());
  auto ticked = (*svc)->Tick(t.h_.controller);
  ASSERT_TRUE(ticked.ok());
  EXPECT_TRUE(ticked->empty());
  EXPECT_EQ((*svc)->log().GetHead()->size, head);
  EXPECT_EQ((*(*svc)->StatusOf(t.v2_)).state, "rolled_back");
}

// The snapshot check hashes a record's own bytes (statemachine/snapshot_digest.h). A record of
// the same state in another field order (an older encoder's, say) is still used, after the
// state is encoded again; a record whose manifest bytes are not the manifest's own encoding is
// refused, though it decodes to the same manifest, because the state would keep those bytes and
// sign them at the next checkpoint. Either way the state served is the truth.
TEST(DerivedTamperTest, ASnapshotInAnotherFormIsUsedAndRedundantManifestBytesAreRefused) {
  DerivedTamper t;
  const Table truth = DerivedTamper::RoutesOf(t.Truth());
  auto [key, snap] = t.LatestSnapshot();
  const uint64_t at = lmdb::ReadBigEndian64(key);
  std::string record;
  {
    test::RawLedger raw(t.path_);
    record = *raw.Get("snapshots", key);
  }
  sm::Snapshot msg;
  ASSERT_TRUE(msg.ParseFromString(record));
  t.Close();

  // Field 11 first, then the rest: the same message, in an order EncodeSnapshot never writes.
  sm::Snapshot only11, rest = msg;
  only11.set_last_checkpoint_size(msg.last_checkpoint_size());
  rest.clear_last_checkpoint_size();
  ASSERT_NE(msg.last_checkpoint_size(), 0u);
  const std::string reordered = SerializeDeterministic(only11) + SerializeDeterministic(rest);
  ASSERT_NE(reordered, record);
  {
    test::RawLedger raw(t.path_);
    raw.Put("snapshots", key, reordered);
  }
  {
    auto svc = t.Reopen();
    ASSERT_TRUE(svc.ok()) << svc.status().ToString();
    EXPECT_EQ((*svc)->load_report().snapshot_size, at);
    EXPECT_TRUE((*svc)->load_report().rejected.empty());
    auto now = (*svc)->Current();
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(DerivedTamper::RoutesOf(**now), truth);
  }

  // A manifest with its name written twice (the last wins): same manifest, other bytes.
  sm::SnapBundle* b = msg.mutable_bundles(0);
  sm::Manifest name_only;
  name_only.set_name(snap.state.bundles.at(b->id()).manifest.name());
  b->set_manifest(b->manifest() + name_only.SerializeAsString());
  {
    test::RawLedger raw(t.path_);
    raw.Put("snapshots", key, SerializeDeterministic(msg));
  }
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  EXPECT_NE((*svc)->load_report().snapshot_size, at);
  ASSERT_FALSE((*svc)->load_report().rejected.empty());
  EXPECT_NE((*svc)->load_report().rejected[0].find("not the one the checkpoint commits to"),
            std::string::npos)
      << (*svc)->load_report().rejected[0];
  auto now = (*svc)->Current();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(DerivedTamper::RoutesOf(**now), truth);
}

// A flipped lowest stored node (leaves 0..15; the leaves themselves are not stored): appends
// still link to the entry's own hash, no proof or checkpoint is made over the damaged nodes, and
// dvs-verify names the leaf that completes the node.
TEST(DerivedTamperTest, AFlippedLowestNodeNeverReachesTheChainOrAProof) {
  DerivedTamper t;
  const uint64_t victim = 15;
  ASSERT_GE(t.HeadSize(), 17u);
  t.Close();
  t.FlipNode(kLowestStoredMerkleLevel, 0, 0, 1);
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  // The node of leaves 0..15 is the sibling on leaf 16's path.
  auto p = (*svc)->ProveInclusion(victim + 1, (*svc)->log().GetHead()->size);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(p.status().IsCorruption()) << p.status().ToString();
  EXPECT_NE(p.status().message().find("derived Merkle nodes"), std::string::npos);
  // A new entry links to the hash of the last entry's bytes.
  auto r = (*svc)->Observe(t.h_.observer, t.v1_, {{"error_rate", 0.02}}, 500);
  ASSERT_TRUE(r.ok());
  auto e = (*svc)->log().Get(r->seq);
  EXPECT_EQ(e->prev_hash, *(*svc)->log().LeafHashAt(r->seq - 1));
  svc->reset();
  auto report = Verify(t.path_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->valid);
  EXPECT_EQ(report->first_bad_seq, std::optional<uint64_t>(victim));
  EXPECT_NE(report->reason.find("Merkle node"), std::string::npos) << report->reason;
}

// A flipped newest stored node: appends do not depend on it (they link to the entry's bytes).
TEST(DerivedTamperTest, AFlippedNewestNodeDoesNotBreakTheNextAppend) {
  DerivedTamper t;
  const uint64_t last = t.HeadSize() - 1;
  ASSERT_GE(t.HeadSize(), 16u);
  t.Close();
  t.FlipNode(kLowestStoredMerkleLevel, (last + 1) / 16 - 1, 7, 0x40);
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  auto r = (*svc)->Observe(t.h_.observer, t.v1_, {{"error_rate", 0.02}}, 500);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*svc)->log().Get(r->seq)->prev_hash, *(*svc)->log().LeafHashAt(last));
  // dvs reindex heals the derived nodes.
  ASSERT_TRUE((*svc)->Reindex().ok());
  const uint64_t size = (*svc)->log().GetHead()->size;
  EXPECT_EQ(*(*svc)->log().Root(size), *(*svc)->TrustedRoot(size));
  EXPECT_TRUE((*svc)->ProveInclusion(last, size).ok());
  svc->reset();
  auto report = Verify(t.path_);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->reason;
}

// A flipped inner node: consistency and inclusion proofs through it refuse.
TEST(DerivedTamperTest, AFlippedInnerNodeRefusesProofsThroughIt) {
  DerivedTamper t;
  const uint64_t size = t.HeadSize();
  t.Close();
  ASSERT_GE(size, 33u);  // so that the newest leaf's path uses the node of leaves 0..31 instead
  t.FlipNode(kLowestStoredMerkleLevel, 0, 31, static_cast<char>(0x80));  // leaves 0..15
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  // Leaf 16's path climbs past the node of leaves 0..15: refused, naming the damage.
  auto through = (*svc)->ProveInclusion(16, size);
  EXPECT_TRUE(through.status().IsCorruption()) << through.status().ToString();
  EXPECT_TRUE((*svc)->ProveInclusion(17, size).status().IsCorruption());
  // A path that does not use it still proves, and verifies against the trusted root.
  auto clear = (*svc)->ProveInclusion(size - 1, size);
  ASSERT_TRUE(clear.ok()) << clear.status().ToString();
  EXPECT_EQ(clear->root, *(*svc)->TrustedRoot(size));
  svc->reset();
  auto report = Verify(t.path_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->valid);
  EXPECT_EQ(report->first_bad_seq, std::optional<uint64_t>(15));
}

// A stray Merkle record no entry implies is reported.
TEST(DerivedTamperTest, AnExtraMerkleRecordIsReported) {
  DerivedTamper t;
  const uint64_t size = t.HeadSize();
  t.Close();
  {
    test::RawLedger raw(t.path_);
    std::string nk(1, '\0');
    nk += lmdb::BigEndian64(size + 3);
    raw.Put("merkle", nk, std::string(32, 'x'));
  }
  auto report = Verify(t.path_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->valid);
  EXPECT_NE(report->reason.find("Merkle database holds"), std::string::npos) << report->reason;
}

// Without any signed checkpoint, no snapshot is trusted: opening replays from genesis.
TEST(DerivedTamperTest, WithoutACheckpointEverySnapshotIsIgnored) {
  DerivedTamper t(/*checkpoint_every=*/0);
  auto truth = DerivedTamper::RoutesOf(t.Truth());
  State forged = *t.svc_->Current().value();
  DerivedTamper::RouteToUnapproved(&forged, t.v3_);
  const uint64_t head = t.HeadSize();
  auto head_hash = *t.svc_->log().LeafHashAt(head - 1);
  t.Close();
  {
    test::RawLedger raw(t.path_);
    raw.Put("snapshots", lmdb::BigEndian64(head - 1), EncodeSnapshot(forged, head_hash));
  }
  auto svc = t.Reopen();
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ(*(*svc)->Routes(), truth);
  EXPECT_EQ((*svc)->load_report().snapshot_size, 0u);
  EXPECT_EQ((*svc)->load_report().rejected.size(), 1u);
}

// Entries deleted from the middle and the rest re-chained (no key needed: signatures cover only
// the bodies): the in-ledger checkpoints after the cut no longer match, and dvs-verify says so
// without any external checkpoint.
TEST(DerivedTamperTest, AReChainedDeletionIsCaughtByTheInLedgerCheckpoints) {
  DerivedTamper t(/*checkpoint_every=*/4);
  const uint64_t cut = t.observed_->seq;  // the observation and the rollback after it
  const uint64_t head = t.HeadSize();
  t.Close();
  {
    test::RawLedger raw(t.path_);
    Hash prev = LeafHash(*raw.Entry(cut - 1));
    for (uint64_t seq = cut + 2; seq < head; ++seq) {
      auto e = Entry::Decode(*raw.Entry(seq));
      ASSERT_TRUE(e.ok());
      e->seq = seq - 2;
      e->prev_hash = prev;
      const std::string bytes = e->Encode();
      raw.PutEntry(seq - 2, bytes);
      prev = LeafHash(bytes);
    }
    raw.Del("entries", lmdb::BigEndian64(head - 1));
    raw.Del("entries", lmdb::BigEndian64(head - 2));
  }
  {
    // The forger rebuilds the Merkle nodes so the chain pass is clean.
    auto log = Log::Open(t.path_, {});
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Write([](WriteTxn& w) { return w.RebuildMerkle(); }).ok());
  }
  auto report = Verify(t.path_);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->valid);
  EXPECT_NE(report->reason.find("checkpoint"), std::string::npos) << report->reason;
}

// For any single corruption of a derived database, the routing table served equals the one a
// full replay yields, or the command refuses.
RC_GTEST_PROP(DerivedTamperProperty, AnySingleCorruptionServesTheTruthOrRefuses, ()) {
  DerivedTamper t(*rc::gen::inRange<uint64_t>(3, 12));
  const uint64_t head = t.HeadSize();
  t.Close();
  const Table truth = DerivedTamper::RoutesOf(t.Truth());
  const char* db = *rc::gen::element("snapshots", "merkle", "audit", "index");
  const int how = *rc::gen::inRange(0, 3);  // 0 flip a byte, 1 delete, 2 forged snapshot
  {
    test::RawLedger raw(t.path_);
    if (how == 2) {
      State forged;
      auto [key, snap] = t.LatestSnapshot();
      forged = snap.state;
      DerivedTamper::RouteToUnapproved(&forged, t.v3_);
      const uint64_t at = *rc::gen::inRange<uint64_t>(1, head + 4);
      forged.size = at;
      raw.Put("snapshots", lmdb::BigEndian64(at),
              EncodeSnapshot(forged, snap.head_hash, snap.frontier ? &*snap.frontier : nullptr));
    } else {
      // A record of `db`: snapshots by size, others by a random existing key we know of.
      std::string key;
      if (std::string(db) == "merkle") {
        key = std::string(1, static_cast<char>(kLowestStoredMerkleLevel)) +
              lmdb::BigEndian64(*rc::gen::inRange<uint64_t>(0, std::max<uint64_t>(head / 16, 1)));
      } else if (std::string(db) == "audit") {
        key = lmdb::BigEndian64(*rc::gen::inRange<uint64_t>(0, head));
      } else {
        auto [k, s] = t.LatestSnapshot();
        key = k;
      }
      auto v = raw.Get(db, key);
      if (v && !v->empty()) {
        if (how == 0) {
          (*v)[*rc::gen::inRange<size_t>(0, v->size())] ^=
              static_cast<char>(*rc::gen::inRange(1, 256));
          raw.Put(db, key, *v);
        } else {
          raw.Del(db, key);
        }
      }
    }
  }
  auto svc = t.Reopen();
  if (!svc.ok()) return;  // refused: fine
  auto routes = (*svc)->Routes();
  if (!routes.ok()) return;
  RC_ASSERT(*routes == truth);
  // And a write still follows the rules: 3.0 was never approved.
  RC_ASSERT(!(*svc)->Deploy(t.h_.admin, t.v3_).ok());
}

}  // namespace
}  // namespace dvs
