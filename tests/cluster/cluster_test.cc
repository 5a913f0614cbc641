// Cluster mode end to end: a real three-member etcd cluster (Debian's etcd) and three real
// `dvs serve --cluster` processes, driven by the real `dvs --server` client.
#include "api/cluster/cluster.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <mutex>
#include <nlohmann/json.hpp>

#include "api/cluster/etcd_client.h"
#include "api/cluster/etcd_log.h"
#include "api/manifest/manifest.h"
#include "api/service/transitions.h"
#include "ledger/hash.h"
#include "ledger/key_files.h"
#include "tests/cluster/cluster_test_base.h"

namespace dvs {
namespace {

using test::CanaryStory;
using test::ClusterTest;
using test::Eventually;
using test::Outcome;

TEST_F(ClusterTest, EntriesWrittenOnAnyNodeAreByteIdenticalOnEveryReplicaAndVerify) {
  // The nodes with an empty ledger received the seed node's history from etcd.
  ASSERT_TRUE(Eventually([&] { return Converged(Entries(0)); }, 5000));
  server_ = NodeUrl(0);
  const std::string v87 = Release("8.7");
  ASSERT_TRUE(ObserveVia(1, v87, 0.05, 150));
  // Read your write through another node: --min-seq waits for its replica to hold the entry.
  server_ = NodeUrl(2);
  const std::string seen = std::to_string(acked_.back().first);
  Outcome read = Dvs({"--min-seq", seen, "log", "--from", seen, "--json"});
  EXPECT_EQ(read.code, 0) << read.err;
  EXPECT_NE(read.out.find("{\"seq\":" + seen + ","), std::string::npos) << read.out;
  const std::string v90 = Release("9.0");
  RampToStable(v90, {0, 1, 2});
  // A refused submission on a follower is refused there, and appends nothing anywhere.
  server_ = NodeUrl(2);
  const uint64_t before = Entries(2);
  Outcome again = Dvs({"deploy", v90, "--key", Key("admin")});
  EXPECT_EQ(again.code, 1) << again.out;
  const uint64_t size = Entries(0);
  EXPECT_GE(size, before);
  ASSERT_TRUE(Eventually([&] { return Converged(size); }, 5000));
  StopAll();
  ExpectReplicasIdentical();
  for (int i = 0; i < kNodes; ++i) ExpectAcknowledgedPresent(i);
}

TEST_F(ClusterTest, OnlyTheLeaderDecides) {
  const int leader = WaitLeader(8000);
  ASSERT_GE(leader, 0);
  EXPECT_EQ(Leader({leader}), -1) << "two nodes lead";
  const std::string v87 = Release("8.7");
  ASSERT_TRUE(ObserveVia(0, v87, 0.05, 150));
  const uint64_t from = Entries(0);
  const std::string v90 = Release("9.0");
  RampToStable(v90, {0, 1, 2});
  StopAll();
  // Every decision since was signed by the leader's controller key.
  for (int i = 0; i < kNodes; ++i) {
    if (i != leader) {
      EXPECT_EQ(SignedBy(0, from, "c" + std::to_string(i)), 0) << "node " << i;
    }
  }
  EXPECT_GT(SignedBy(0, from, "c" + std::to_string(leader)), 0);
}

TEST_F(ClusterTest, LeaderKilledDuringCanaryAnotherLeadsAndTheRulesStillDecide) {
  CanaryStory story = StartCanary();
  ASSERT_GE(story.leader, 0);
  const std::string& v90 = story.v90;
  const int old = story.leader;
  const std::vector<int>& others = story.others;
  ASSERT_TRUE(ObserveVia(others[0], v90, 0.03, 110));
  KillNode(old, SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  // Observations keep arriving while nobody leads; each acknowledged one must survive.
  int next = -1;
  for (int i = 0; i < 200 && next < 0; ++i) {
    ObserveVia(others[i % 2], v90, 0.03, 110);
    next = Leader({old});
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - killed)
                        .count();
  ASSERT_GE(next, 0) << "no node took over";
  // The lease TTL (2 s) plus one campaign period, and room for a loaded machine.
  EXPECT_LE(took, 2000 + 100 + 1500) << "failover took " << took << " ms";
  RampToStable(v90, others);
  // A bad canary is still rolled back by the new leader.
  server_ = NodeUrl(others[0]);
  const std::string v91 = Release("9.1");
  ASSERT_TRUE(ObserveVia(others[1], v91, 0.02, 450));
  EXPECT_TRUE(Eventually([&] { return State(v91) == "rolled_back"; }, 3000));
  // The killed node comes back and catches up.
  StartNode(old);
  const uint64_t size = Entries(next);
  ASSERT_TRUE(Eventually([&] { return Converged(size); }, 5000));
  StopAll();
  ExpectReplicasIdentical();
  for (int i = 0; i < kNodes; ++i) ExpectAcknowledgedPresent(i);
}

TEST_F(ClusterTest, PausedLeaderAppendsNothingOnceAnotherLeads) {
  CanaryStory story = StartCanary();
  ASSERT_GE(story.leader, 0);
  const std::string& v90 = story.v90;
  const int old = story.leader;
  const std::vector<int>& others = story.others;
  ::kill(nodes_[old].pid, SIGSTOP);
  const uint64_t paused_at = Entries(others[0]);
  const int next = WaitLeader(8000, {old});
  ASSERT_GE(next, 0);
  // While it sleeps, the canary moves on: the old leader wakes up to a state it did not decide.
  ASSERT_TRUE(ObserveVia(others[0], v90, 0.03, 110));
  ::kill(nodes_[old].pid, SIGCONT);
  RampToStable(v90, {old, others[0], others[1]});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // several of its ticks
  EXPECT_FALSE(Leading(old));
  const uint64_t size = Entries(next);
  ASSERT_TRUE(Eventually([&] { return Converged(size); }, 5000));
  StopAll();
  EXPECT_EQ(SignedBy(next, paused_at, "c" + std::to_string(old)), 0)
      << "the paused ex-leader appended a decision";
  EXPECT_GT(SignedBy(next, paused_at, "c" + std::to_string(next)), 0);
  ExpectReplicasIdentical();
}

TEST_F(ClusterTest, WithoutQuorumWritesAreRefusedAndReadsWorkUntilItReturns) {
  const std::string v87 = Release("8.7");
  ASSERT_TRUE(Eventually([&] { return Converged(Entries(0)); }, 5000));
  etcd_->Kill(1);
  etcd_->Kill(2);
  const uint64_t before = Entries(1);
  Write("m-9.0.yaml", ManifestYaml("9.0"));
  Outcome refused = Dvs({"package", dir_.Sub("m-9.0.yaml"), "--key", Key("publisher")});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("cluster"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("no quorum"), std::string::npos) << refused.err;
  EXPECT_EQ(Entries(1), before);
  // Reads are local: they keep working on every node.
  for (int i = 0; i < kNodes; ++i) {
    server_ = NodeUrl(i);
    EXPECT_FALSE(State(v87).empty()) << "node " << i;
  }
  etcd_->StartMember(1);
  etcd_->StartMember(2);
  ASSERT_TRUE(etcd_->WaitHealthy(20000));
  server_ = NodeUrl(1);
  Outcome ok;
  Eventually(
      [&] {
        ok = Dvs({"package", dir_.Sub("m-9.0.yaml"), "--key", Key("publisher")});
        return ok.code == 0;
      },
      10000);
  EXPECT_EQ(ok.code, 0) << ok.err;
  const uint64_t size = Entries(1);
  EXPECT_EQ(size, before + 1);
  ASSERT_TRUE(Eventually([&] { return Converged(size); }, 5000));
  StopAll();
  ExpectReplicasIdentical();
}

// Fencing, in one process: a node that still believes it leads (its lease has not run out
// locally) but whose term etcd has ended appends nothing signed by its fenced key.
class ClusterFencing : public test::LedgerFixture {};

TEST_F(ClusterFencing, AnExLeaderWhoseTermEndedInEtcdAppendsNothing) {
  test::EtcdCluster etcd(dir_.path(), 1);
  ASSERT_TRUE(etcd.Start());
  auto svc = ReleaseService::Open(Ledger());
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  auto publisher = LoadSecretKey(Key("publisher"));
  ASSERT_TRUE(publisher.ok());
  ClusterOptions o;
  ASSERT_TRUE(ParseClusterUrl(etcd.Url("/fence"), &o).ok());
  o.node = "n0";
  o.lease_ttl_s = 30;  // it would believe it leads for half a minute
  o.fenced_signer = publisher->public_key();
  auto node = ClusterNode::Start(**svc, o);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  ASSERT_TRUE(Eventually([&] { return (*node)->Leads(); }, 5000));
  auto manifest = ParseManifest(ManifestYaml("1.0"), dir_.path());
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  ASSERT_TRUE((*svc)->Package(*publisher, *manifest).ok());  // leading: appended

  // Another holder takes the leader key in etcd, as after this node's lease expired.
  auto url = HttpUrl::Parse("http://" + etcd.Endpoints()[0]);
  const std::string key = ToBase64("/fence/leader");
  ASSERT_EQ(HttpCall(*url, "POST", "/v3/kv/deleterange", R"({"key":")" + key + R"("})")->status,
            200);
  ASSERT_EQ(HttpCall(*url, "POST", "/v3/kv/put",
                     R"({"key":")" + key + R"(","value":")" + ToBase64("thief") + R"("})")
                ->status,
            200);
  ASSERT_TRUE((*node)->Leads());  // it does not know yet
  auto head = (*svc)->LedgerHead();
  auto second = ParseManifest(ManifestYaml("2.0"), dir_.path());
  auto r = (*svc)->Package(*publisher, *second);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsRefused()) << r.status().ToString();
  EXPECT_NE(r.status().message().find("no longer leads"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("thief"), std::string::npos) << r.status().ToString();
  EXPECT_EQ((*svc)->LedgerHead()->size, head->size);
  EXPECT_FALSE((*node)->Leads());
  // Entries not signed by the fenced key do not need the term.
  auto grant = (*svc)->GrantKey(*LoadSecretKey(Key("root")), "late",
                                SecretKey::Generate().public_key(), {"observer"});
  EXPECT_TRUE(grant.ok()) << grant.status().ToString();
  (*node)->Stop();
}

// A replica appends what etcd holds only through the checks of every append: an entry the
// rules refuse, put into etcd by someone who can write there, is never appended, and this node
// then refuses writes rather than fork.
TEST_F(ClusterFencing, AReplicaNeverAppendsAnEntryTheRulesRefuseEvenFromEtcd) {
  test::EtcdCluster etcd(dir_.path(), 1);
  ASSERT_TRUE(etcd.Start());
  auto svc = ReleaseService::Open(Ledger());
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  std::mutex mu;
  std::string logged;
  ClusterOptions o;
  ASSERT_TRUE(ParseClusterUrl(etcd.Url("/rogue"), &o).ok());
  o.node = "n0";
  o.log = [&](const std::string& line) {
    std::lock_guard<std::mutex> l(mu);
    logged += line + "\n";
  };
  auto node = ClusterNode::Start(**svc, o);
  ASSERT_TRUE(node.ok()) << node.status().ToString();
  auto head = (*svc)->LedgerHead();
  ASSERT_TRUE(head.ok());

  // Well signed, well chained, and refused by the rules: a deploy of a bundle nobody packaged.
  auto admin = LoadSecretKey(Key("admin"));
  ASSERT_TRUE(admin.ok());
  SignedBody b = SignTransition(*admin, make::Deploy("no-such-bundle", 0));
  Entry e;
  e.seq = head->size;
  e.prev_hash = head->hash;
  e.append_time_ms = head->time_ms + 1;
  e.body = b.body;
  e.signer = b.signer;
  e.signature = b.signature;
  const std::string raw = e.Encode();
  char seq[24];
  std::snprintf(seq, sizeof(seq), "%020" PRIu64, head->size);
  cluster::EtcdClient client(etcd.Endpoints(), 10000);  // generous: CI machines are loaded
  auto put =
      client.Txn({}, {{std::string("/rogue/e/") + seq, cluster::EncodeBatch({raw}), 0},
                      {"/rogue/head", cluster::HeadValue(head->size + 1, LeafHash(raw)), 0}});
  ASSERT_TRUE(put.ok() && put->succeeded);

  const std::string refusal = "entry " + std::to_string(head->size) + " of the log of record";
  EXPECT_TRUE(Eventually(
      [&] {
        std::lock_guard<std::mutex> l(mu);
        return logged.find(refusal) != std::string::npos;
      },
      3000))
      << logged;
  EXPECT_EQ((*svc)->LedgerHead()->size, head->size);
  // A write here would have to follow that entry: refused, naming it, and nothing appended.
  auto r = (*svc)->GrantKey(*LoadSecretKey(Key("root")), "late", SecretKey::Generate().public_key(),
                            {"observer"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(refusal), std::string::npos) << r.status().ToString();
  EXPECT_EQ((*svc)->LedgerHead()->size, head->size);
  (*node)->Stop();
}

// Twenty times: kill the leader, restart it, check that another node took over and that a
// write through a survivor is acknowledged. Then every replica holds every acknowledged entry.
class ClusterReliability : public ClusterTest {};

TEST_F(ClusterReliability, TwentyLeaderKillsLoseNoAcknowledgedEntry) {
  const std::string v87 = Release("8.7");
  const std::string v90 = Release("9.0");
  for (int round = 0; round < 20; ++round) {
    const int old = WaitLeader(8000);
    ASSERT_GE(old, 0) << "round " << round;
    const int survivor = (old + 1) % kNodes;
    ASSERT_TRUE(ObserveVia(survivor, v87, 0.05, 150)) << "round " << round;
    KillNode(old, SIGKILL);
    int next = -1;
    for (int i = 0; i < 300 && next < 0; ++i) {
      ObserveVia(survivor, v87, 0.05, 150);
      next = Leader({old});
    }
    ASSERT_GE(next, 0) << "round " << round << ": no node took over";
    StartNode(old);
    if (HasFatalFailure()) return;
  }
  const uint64_t size = Entries(0);
  ASSERT_TRUE(Eventually([&] { return Converged(size); }, 5000));
  StopAll();
  ExpectReplicasIdentical();
  for (int i = 0; i < kNodes; ++i) ExpectAcknowledgedPresent(i);
}

}  // namespace
}  // namespace dvs
