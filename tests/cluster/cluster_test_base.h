// ClusterTest: the three-node cluster of cluster_fixture.h with the release story on top (a
// canary to start, observations through a chosen node, acknowledged entries remembered and
// checked on every replica), shared by the cluster test files.
#ifndef DVS_TESTS_CLUSTER_CLUSTER_TEST_BASE_H_
#define DVS_TESTS_CLUSTER_CLUSTER_TEST_BASE_H_

#include <nlohmann/json.hpp>

#include "ledger/hash.h"
#include "ledger/key_files.h"
#include "tests/cluster/cluster_fixture.h"

namespace dvs::test {

// 8.7 stable and 9.0 a canary; the node that leads (-1 if none did), and the other nodes.
struct CanaryStory {
  std::string v90;
  int leader = -1;
  std::vector<int> others;
};

class ClusterTest : public test::ClusterFixture {
 protected:
  CanaryStory StartCanary() {
    CanaryStory story;
    const std::string v87 = Release("8.7");
    if (!ObserveVia(1, v87, 0.05, 150)) {
      ADD_FAILURE() << "8.7's observation was refused";
      return story;
    }
    story.v90 = Release("9.0");
    story.leader = WaitLeader(8000);
    for (int i = 0; i < kNodes; ++i) {
      if (i != story.leader) story.others.push_back(i);
    }
    return story;
  }

  std::string State(const std::string& bundle) {
    Outcome r = Dvs({"status", bundle, "--json"});
    if (r.code != 0) return "";
    return test::ParseJson(r.out).fields().at("state").string_value();
  }

  // Posts an observation through node `via`; on success records its receipt (seq, hash).
  bool ObserveVia(int via, const std::string& bundle, double err, double lat) {
    server_ = NodeUrl(via);
    Outcome r = Dvs({"observe", bundle, "--metric", "error_rate=" + std::to_string(err), "--metric",
                     "latency_ms=" + std::to_string(lat), "--samples", "200", "--key",
                     Key("observer"), "--json"});
    if (r.code != 0) return false;
    auto j = nlohmann::json::parse(r.out);
    acked_.emplace_back(j["seq"].get<uint64_t>(), j["hash"].get<std::string>());
    return true;
  }

  // Good observations through the nodes in `via`, in turn, until `bundle` is stable.
  void RampToStable(const std::string& bundle, const std::vector<int>& via) {
    for (int i = 0; i < 60 && State(bundle) != "stable"; ++i) {
      ObserveVia(via[i % via.size()], bundle, 0.03, 110);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    EXPECT_EQ(State(bundle), "stable");
  }

  // Every acknowledged observation is in node i's ledger, at its seq, with its hash.
  void ExpectAcknowledgedPresent(int i) {
    const std::vector<std::string> raw = RawEntries(i);
    for (const auto& [seq, hash] : acked_) {
      ASSERT_LT(seq, raw.size()) << "node " << i << " lost acknowledged entry " << seq;
      EXPECT_EQ(ToHex(LeafHash(raw[seq])), hash) << "node " << i << " entry " << seq;
    }
  }

  // Entries of node i's ledger from `from` on signed by key file `who`.
  int SignedBy(int i, uint64_t from, const std::string& who) {
    auto key = LoadSecretKey(Key(who));
    EXPECT_TRUE(key.ok());
    int n = 0;
    const std::vector<std::string> raw = RawEntries(i);
    for (uint64_t seq = from; seq < raw.size(); ++seq) {
      auto e = Entry::Decode(raw[seq]);
      if (e.ok() && e->signer == key->public_key()) ++n;
    }
    return n;
  }

  void StopAll() {
    for (int i = 0; i < kNodes; ++i) KillNode(i, SIGTERM);
  }

  std::vector<std::pair<uint64_t, std::string>> acked_;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_CLUSTER_CLUSTER_TEST_BASE_H_
