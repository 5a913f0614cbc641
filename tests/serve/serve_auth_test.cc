// Over HTTP, the server trusts signatures, not connections: a missing or bad signature, an unknown
// or revoked key, or a key without the role is refused with 401/403 and a JSON error naming why,
// and a refused request changes nothing in the ledger.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "api/service/release_service.h"
#include "api/service/transitions.h"
#include "ledger/hash.h"
#include "ledger/key_files.h"
#include "tests/serve/serve_fixture.h"

namespace dvs {
namespace {

class ServeAuth : public test::ServeFixture {
 protected:
  Result<SecretKey> Load(const std::string& who) { return LoadSecretKey(Key(who)); }

  // POSTs `json` to /v1/entries and checks the answer's status and that its error names `words`.
  void ExpectRefused(const std::string& json, int status, const std::string& reason,
                     const std::string& words) {
    const uint64_t before = Entries();
    const std::string fp = Fingerprint();
    HttpReply r = Http("POST", "/v1/entries", json);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    auto err = test::ParseJson(r.body);
    EXPECT_EQ(err.fields().at("reason").string_value(), reason) << r.body;
    EXPECT_NE(err.fields().at("error").string_value().find(words), std::string::npos) << r.body;
    EXPECT_EQ(Entries(), before);
    EXPECT_EQ(Fingerprint(), fp);
  }
};

TEST_F(ServeAuth, EverySignatureAndRoleProblemIsNamedAndChangesNothing) {
  std::string id = Package("8.7");
  StartServer();
  const SignedBody good = SignTransition(*Load("governance"), make::Approve(id));

  // Missing signature, missing key: 401.
  ExpectRefused("{\"body\":\"" + ToBase64(good.body) + "\",\"signer_key\":\"" +
                    ToBase64(good.signer.bytes()) + "\"}",
                401, "unauthenticated", "missing \"signature\"");
  ExpectRefused("{\"body\":\"" + ToBase64(good.body) + "\",\"signature\":\"" +
                    ToBase64(good.signature) + "\"}",
                401, "unauthenticated", "missing \"signer_key\"");
  // A signature that does not verify: 401.
  SignedBody forged = good;
  forged.signature[7] ^= 1;
  ExpectRefused(SignedBodyJson(forged), 401, "bad_signature", good.signer.Id());
  // The body altered after signing: 401.
  SignedBody altered = SignTransition(*Load("governance"), make::Approve(id));
  altered.body = make::Approve(id + "x").SerializeAsString();
  ExpectRefused(SignedBodyJson(altered), 401, "bad_signature", "signature");
  // A valid signature by a key the ledger does not know: 401.
  SecretKey stranger = SecretKey::Generate();
  ExpectRefused(SignedBodyJson(SignTransition(stranger, make::Approve(id))), 401, "unknown_key",
                stranger.public_key().Id());
  // A known key without the role: 403, naming the role.
  ExpectRefused(SignedBodyJson(SignTransition(*Load("publisher"), make::Approve(id))), 403,
                "forbidden", "needs the governance role");
  // A rule, not a key, refuses: 409.
  ExpectRefused(SignedBodyJson(SignTransition(*Load("admin"), make::Deploy(id, 0))), 409, "refused",
                "approv");

  // The good one commits; sending the very same signed request again is a replay: 409.
  HttpReply ok = Http("POST", "/v1/entries", SignedBodyJson(good));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(test::ParseJson(ok.body).fields().at("kind").string_value(), "approve");
  ExpectRefused(SignedBodyJson(good), 409, "refused", "already applied");

  // A revoked key: 403.
  ASSERT_EQ(
      Dvs({"key", "revoke", "observer", "--reason", "laptop lost", "--key", Key("root")}).code, 0);
  ExpectRefused(SignedBodyJson(SignTransition(*Load("observer"),
                                              make::Observe(id, {{"error_rate", 0.1}}, 100))),
                403, "forbidden", "revoked");

  std::string metrics = Http("GET", "/metrics").body;
  EXPECT_NE(metrics.find("dvs_refusals_total{reason=\"bad_signature\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("dvs_refusals_total{reason=\"forbidden\"} 2"), std::string::npos);
  EXPECT_NE(metrics.find("dvs_refusals_total{reason=\"unauthenticated\"} 2"), std::string::npos);
}

// Concurrent clients share synced transactions: each gets its own receipt, and /metrics shows
// fewer commits than writers.
TEST_F(ServeAuth, ConcurrentWritersShareCommitsAndEachGetsItsOwnReceipt) {
  std::string id = Release("8.7");
  StartServer();
  auto key = Load("observer");
  ASSERT_TRUE(key.ok());
  constexpr int kClients = 32, kEach = 4;
  std::vector<std::vector<std::string>> bodies(kClients);
  for (auto& mine : bodies) {
    for (int i = 0; i < kEach; ++i) {
      mine.push_back(
          SignedBodyJson(SignTransition(*key, make::Observe(id, {{"error_rate", 0.1}}, 100))));
    }
  }
  const uint64_t before = Entries();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  std::mutex seqs_mu;
  std::set<double> seqs;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      HttpConnection conn(url_, 30'000);
      for (const std::string& b : bodies[c]) {
        auto r = conn.Call("POST", "/v1/entries", b);
        if (!r.ok() || r->status != 200) continue;
        ++ok;
        std::lock_guard<std::mutex> l(seqs_mu);
        seqs.insert(test::ParseJson(r->body).fields().at("seq").number_value());
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok, kClients * kEach);
  EXPECT_EQ(seqs.size(), size_t{kClients * kEach});  // one receipt, one seq, per writer
  EXPECT_EQ(Entries(), before + kClients * kEach);
  std::string metrics = Http("GET", "/metrics").body;
  auto counter = [&](const std::string& name) {
    size_t at = metrics.find("\n" + name + " ");
    EXPECT_NE(at, std::string::npos) << metrics;
    return at == std::string::npos ? 0.0 : std::stod(metrics.substr(at + name.size() + 2));
  };
  const double groups = counter("dvs_commit_groups_total");
  const double writers = counter("dvs_commit_writers_total");
  EXPECT_GE(writers, kClients * kEach);
  EXPECT_LT(groups, writers) << "no two concurrent writers ever shared a commit";
}

TEST_F(ServeAuth, ABatchIsAppliedWhollyOrNotAtAll) {
  std::string a = Package("8.7");
  std::string b = Package("9.0");
  StartServer();
  auto key = Load("governance");
  const SecretKey& gov = *key;
  const std::string good = SignedBodyJson(SignTransition(gov, make::Approve(a)));
  const std::string bad = SignedBodyJson(SignTransition(gov, make::Approve("no_such_bundle")));
  ExpectRefused("{\"entries\":[" + good + "," + bad + "]}", 409, "refused", "item 1");
  const uint64_t before = Entries();
  HttpReply r = Http(
      "POST", "/v1/entries",
      "{\"entries\":[" + good + "," + SignedBodyJson(SignTransition(gov, make::Approve(b))) + "]}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(test::ParseJson(r.body).fields().at("receipts").list_value().values_size(), 2);
  EXPECT_EQ(Entries(), before + 2);
}

TEST_F(ServeAuth, ACommandLineClientGetsTheServersReasonAndExitCodeOne) {
  std::string id = Package("8.7");
  StartServer();
  test::Outcome r = Dvs({"approve", id, "--key", Key("publisher")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("server answered 403"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("needs the governance role"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dvs
