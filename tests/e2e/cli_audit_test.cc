// The auditor's commands through the real dvs binary: proofs an outside verifier accepts for
// every tree size, events that follow other processes' appends, time travel, checkpoints.
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <bit>
#include <chrono>
#include <sstream>
#include <thread>

#include "api/render/json.h"
#include "api/service/release_service.h"
#include "ledger/key_files.h"
#include "ledger/lmdb_util.h"
#include "ledger/merkle.h"
#include "tests/e2e/dvs_runner.h"
#include "tests/ledger/raw_ledger.h"
#include "tests/ledger/rfc6962_vector.pb.h"

namespace dvs {
namespace {

using test::Outcome;

class CliAudit : public test::LedgerFixture {
 protected:
  SecretKey LoadKey(const std::string& who) { return std::move(LoadSecretKey(Key(who))).value(); }
};

std::vector<std::string> Proof(const google::protobuf::RepeatedPtrField<std::string>& p) {
  return {p.begin(), p.end()};
}

TEST_F(CliAudit, PrintedProofsVerifyWithTheRfc6962AlgorithmForEverySize) {
  std::string id = Release("1.0");
  {
    auto svc = std::move(ReleaseService::Open(Ledger())).value();
    SecretKey observer = LoadKey("observer");
    while (svc->log().GetHead()->size < 260) {
      ASSERT_TRUE(svc->Observe(observer, id, {{"latency_ms", 100}}, 10).ok());
    }
  }
  auto log = std::move(Log::Open(Ledger(), {.read_only = true})).value();
  const uint64_t n_max = log->GetHead()->size;
  for (uint64_t n = 1; n <= n_max; ++n) {
    SCOPED_TRACE("size " + std::to_string(n));
    const uint64_t seq = (n * 7) % n;
    Outcome inc = Dvs({"proof", "inclusion", std::to_string(seq), "--size", std::to_string(n)});
    ASSERT_EQ(inc.code, 0) << inc.err;
    test::InclusionVector iv;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(inc.out, &iv).ok()) << inc.out;
    // The leaf is the hash of the stored entry bytes, recomputed here; the root is the log's.
    EXPECT_EQ(iv.leaf_hash(), std::string(AsBytes(LeafHash(*log->GetRaw(seq)))));
    EXPECT_EQ(iv.root(), std::string(AsBytes(*log->Root(n))));
    EXPECT_TRUE(
        VerifyInclusion(iv.leaf_idx(), iv.tree_size(), iv.leaf_hash(), Proof(iv.proof()), iv.root())
            .ok());

    const uint64_t m = 1 + (n * 5) % n;
    Outcome con = Dvs({"proof", "consistency", std::to_string(m), std::to_string(n)});
    ASSERT_EQ(con.code, 0) << con.err;
    test::ConsistencyVector cv;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(con.out, &cv).ok()) << con.out;
    EXPECT_TRUE(
        VerifyConsistency(cv.size1(), cv.size2(), cv.root1(), cv.root2(), Proof(cv.proof())).ok());
  }
  Outcome beyond = Dvs({"proof", "inclusion", "3", "--size", std::to_string(n_max + 1)});
  EXPECT_EQ(beyond.code, 1);
  Outcome empty = Dvs({"proof", "consistency", "0", "5"});
  EXPECT_EQ(empty.code, 1);
  EXPECT_NE(empty.err.find("from the empty tree proves nothing"), std::string::npos) << empty.err;
}

TEST_F(CliAudit, EventsFollowAppendsByOtherProcessesAndResumeFromAGivenSeq) {
  std::string id = Release("1.0");
  const uint64_t from = 3;
  pid_t follower = test::StartDvs({"events", "--from", std::to_string(from), "--follow"}, Ledger(),
                                  dir_.path(), "follow");
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Observe(id, 0.01, 100 + i).code, 0);
  const uint64_t last = (*Log::Open(Ledger(), {.read_only = true}))->GetHead()->size - 1;
  std::string out;
  for (int waited = 0; waited < 100; ++waited) {  // at most 10 s
    out = test::Slurp(dir_.Sub("follow.out"));
    if (out.find("\"seq\":" + std::to_string(last) + ",") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(follower, SIGTERM);
  test::WaitDvs(follower, dir_.path(), "follow");
  std::vector<uint64_t> seqs;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    auto ev = test::ParseJson(out.substr(pos, nl - pos));
    seqs.push_back(static_cast<uint64_t>(ev.fields().at("seq").number_value()));
    pos = nl + 1;
  }
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.front(), from);  // resumes exactly where asked
  EXPECT_EQ(seqs.back(), last);   // and saw the other processes' appends
  for (size_t i = 1; i < seqs.size(); ++i)
    EXPECT_TRUE(seqs[i] == seqs[i - 1] || seqs[i] == seqs[i - 1] + 1);
  EXPECT_NE(out.find("\"event\":\"deploy.observed\""), std::string::npos);
}

TEST_F(CliAudit, StateAtASeqOrATimeShowsRoutingAsItWasThen) {
  Release("1.0");
  std::string v2 = Release("2.0");
  const uint64_t deployed = (*Log::Open(Ledger(), {.read_only = true}))->GetHead()->size - 1;
  ASSERT_EQ(Observe(v2, 0.01, 100).code, 0);
  ASSERT_EQ(Tick().code, 0);  // 25 %
  auto weight_at = [&](const std::string& at) {
    Outcome r = Dvs({"state", "--at", at, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    auto j = test::ParseJson(r.out);
    for (const auto& b : j.fields().at("bundles").list_value().values()) {
      if (b.struct_value().fields().at("bundle").string_value() == v2) {
        return b.struct_value().fields().at("weight").number_value();
      }
    }
    return -1.0;
  };
  EXPECT_EQ(weight_at(std::to_string(deployed)), 5);
  EXPECT_EQ(weight_at(std::to_string(deployed + 2)), 25);
  EXPECT_EQ(weight_at(std::to_string(deployed - 1)), 0);  // approved, not yet deployed
  auto deployed_entry = (*Log::Open(Ledger(), {.read_only = true}))->Get(deployed);
  Outcome by_time =
      Dvs({"state", "--at", std::to_string(deployed_entry->append_time_ms), "--json"});
  EXPECT_EQ(by_time.code, 1) << "a bare number is a seq; times are RFC 3339 or @UNIX_MS";
  EXPECT_NE(by_time.err.find("is beyond the ledger's"), std::string::npos) << by_time.err;
  const std::string at_ms = "@" + std::to_string(deployed_entry->append_time_ms);
  EXPECT_NE(by_time.err.find("for unix ms write --at " + at_ms + ")"), std::string::npos)
      << by_time.err;
  Outcome ms = Dvs({"state", "--at", at_ms, "--json"});
  ASSERT_EQ(ms.code, 0) << ms.err;
  EXPECT_EQ(test::ParseJson(ms.out).fields().at("seq").number_value(), deployed);
  Outcome rfc = Dvs({"state", "--at", Rfc3339Time(deployed_entry->append_time_ms), "--json"});
  ASSERT_EQ(rfc.code, 0) << rfc.err;
  EXPECT_EQ(test::ParseJson(rfc.out).fields().at("seq").number_value(), deployed);
  Outcome bad = Dvs({"state", "--at", "yesterday"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err,
            "dvs: state: --at takes a seq, an RFC 3339 time or @UNIX_MS: 'yesterday' is not a "
            "time (not YYYY-MM-DDTHH:MM:SS)\n");
  EXPECT_EQ(Dvs({"state", "--at", "@12x"}).code, 2);
}

TEST_F(CliAudit, AuditFiltersCombineAndReportWeightChanges) {
  Release("1.0");
  std::string v2 = Release("2.0");
  ASSERT_EQ(Observe(v2, 0.01, 100).code, 0);
  ASSERT_EQ(Tick().code, 0);
  Outcome r =
      Dvs({"audit", "--service", "tax_calc", "--type", "ramp", "--actor", "controller", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto parsed = test::ParseJson(r.out);
  const auto& rows = parsed.fields().at("entries").list_value();
  ASSERT_EQ(rows.values_size(), 1);
  const auto& row = rows.values(0).struct_value().fields();
  EXPECT_EQ(row.at("weight_before").number_value(), 5);
  EXPECT_EQ(row.at("weight_after").number_value(), 25);
  Outcome csv = Dvs({"audit", "--bundle", v2, "--csv"});
  EXPECT_NE(csv.out.find("5 % -> 25 %"), std::string::npos) << csv.out;
  // Every CSV line has as many fields as the header (no field here holds a comma).
  std::istringstream lines(csv.out);
  std::string line;
  std::getline(lines, line);
  const auto columns = std::count(line.begin(), line.end(), ',');
  while (std::getline(lines, line))
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), columns) << line;
  // A key that exists but did nothing answers with no rows; a name the ledger never held is an
  // error naming what it does hold, not an empty answer an auditor would read as "nobody".
  ASSERT_EQ(Dvs({"keygen", "--out", Key("idle")}).code, 0);
  Grant("idle", "observer");
  Outcome none = Dvs({"audit", "--actor", "idle", "--type", "ramp", "--json"});
  EXPECT_EQ(none.code, 0) << none.err;
  EXPECT_EQ(test::ParseJson(none.out).fields().at("entries").list_value().values_size(), 0);
  Outcome nobody = Dvs({"audit", "--actor", "nobody"});
  EXPECT_EQ(nobody.code, 1);
  EXPECT_EQ(nobody.out, "");
  EXPECT_NE(nobody.err.find("no key 'nobody' in this ledger: --actor takes a granted key's name "
                            "or id (keys: "),
            std::string::npos)
      << nobody.err;
  EXPECT_NE(nobody.err.find("controller"), std::string::npos) << nobody.err;
  Outcome typo = Dvs({"audit", "--service", "tax_clac"});
  EXPECT_EQ(typo.code, 1);
  EXPECT_NE(typo.err.find("no service 'tax_clac' in this ledger (services: tax_calc)"),
            std::string::npos)
      << typo.err;
  Outcome bundle = Dvs({"audit", "--bundle", "tax_calc_9.9_000000"});
  EXPECT_EQ(bundle.code, 1);
  EXPECT_NE(bundle.err.find("no bundle 'tax_calc_9.9_000000' in this ledger"), std::string::npos)
      << bundle.err;
  // An actor named by key id, as the rows print it, is known too.
  const std::string controller_id = row.at("key_id").string_value();
  Outcome by_id = Dvs({"audit", "--actor", controller_id, "--type", "ramp", "--json"});
  ASSERT_EQ(by_id.code, 0) << by_id.err;
  EXPECT_EQ(test::ParseJson(by_id.out).fields().at("entries").list_value().values_size(), 1);
}

TEST_F(CliAudit, CheckpointsNeedTheLogRoleAndVerify) {
  Release("1.0");
  Outcome refused = Dvs({"checkpoint", "--key", Key("admin")});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("needs a registered, unrevoked key with the log role"),
            std::string::npos);
  ASSERT_EQ(Dvs({"keygen", "--out", Key("log")}).code, 0);
  Grant("log", "log");
  Outcome cp = Dvs({"checkpoint", "--out", dir_.Sub("cp"), "--key", Key("log")});
  ASSERT_EQ(cp.code, 0) << cp.err;
  Outcome v = test::WaitDvs(
      test::StartProgram(DVS_VERIFY_BINARY, {Ledger(), "--checkpoint", dir_.Sub("cp")}, "",
                         dir_.path(), "verify"),
      dir_.path(), "verify");
  EXPECT_EQ(v.code, 0) << v.err;
  ASSERT_EQ(Dvs({"reindex"}).code, 0);
  Outcome again =
      test::WaitDvs(test::StartProgram(DVS_VERIFY_BINARY, {Ledger()}, "", dir_.path(), "verify2"),
                    dir_.path(), "verify2");
  EXPECT_EQ(again.code, 0) << again.err;
}

TEST_F(CliAudit, ACheckpointIsAppendedToTheLogAndNeverSignedOverDamagedNodes) {
  const std::string id = Release("1.0");
  ASSERT_EQ(Dvs({"keygen", "--out", Key("log")}).code, 0);
  Grant("log", "log");
  Outcome cp = Dvs({"checkpoint", "--out", dir_.Sub("cp"), "--key", Key("log")});
  ASSERT_EQ(cp.code, 0) << cp.err;
  Outcome log = Dvs({"log", "--json"});
  EXPECT_NE(log.out.find("\"checkpoint\""), std::string::npos) << log.out;
  // Damage the largest left subtree's node, which every root and the path of the first leaf
  // after it use, as someone who can write the file but holds no key would. (The next
  // checkpoint appends one entry: keep the tree from completing a new, larger subtree then.)
  uint64_t size = 0;
  {
    auto svc = std::move(ReleaseService::Open(Ledger())).value();
    SecretKey observer = LoadKey("observer");
    auto pow2 = [](uint64_t n) { return (n & (n - 1)) == 0; };
    // At least 32 entries: the nodes of fewer than 16 leaves are not stored.
    while (svc->log().GetHead()->size < 40 || pow2(svc->log().GetHead()->size + 1) ||
           pow2(svc->log().GetHead()->size + 2)) {
      ASSERT_TRUE(svc->Observe(observer, id, {{"latency_ms", 100}}, 10).ok());
    }
    size = svc->log().GetHead()->size;
  }
  const int level = std::bit_width(size) - 1;
  const std::string first_right = std::to_string(uint64_t{1} << level);
  {
    test::RawLedger raw(Ledger());
    std::string nk(1, static_cast<char>(level));
    nk += lmdb::BigEndian64(0);
    auto node = raw.Get("merkle", nk);
    ASSERT_TRUE(node.has_value());
    (*node)[0] ^= 1;
    raw.Put("merkle", nk, *node);
  }
  const std::string before = test::Slurp(dir_.Sub("cp"));
  Outcome refused = Dvs({"checkpoint", "--out", dir_.Sub("cp"), "--key", Key("log")});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("derived Merkle nodes disagree"), std::string::npos) << refused.err;
  EXPECT_EQ(test::Slurp(dir_.Sub("cp")), before) << "a note over damaged nodes was written";
  Outcome proof = Dvs({"proof", "inclusion", first_right});
  EXPECT_EQ(proof.code, 1);
  EXPECT_NE(proof.err.find("derived Merkle nodes disagree"), std::string::npos) << proof.err;
  // dvs reindex heals them; then both work again.
  ASSERT_EQ(Dvs({"reindex"}).code, 0);
  EXPECT_EQ(Dvs({"proof", "inclusion", first_right}).code, 0);
  EXPECT_EQ(Dvs({"checkpoint", "--out", dir_.Sub("cp"), "--key", Key("log")}).code, 0);
}

}  // namespace
}  // namespace dvs
