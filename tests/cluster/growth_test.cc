// Cluster growth and what etcd or an operator may get wrong: compaction out of etcd, a node
// bootstrapping from a peer's copy (and refusing a lying one), mistyped prefixes, twin node
// names, keys changed by hand, malformed records. Real etcd, real `dvs serve` nodes.
#include <gtest/gtest.h>

#include <cinttypes>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/cluster/cluster.h"
#include "api/cluster/etcd_client.h"
#include "api/cluster/etcd_log.h"
#include "api/cluster/node_registry.h"
#include "api/manifest/manifest.h"
#include "api/service/transitions.h"
#include "ledger/hash.h"
#include "ledger/key_files.h"
#include "tests/cluster/cluster_test_base.h"
#include "tools/testbed/loopback_listener.h"

namespace dvs {
namespace {

using test::ClusterTest;
using test::Eventually;
using test::Outcome;

// Growth: with a log key checkpointing every few entries and a short compaction period, the
// leader deletes from etcd what every node holds, and a new node bootstraps from a peer.
class ClusterCompaction : public ClusterTest {
 protected:
  void SetUp() override {
    node_args_ = {"--log-key", Key("logk"), "--checkpoint-every", "5", "--compact-every", "300ms"};
    ClusterTest::SetUp();
    client_ = std::make_unique<cluster::EtcdClient>(etcd_->Endpoints(), 10000);
  }

  // The value of an etcd key, or nullopt when it is absent (or etcd did not answer).
  std::optional<std::string> EtcdValue(const std::string& key) {
    auto kvs = client_->Range(key, "", 1);
    if (!kvs.ok() || kvs->empty()) return std::nullopt;
    return kvs->front().value;
  }
  size_t Advertised() {
    auto kvs = client_->Range("/dvs-test/nodes/", cluster::PrefixEnd("/dvs-test/nodes/"), 0);
    return kvs.ok() ? kvs->size() : 0;
  }
  // The compaction floor (0: none), once etcd no longer holds the first batch.
  uint64_t WaitCompacted() {
    uint64_t floor = 0;
    Eventually(
        [&] {
          auto f = EtcdValue("/dvs-test/floor");
          if (!f || EtcdValue("/dvs-test/e/00000000000000000000")) return false;
          floor = std::stoull(f->substr(0, f->find(' ')));
          return true;
        },
        20000);
    return floor;
  }
  // `n` observations of 8.7 (released at the first call) through node `via`.
  void Write(int n, int via = 1) {
    if (v87_.empty()) v87_ = Release("8.7");
    for (int i = 0; i < n; ++i) ASSERT_TRUE(ObserveVia(via, v87_, 0.05, 150)) << i;
  }

  std::unique_ptr<cluster::EtcdClient> client_;
  std::string v87_;
};

// A "peer" that answers GET /v1/entries from `entries`, changed from entry `at` on as `lie` says.
class LyingPeer {
 public:
  enum class Lie {
    kFlip,     // one byte of entry `at` flipped
    kRechain,  // entry `at`'s time changed, and every later entry chained onto it again
    kShort,    // it holds nothing from `at` on
    kHuge,     // answers 64 MiB of junk
  };
  LyingPeer(std::vector<std::string> entries, uint64_t at, Lie lie)
      : entries_(std::move(entries)), huge_(lie == Lie::kHuge) {
    if (lie == Lie::kFlip) entries_[at][entries_[at].size() / 2] ^= 0x01;
    if (lie == Lie::kShort) entries_.resize(at);
    if (lie != Lie::kRechain) return;
    for (uint64_t s = at; s < entries_.size(); ++s) {
      Entry e = Entry::Decode(entries_[s]).value();
      if (s == at) e.append_time_ms += 1;
      if (s > at) e.prev_hash = LeafHash(entries_[s - 1]);
      entries_[s] = e.Encode();
    }
  }
  std::string url() const { return "http://" + listener_.address(); }

 private:
  void Serve(int c) {
    const std::string req = test::ReadHttpRequest(c, 2000);
    uint64_t from = 0, limit = 0;
    if (std::sscanf(req.c_str(), "GET /v1/entries?from=%" SCNu64 "&limit=%" SCNu64, &from,
                    &limit) != 2)
      return;
    std::string body;
    for (uint64_t s = from; s < entries_.size() && s < from + limit; ++s)
      body += EncodeBatch({entries_[s]});
    if (huge_) body.assign(size_t{64} << 20, 'x');
    test::SendAll(c,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                  "Content-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    ::shutdown(c, SHUT_WR);
  }
  std::vector<std::string> entries_;
  bool huge_ = false;
  test::LoopbackListener listener_{[this](int c) { Serve(c); }};  // last: destroyed first
};

TEST_F(ClusterCompaction, EtcdForgetsWhatEveryNodeHoldsAndANewNodeBootstrapsFromAnHonestPeer) {
  Write(25);
  const uint64_t floor = WaitCompacted();
  ASSERT_GT(floor, 0u) << "etcd was never compacted";
  ASSERT_GE(floor, 5u);
  // Dishonest peers, tried first (names are tried in order).
  const std::vector<std::string> raw = RawEntries(0);
  LyingPeer flip(raw, 2, LyingPeer::Lie::kFlip), rechain(raw, 2, LyingPeer::Lie::kRechain),
      cut(raw, 3, LyingPeer::Lie::kShort), huge(raw, 0, LyingPeer::Lie::kHuge);
  for (auto [name, liar] : {std::pair{"a-flip", &flip}, std::pair{"b-rechain", &rechain},
                            std::pair{"c-short", &cut}, std::pair{"c-ted", &huge}}) {
    ASSERT_TRUE(client_
                    ->Put({std::string("/dvs-test/nodes/") + name,
                           cluster::NodeRecordValue(liar->url(), raw.size(), Hash{}), 0})
                    .ok());
  }
  const int joiner = AddNode();
  ASSERT_GT(nodes_[joiner].pid, 0);
  Write(3, joiner);  // the joiner takes writes too
  const uint64_t size = Entries(0);
  ASSERT_TRUE(Eventually([&] { return Converged(size); }, 10000));
  const std::string log = NodeLog(joiner);
  EXPECT_NE(log.find("bootstrap: refused a-flip: peer " + flip.url() +
                     ": entry 3 does not chain "
                     "onto entry 2"),
            std::string::npos)
      << log;
  // (The floor may have moved on since WaitCompacted: the message names the one it fetched to.)
  const size_t rechained =
      log.find("bootstrap: refused b-rechain: peer " + rechain.url() + ": its entries up to ");
  EXPECT_NE(rechained, std::string::npos) << log;
  EXPECT_NE(log.find("are not the cluster's", rechained), std::string::npos) << log;
  EXPECT_NE(log.find("bootstrap: refused c-short: peer " + cut.url() + " holds no entry 3"),
            std::string::npos)
      << log;
  // An answer far beyond what GET /v1/entries ever sends is cut off, not read into memory.
  const size_t huge_at = log.find("bootstrap: refused c-ted: peer " + huge.url());
  EXPECT_NE(huge_at, std::string::npos) << log;
  EXPECT_NE(log.find("body limit exceeded", huge_at), std::string::npos) << log;
  EXPECT_NE(log.find("bootstrap: fetched the entries below"), std::string::npos) << log;
  StopAll();
  KillNode(joiner, SIGTERM);
  ExpectReplicasIdentical();
}

TEST_F(ClusterCompaction, OneNodeAloneNeverCompacts) {
  KillNode(1);
  KillNode(2);
  ASSERT_TRUE(Eventually([&] { return Advertised() == 1; }, 10000)) << Advertised();
  server_ = NodeUrl(0);
  Write(25, 0);
  // Many compaction periods: the only copy of the history stays in etcd too.
  std::this_thread::sleep_for(std::chrono::milliseconds(3000));
  EXPECT_FALSE(EtcdValue("/dvs-test/floor"));
  EXPECT_TRUE(EtcdValue("/dvs-test/e/00000000000000000000"));
  // A second node joins: now two hold it, and etcd may forget it.
  StartNode(1);
  EXPECT_GT(WaitCompacted(), 0u);
}

TEST_F(ClusterCompaction, ANodeBelowTheFloorWithNoPeerFailsNamingTheFloor) {
  Write(25);
  const uint64_t floor = WaitCompacted();
  ASSERT_GT(floor, 0u);
  StopAll();
  ASSERT_TRUE(Eventually([&] { return Advertised() == 0; }, 10000)) << Advertised();
  auto now = EtcdValue("/dvs-test/floor");  // it may have moved on since
  ASSERT_TRUE(now);
  const std::string tag = "lonely";
  Outcome r = test::WaitDvs(test::StartDvs({"serve", "--listen", "127.0.0.1:0", "--node-name", "n9",
                                            "--cluster", etcd_->Url("/dvs-test")},
                                           dir_.Sub("ledger-empty"), dir_.path(), tag),
                            dir_.path(), tag);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("etcd holds the log from entry " + now->substr(0, now->find(' '))),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("no other node is advertised"), std::string::npos) << r.err;
}

// What an operator mistypes, or changes in etcd by hand, is refused naming it: never a fork, a
// second node under one name, or a write retried as if it had lost a race.
class ClusterTampering : public ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    client_ = std::make_unique<cluster::EtcdClient>(etcd_->Endpoints(), 10000);
  }
  // `dvs serve` on `ledger` under `prefix` as `name`, which must exit: its outcome.
  Outcome ServeMustExit(const std::string& ledger, const std::string& prefix,
                        const std::string& name) {
    const std::string tag = "exit" + std::to_string(starts_++);
    return test::WaitDvs(test::StartDvs({"serve", "--listen", "127.0.0.1:0", "--node-name", name,
                                         "--lease-ttl", "1s", "--cluster", etcd_->Url(prefix)},
                                        ledger, dir_.path(), tag),
                         dir_.path(), tag);
  }
  std::unique_ptr<cluster::EtcdClient> client_;
};

TEST_F(ClusterTampering, MistypedPrefixDuplicateNameAndKeysChangedByHandAreNamed) {
  const std::string v87 = Release("8.7");
  ASSERT_TRUE(ObserveVia(1, v87, 0.05, 150));
  ASSERT_TRUE(Eventually([&] { return Converged(Entries(1)); }, 5000));

  // 1. A replica started under another prefix: refused, naming both, before anything is written.
  KillNode(2, SIGTERM);
  EXPECT_EQ(test::Slurp(nodes_[2].ledger + "/cluster"), "/dvs-test\n");
  Outcome fork = ServeMustExit(nodes_[2].ledger, "/dvs-other", "n9");
  EXPECT_EQ(fork.code, 1);
  EXPECT_NE(fork.err.find("is a replica of the log under /dvs-test"), std::string::npos)
      << fork.err;
  EXPECT_NE(fork.err.find("not /dvs-other"), std::string::npos) << fork.err;
  EXPECT_NE(fork.err.find("from an empty --ledger"), std::string::npos) << fork.err;
  auto other = client_->Range("/dvs-other/", cluster::PrefixEnd("/dvs-other/"), 0);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty()) << "the mistyped prefix was seeded";

  // 2. A second node under a running node's name: refused, naming the URL that holds it.
  Outcome twin = ServeMustExit(dir_.Sub("ledger-twin"), "/dvs-test", "n1");
  EXPECT_EQ(twin.code, 1);
  EXPECT_NE(twin.err.find("another node runs as n1 (" + NodeUrl(1)), std::string::npos) << twin.err;
  EXPECT_NE(twin.err.find("give this one another --node-name"), std::string::npos) << twin.err;
  auto n1 = client_->Range("/dvs-test/nodes/n1", "", 1);
  ASSERT_TRUE(n1.ok());
  ASSERT_EQ(n1->size(), 1u) << "the twin revoked n1's record";
  EXPECT_NE(n1->front().value.find(NodeUrl(1)), std::string::npos);

  // 3. The head key changed by hand: a write fails at once naming it, not after 50 "races".
  auto head = client_->Range("/dvs-test/head", "", 1);
  ASSERT_TRUE(head.ok() && head->size() == 1);
  const std::string good = head->front().value;
  server_ = NodeUrl(1);
  for (const std::string& junk :
       {std::string("junk"), std::string("3 ") + good.substr(good.find(' ') + 1)}) {
    ASSERT_TRUE(client_->Put({"/dvs-test/head", junk, 0}).ok());
    Outcome w = Dvs({"observe", v87, "--metric", "error_rate=0.05", "--metric", "latency_ms=150",
                     "--samples", "200", "--key", Key("observer")});
    EXPECT_NE(w.code, 0);
    EXPECT_NE(w.err.find("etcd key /dvs-test/head holds '" + junk + "'"), std::string::npos)
        << w.err;
    EXPECT_NE(w.err.find("changed outside dvs"), std::string::npos) << w.err;
    EXPECT_EQ(w.err.find("other nodes appended first"), std::string::npos) << w.err;
  }
  ASSERT_TRUE(client_->Txn({}, {}, "", {{"/dvs-test/head", ""}}).ok());
  Outcome gone = Dvs({"observe", v87, "--metric", "error_rate=0.05", "--metric", "latency_ms=150",
                      "--samples", "200", "--key", Key("observer")});
  EXPECT_NE(gone.code, 0);
  EXPECT_NE(gone.err.find("etcd key /dvs-test/head is missing"), std::string::npos) << gone.err;
  ASSERT_TRUE(client_->Put({"/dvs-test/head", good, 0}).ok());
  ASSERT_TRUE(ObserveVia(1, v87, 0.05, 150)) << "the restored head takes writes again";

  // 4. A batch deleted by hand: a new node names the missing batch, not a chain error.
  auto batches = client_->Range("/dvs-test/e/", cluster::PrefixEnd("/dvs-test/e/"), 0);
  ASSERT_TRUE(batches.ok());
  ASSERT_GE(batches->size(), 3u);
  const std::string gone_key = (*batches)[1].key;
  const std::string next_key = (*batches)[2].key;
  ASSERT_TRUE(client_->Txn({}, {}, "", {{gone_key, ""}}).ok());
  Outcome hole = ServeMustExit(dir_.Sub("ledger-hole"), "/dvs-test", "n8");
  EXPECT_EQ(hole.code, 1);
  const auto seq = [](const std::string& key) {
    return std::to_string(std::stoull(key.substr(key.rfind('/') + 1)));
  };
  EXPECT_NE(hole.err.find("etcd holds no batch at seq " + seq(gone_key) + " (the next starts at " +
                          seq(next_key)),
            std::string::npos)
      << hole.err;
  EXPECT_NE(hole.err.find("deleted outside dvs"), std::string::npos) << hole.err;
}

// What etcd holds is hostile: a floor or a node record that does not parse is named, never
// trusted.
TEST(ClusterRecords, MalformedFloorsAndNodeRecordsAreRefused) {
  const std::string hex(64, 'a');
  for (const std::string& bad :
       {std::string(""), std::string("12"), "x " + hex, "0 " + hex, "12 " + hex.substr(1),
        "12 " + std::string(64, 'z'), "99999999999999999999 " + hex}) {
    auto f = cluster::ParseFloor(bad);
    EXPECT_FALSE(f.ok()) << "'" << bad << "'";
  }
  auto good = cluster::ParseFloor("12 " + hex);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->seq, 12u);
  EXPECT_EQ(ToHex(good->hash), hex);

  const std::string ok = cluster::NodeRecordValue("http://10.0.0.1:8080", 7, Hash{});
  std::string why;
  cluster::NodeRecord r = cluster::ParseNodeRecord("a", ok, &why);
  EXPECT_TRUE(r.valid) << why;
  EXPECT_EQ(r.size, 7u);
  EXPECT_EQ(r.url, "http://10.0.0.1:8080");
  for (const std::string& bad :
       {std::string("not json"), std::string("[]"),
        std::string(R"({"url":"http://a:1","size":-1,"hash":"00"})"),
        R"({"url":"http://a:1","size":1,"hash":")" + hex.substr(2) + R"("})",
        R"({"url":"nowhere","size":1,"hash":")" + hex + R"("})",
        R"({"url":"http://a:1","size":"1","hash":")" + hex + R"("})"}) {
    why.clear();
    EXPECT_FALSE(cluster::ParseNodeRecord("a", bad, &why).valid) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace dvs
