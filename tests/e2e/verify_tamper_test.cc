// The tamper suite: copies of a real ledger, changed behind dvs's back, checked by the real
// dvs-verify binary. Every case exits 3 and names the right seq; the untouched ledger verifies.
#include <filesystem>

#include "api/service/audit_index.h"
#include "api/service/release_service.h"
#include "ledger/checkpoint.h"
#include "ledger/key_files.h"
#include "ledger/lmdb_util.h"
#include "statemachine/transition.pb.h"
#include "tests/e2e/dvs_runner.h"
#include "tests/ledger/raw_ledger.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

namespace fs = std::filesystem;
using test::Outcome;

class VerifyTamper : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteKeyFiles(h_.root, dir_.Sub("root.key")).ok());
    ASSERT_TRUE(WriteKeyFiles(SecretKey::Generate(), dir_.Sub("other-root.key")).ok());
    // No in-ledger checkpoints here: the rewrites below re-append signed bodies at other log
    // times, and a checkpoint commits to its log time (derived_tamper_test covers them).
    auto made = ReleaseService::Init(Original(), h_.root, "tamper");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    ReleaseService& s = **made;
    for (auto [name, key, role] :
         std::vector<std::tuple<const char*, const SecretKey*, const char*>>{
             {"governance", &h_.governance, "governance"},
             {"publisher", &h_.publisher, "publisher"},
             {"admin", &h_.admin, "release_admin"},
             {"observer", &h_.observer, "observer"},
             {"controller", &h_.controller, "controller"},
             {"log", &log_key_, "log"}}) {
      ASSERT_TRUE(s.GrantKey(h_.root, name, key->public_key(), {role}).ok());
    }
    sm::GovernancePolicy p;
    p.add_allowed_licenses("Apache-2.0");
    ASSERT_TRUE(s.SetPolicy(h_.root, p).ok());
    auto release = [&](const std::string& v) {
      sm::Manifest m = test::Manifest("tax_calc", v);
      m.mutable_rollout()->set_interval_ms(0);
      auto id = s.Package(h_.publisher, m);
      EXPECT_TRUE(id.ok() && s.Approve(h_.governance, *id).ok() && s.Deploy(h_.admin, *id).ok());
      return *id;
    };
    std::string v1 = release("1.0");
    stable_ = v1;
    ASSERT_TRUE(s.Observe(h_.observer, v1, {{"error_rate", 0.02}, {"latency_ms", 120}}, 500).ok());
    std::string v2 = release("2.0");
    for (int i = 0; i < 2; ++i) {
      auto obs = s.Observe(h_.observer, v2, {{"error_rate", 0.01}, {"latency_ms", 100}}, 200);
      ASSERT_TRUE(obs.ok());
      cited_observation_ = obs->seq;
      auto tick = s.Tick(h_.controller);
      ASSERT_TRUE(tick.ok() && (*tick)[0].receipt.has_value());
      automatic_ramp_ = (*tick)[0].receipt->seq;
    }
    ASSERT_TRUE(s.Observe(h_.observer, v2, {{"error_rate", 3.0}, {"latency_ms", 100}}, 200).ok());
    ASSERT_EQ((*s.Tick(h_.controller))[0].decision.kind, Decision::Kind::kRollback);
    // A checkpoint here; then more history after it.
    checkpoint_size_ = s.log().GetHead()->size;
    Checkpoint cp{"tamper", checkpoint_size_, *s.log().Root(checkpoint_size_)};
    std::ofstream(dir_.Sub("cp")) << SignCheckpoint(cp, "log", log_key_);
    std::string v3 = release("3.0");
    ASSERT_TRUE(s.Rollback(h_.admin, v3, "manual").ok());
    size_ = s.log().GetHead()->size;
  }

  std::string Original() const { return dir_.Sub("original"); }

  // A fresh copy of the original ledger.
  std::string Copy() {
    std::string to = dir_.Sub("copy" + std::to_string(copies_++));
    fs::copy(Original(), to, fs::copy_options::recursive);
    return to;
  }

  Outcome Verify(const std::string& ledger, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {ledger};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string tag = "verify" + std::to_string(runs_++);
    return test::WaitDvs(test::StartProgram(DVS_VERIFY_BINARY, args, "", dir_.path(), tag),
                         dir_.path(), tag);
  }

  void ExpectInvalidAt(const Outcome& r, uint64_t seq, const std::string& why) {
    EXPECT_EQ(r.code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find("INVALID at seq " + std::to_string(seq) + ":"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  }

  // Writes a new ledger at `to` from the original's signed bodies, each passed through `edit`
  // (which may change or drop it), with audit records computed by a real replay for as long as
  // the entries allow: a properly chained ledger whose content was chosen by the attacker.
  void Rewrite(const std::string& to,
               const std::function<void(uint64_t, std::vector<SignedBody>*)>& edit) {
    auto src = Log::Open(Original(), {});
    std::vector<SignedBody> bodies;
    for (uint64_t seq = 0; seq < size_; ++seq) {
      Entry e = *(*src)->Get(seq);
      std::vector<SignedBody> one = {SignedBody{e.body, e.signer, e.signature}};
      edit(seq, &one);
      bodies.insert(bodies.end(), one.begin(), one.end());
    }
    src->reset();
    auto dst = Log::Create(to, {.derived = {"snapshots", audit::kAuditDb, audit::kIndexDb}});
    ASSERT_TRUE(dst.ok());
    State replay;
    bool allowed = true;
    for (const SignedBody& b : bodies) {
      auto head = (*dst)->Write([&](WriteTxn& w) -> Status {
        DVS_ASSIGN_OR_RETURN(VerifiedBody vb, VerifiedBody::Verify(b));
        DVS_ASSIGN_OR_RETURN(Entry e, w.Add(vb));
        if (!allowed) return Status::OK();
        auto rec = audit::ApplyAndRecord(&replay, e);
        if (!rec.ok()) {
          allowed = false;
          return Status::OK();
        }
        return audit::Put(w, e.seq, *rec);
      });
      ASSERT_TRUE(head.ok()) << head.status().ToString();
    }
  }

  test::Harness h_;  // keys for every role
  SecretKey log_key_ = test::KeyFromNumber(42);
  test::TempDir dir_;
  std::string stable_;
  uint64_t size_ = 0, checkpoint_size_ = 0, automatic_ramp_ = 0, cited_observation_ = 0;
  int copies_ = 0, runs_ = 0;
};

TEST_F(VerifyTamper, TheUntouchedLedgerVerifies) {
  Outcome r =
      Verify(Original(), {"--root-pub", dir_.Sub("root.key.pub"), "--checkpoint", dir_.Sub("cp")});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("VALID: " + std::to_string(size_) + " entries"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("snapshots agree"), std::string::npos);
  EXPECT_NE(
      r.out.find("signed by 'log', size " + std::to_string(checkpoint_size_) + ", consistent"),
      std::string::npos);
  Outcome j = Verify(Original(), {"--json"});
  EXPECT_EQ(j.code, 0);
  EXPECT_TRUE(test::ParseJson(j.out).fields().at("valid").bool_value());
}

TEST_F(VerifyTamper, OnATerminalItShowsAProgressBarWithRateAndEta) {
  // script(1) gives dvs-verify a pseudo-terminal, as a person at a shell would.
  const std::string cmd = std::string(DVS_VERIFY_BINARY) + " " + Original();
  Outcome r = test::WaitDvs(
      test::StartProgram("/usr/bin/script", {"-qec", cmd, "/dev/null"}, "", dir_.path(), "tty"),
      dir_.path(), "tty");
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("signatures and chain"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/s  ETA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("100%"), std::string::npos) << r.out;
}

TEST_F(VerifyTamper, AByteFlippedInEachEntryInTurnIsNamed) {
  for (uint64_t seq = 0; seq < size_; ++seq) {
    SCOPED_TRACE("seq " + std::to_string(seq));
    std::string copy = Copy();
    {
      test::RawLedger raw(copy);
      std::string bytes = *raw.Entry(seq);
      bytes[bytes.size() / 2] ^= 0x20;
      raw.PutEntry(seq, bytes);
    }
    ExpectInvalidAt(Verify(copy), seq, "");
    fs::remove_all(copy);
  }
}

TEST_F(VerifyTamper, AnEditedReasonIsNamedAsAnEntryAlteredAfterItWasSigned) {
  // The last entry is the manual rollback "manual": one letter of its reason changed.
  std::string copy = Copy();
  {
    test::RawLedger raw(copy);
    std::string bytes = *raw.Entry(size_ - 1);
    const size_t at = bytes.find("manual");
    ASSERT_NE(at, std::string::npos);
    bytes[at] = 'M';
    raw.PutEntry(size_ - 1, bytes);
  }
  Outcome r = Verify(copy);
  ExpectInvalidAt(r, size_ - 1, "entry was altered after it was signed");
}

TEST_F(VerifyTamper, ADeletedEntryIsNamed) {
  std::string copy = Copy();
  test::RawLedger(copy).Del("entries", lmdb::BigEndian64(5));
  ExpectInvalidAt(Verify(copy), 5, "entry is missing");
}

TEST_F(VerifyTamper, TwoSwappedEntriesAreNamedAtTheFirst) {
  std::string copy = Copy();
  {
    test::RawLedger raw(copy);
    std::string a = *raw.Entry(6), b = *raw.Entry(7);
    raw.PutEntry(6, b);
    raw.PutEntry(7, a);
  }
  ExpectInvalidAt(Verify(copy), 6, "");
}

TEST_F(VerifyTamper, ATruncatedTailIsNamedByTheDerivedDataLeftBehind) {
  std::string copy = Copy();
  const uint64_t keep = checkpoint_size_ - 2;
  {
    test::RawLedger raw(copy);
    for (uint64_t seq = keep; seq < size_; ++seq) raw.Del("entries", lmdb::BigEndian64(seq));
  }
  ExpectInvalidAt(Verify(copy), keep,
                  "entries from seq " + std::to_string(keep) + " on are missing");
}

TEST_F(VerifyTamper, ACarefullyTruncatedTailIsCaughtAgainstAnEarlierCheckpoint) {
  // The attacker cuts the tail and rebuilds every derived database to match: a prefix of a valid
  // log is a valid log, and only a checkpoint can tell that it was cut.
  const uint64_t keep = checkpoint_size_ - 2;
  std::string cut = dir_.Sub("cut");
  Rewrite(cut, [&](uint64_t seq, std::vector<SignedBody>* bodies) {
    if (seq >= keep) bodies->clear();
  });
  EXPECT_EQ(Verify(cut).code, 0);
  ExpectInvalidAt(Verify(cut, {"--checkpoint", dir_.Sub("cp")}), keep, "the ledger was truncated");
}

TEST_F(VerifyTamper, AnEntryAppendedByAKeyWithoutTheRoleIsNamed) {
  std::string copy = Copy();
  sm::Transition t;
  t.set_request_id("forged");
  t.set_actor_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count());
  t.mutable_rollback()->set_bundle(stable_);
  t.mutable_rollback()->set_reason("I am only an observer");
  {
    auto log = Log::Open(copy, {});  // bypasses Apply: properly chained, signed by its author
    ASSERT_TRUE((*log)->Append(SignedBody::Sign(h_.observer, t.SerializeAsString())).ok());
  }
  ExpectInvalidAt(Verify(copy), size_, "rolling back needs the release_admin role; key 'observer'");
}

TEST_F(VerifyTamper, AnAutomaticDecisionWhoseEvidenceWasAlteredIsNamed) {
  std::string forged = dir_.Sub("forged");
  Rewrite(forged, [&](uint64_t seq, std::vector<SignedBody>* bodies) {
    if (seq != cited_observation_) return;
    sm::Transition t = *ParseTransition((*bodies)[0].body);
    (*t.mutable_observe()->mutable_metrics())["error_rate"] =
        5.0;  // now it should have rolled back
    (*bodies)[0] =
        SignedBody::Sign(h_.observer, t.SerializeAsString());  // re-signed: a valid entry
  });
  ExpectInvalidAt(Verify(forged), automatic_ramp_, "the policy decides rollback");
}

TEST_F(VerifyTamper, TamperedDerivedDataIsNamed) {
  std::string copy = Copy();
  test::RawLedger(copy).Put(audit::kAuditDb, lmdb::BigEndian64(9), "not a record");
  Outcome r = Verify(copy);
  ExpectInvalidAt(r, 9, "derived audit record disagrees");
  // An auditor is told the entries check and how to rebuild; and the rebuilt copy verifies.
  EXPECT_NE(r.err.find("signature check: dvs reindex"), std::string::npos) << r.err;
  ASSERT_EQ(test::WaitDvs(test::StartDvs({"reindex"}, copy, dir_.path(), "reindex"), dir_.path(),
                          "reindex")
                .code,
            0);
  EXPECT_EQ(Verify(copy).code, 0);
}

// Index postings are derived: one filed under a term its entry does not carry, or one missing,
// is named.
TEST_F(VerifyTamper, AForgedOrMissingPostingIsNamed) {
  const std::string genesis_chunk = audit::TypeTerm("genesis") + lmdb::BigEndian64(0);
  std::string forged = Copy();
  test::RawLedger(forged).Put(audit::kIndexDb, genesis_chunk, "\x09");  // seqs 0 and 9
  ExpectInvalidAt(Verify(forged), 9, "under a term it does not carry");
  std::string missing = Copy();
  test::RawLedger(missing).Del(audit::kIndexDb, genesis_chunk);
  Outcome r = Verify(missing);
  EXPECT_EQ(r.code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("postings, the entries imply"), std::string::npos) << r.err;
}

TEST_F(VerifyTamper, ALedgerCutBeforeItsLogKeysGrantIsNamedTruncatedAgainstTheCheckpoint) {
  // Entries 0-5: genesis and five grants; the log key's grant (6) and all after it are cut, so the
  // checkpoint's signer is not in what is left. Still a truncation, not a usage error.
  const uint64_t keep = 6;
  std::string cut = dir_.Sub("cut");
  Rewrite(cut, [&](uint64_t seq, std::vector<SignedBody>* bodies) {
    if (seq >= keep) bodies->clear();
  });
  Outcome r = Verify(cut, {"--checkpoint", dir_.Sub("cp")});
  ExpectInvalidAt(r, keep, "the ledger was truncated");
  EXPECT_NE(r.err.find("signed by no log key among the 6"), std::string::npos) << r.err;
}

TEST_F(VerifyTamper, ADataFileCutShortIsNamedNotCrashedOn) {
  // A copy that did not finish: half of data.mdb.
  std::string copy = Copy();
  const std::string file = copy + "/data.mdb";
  const auto size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, size / 2);
  Outcome r = Verify(copy);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("data.mdb is cut short"), std::string::npos) << r.err;
}

TEST_F(VerifyTamper, AWrongPinnedRootOrAMissingLedgerFail) {
  ExpectInvalidAt(Verify(Original(), {"--root-pub", dir_.Sub("other-root.key.pub")}), 0,
                  "not the pinned root");
  Outcome missing = Verify(dir_.Sub("nowhere"));
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("no ledger at"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace dvs
