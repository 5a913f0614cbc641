// Input the CLI must refuse before anything is read forever, written through a link, signed or
// stored: non-regular artifact files, non-regular output paths, control characters in signed
// text, negative or impossible numbers and times, bodies with unknown fields, public key files
// given as signing keys. Every refusal leaves the ledger byte-for-byte unchanged.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "api/manifest/manifest.h"
#include "ledger/entry.pb.h"
#include "ledger/key_files.h"
#include "ledger/keys.h"
#include "statemachine/limits.h"
#include "statemachine/manifest_rules.h"
#include "statemachine/transition.pb.h"
#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

class CliInputHoles : public test::LedgerFixture {
 protected:
  // `args` is refused with exit `code` and `want` on stderr, in bounded time, ledger unchanged.
  void ExpectRefused(const std::vector<std::string>& args, const std::string& want, int code = 1) {
    const std::string before = Fingerprint();
    std::string tag = "refused" + std::to_string(runs_++);
    pid_t pid = test::StartDvs(args, Ledger(), dir_.path(), tag);
    int status = 0;
    bool done = false;
    for (int i = 0; i < 500 && !done; ++i) {
      done = ::waitpid(pid, &status, WNOHANG) == pid;
      if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!done) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ADD_FAILURE() << args[0] << " hung (killed after 10 s)";
      return;
    }
    const std::string err = test::Slurp(dir_.Sub(tag + ".err"));
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), code) << args[0] << " stderr: " << err;
    EXPECT_NE(err.find(want), std::string::npos) << "stderr: " << err;
    EXPECT_EQ(err.find('\x1b'), std::string::npos) << "raw ESC on stderr: " << err;
    EXPECT_EQ(Fingerprint(), before) << args[0] << " changed the ledger";
  }

  // `extra`: bytes appended to the body's encoding, for what our clients never write.
  std::string Signed(const sm::Transition& t, const std::string& who, const std::string& name,
                     const std::string& extra = "") {
    SecretKey key = std::move(LoadSecretKey(Key(who))).value();
    sm::Transition signed_now = t;  // within the ledger's replay window
    signed_now.set_actor_time_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
    ledger::Entry req;
    req.set_body(signed_now.SerializeAsString() + extra);
    req.set_signer_key(std::string(key.public_key().bytes()));
    req.set_signature(key.Sign(kEntryBodyContext, req.body()));
    Write(name, req.SerializeAsString());
    return dir_.Sub(name);
  }

  std::string ManifestWithArtifact(const std::string& path) {
    Write("art.yaml", ManifestYaml("1.0", "artifacts: [\"" + path + "\"]\n"));
    return dir_.Sub("art.yaml");
  }
};

// ---- 1. artifacts: regular files only, bounded ----

TEST_F(CliInputHoles, AnArtifactThatIsADeviceOrFifoIsRefusedAtOnce) {
  ExpectRefused({"package", ManifestWithArtifact("/dev/zero"), "--key", Key("publisher")},
                "/dev/zero is not a regular file");
  const std::string fifo = dir_.Sub("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExpectRefused({"package", ManifestWithArtifact(fifo), "--key", Key("publisher")},
                fifo + " is not a regular file");
  ExpectRefused({"package", ManifestWithArtifact(dir_.path()), "--key", Key("publisher")},
                "is not a regular file");
}

TEST_F(CliInputHoles, AnArtifactOverTheLimitIsRefusedNamingFileAndLimit) {
  const std::string big = dir_.Sub("big.bin");  // sparse: costs no disk
  int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(kMaxArtifactSize + 1)), 0);
  ::close(fd);
  ExpectRefused({"package", ManifestWithArtifact(big), "--key", Key("publisher")},
                big + " is " + std::to_string(kMaxArtifactSize + 1) +
                    " bytes, larger than the artifact limit of " +
                    std::to_string(kMaxArtifactSize));
}

TEST_F(CliInputHoles, VerifyArtifactRefusesDevicesAndFifos) {
  Write("tool.tar", "the artifact");
  Write("art.yaml", ManifestYaml("1.0", "artifacts: [tool.tar]\n"));
  Outcome p = Dvs({"package", dir_.Sub("art.yaml"), "--key", Key("publisher")});
  ASSERT_EQ(p.code, 0) << p.err;
  const std::string id = p.out.substr(0, p.out.find('\n'));
  ASSERT_EQ(Dvs({"approve", id, "--key", Key("governance")}).code, 0);
  EXPECT_EQ(Dvs({"verify-artifact", id, dir_.Sub("tool.tar")}).code, 0);
  ExpectRefused({"verify-artifact", id, "/dev/zero"}, "/dev/zero is not a regular file");
  const std::string fifo = dir_.Sub("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExpectRefused({"verify-artifact", id, fifo}, "is not a regular file");
}

TEST_F(CliInputHoles, SubmitAndProofReadOnlyRegularFiles) {
  ExpectRefused({"submit", "/dev/zero"}, "/dev/zero is a character device, not a regular file");
  const std::string fifo = dir_.Sub("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExpectRefused({"submit", fifo}, fifo + " is a FIFO, not a regular file");
  ExpectRefused({"proof", "inclusion", "0", "--checkpoint", "/dev/zero"},
                "/dev/zero is a character device");
}

// ---- 2. output files: never through a link, never over a device ----

TEST_F(CliInputHoles, CheckpointOutRefusesSymlinksAndNonRegularFiles) {
  ASSERT_EQ(Dvs({"keygen", "--out", Key("log")}).code, 0);
  Grant("log", "log");
  Write("precious.txt", "precious");
  const std::string link = dir_.Sub("link.checkpoint");
  ASSERT_EQ(::symlink(dir_.Sub("precious.txt").c_str(), link.c_str()), 0);
  ExpectRefused({"checkpoint", "--out", link, "--key", Key("log")},
                link + " is a symbolic link; refusing to replace it");
  EXPECT_EQ(test::Slurp(dir_.Sub("precious.txt")), "precious");
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));

  const std::string fifo = dir_.Sub("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  ExpectRefused({"checkpoint", "--out", fifo, "--key", Key("log")}, fifo + " is a FIFO");
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ExpectRefused({"checkpoint", "--out", dir_.path(), "--key", Key("log")}, "is a directory");
  // A folder that is not there: refused before the checkpoint entry is appended (ExpectRefused
  // checks the ledger's bytes).
  ExpectRefused({"checkpoint", "--out", dir_.Sub("nowhere/q.checkpoint"), "--key", Key("log")},
                "its folder " + dir_.Sub("nowhere") + " does not exist");

  // A regular file is replaced whole; nothing is left beside it.
  Write("q3.checkpoint", "old");
  Outcome ok = Dvs({"checkpoint", "--out", dir_.Sub("q3.checkpoint"), "--key", Key("log")});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(test::Slurp(dir_.Sub("q3.checkpoint")).rfind("test\n", 0), 0u);
  for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST_F(CliInputHoles, KeygenOutNeverWritesThroughASymlink) {
  Write("precious.txt", "precious");
  const std::string link = dir_.Sub("new.key");
  ASSERT_EQ(::symlink(dir_.Sub("precious.txt").c_str(), link.c_str()), 0);
  ExpectRefused({"keygen", "--out", link}, "already exists");
  const std::string dangling = dir_.Sub("d2.key");
  ASSERT_EQ(::symlink(dir_.Sub("nowhere").c_str(), dangling.c_str()), 0);
  ExpectRefused({"keygen", "--out", dangling}, "cannot create key file");
  EXPECT_EQ(test::Slurp(dir_.Sub("precious.txt")), "precious");
  EXPECT_NE(::access(dir_.Sub("nowhere").c_str(), F_OK), 0);
}

// ---- 3. control characters in signed text ----

TEST_F(CliInputHoles, ControlCharactersInReasonsAreRefusedNamingTheOption) {
  std::string id = Package("1.0");
  const std::string gov = Key("governance");
  ExpectRefused({"reject", id, "--reason", "\x1b[2Jall good", "--key", gov},
                "--reason: has the control character U+001B", 2);
  ExpectRefused({"reject", id, "--reason", "line\nfake line", "--key", gov},
                "--reason: has the control character U+000A", 2);
  ExpectRefused({"reject", id, "--reason",
                 "c1 \xc2\x9b"
                 "31m",
                 "--key", gov},
                "--reason: has the control character U+009B", 2);
  ExpectRefused({"reject", id, "--reason", "del \x7f", "--key", gov}, "U+007F", 2);
  ExpectRefused({"reject", id, "--reason", "raw \x9b", "--key", gov}, "not valid UTF-8", 2);
  ExpectRefused({"key", "revoke", "observer", "--reason", "\x1b]0;title\x07", "--key", Key("root")},
                "--reason: has the control character U+001B", 2);
  Outcome ok = Dvs({"reject", id, "--reason", "mod\xc3\xa8le incompatible", "--key", gov});
  EXPECT_EQ(ok.code, 0) << ok.err;  // printable UTF-8 is fine
}

// A right-to-left override or a zero-width space signed into a reason would reorder or hide what
// an auditor reads in `dvs log`; refused like control characters, in reasons and manifests.
TEST_F(CliInputHoles, InvisibleAndDirectionChangingCharactersAreRefused) {
  std::string id = Package("1.0");
  const std::string gov = Key("governance");
  const std::string before = Fingerprint();
  ExpectRefused({"reject", id, "--reason", "x\xe2\x80\xae" "evil", "--key", gov},
                "--reason: has the invisible or direction-changing character U+202E", 2);
  ExpectRefused({"reject", id, "--reason", "a\xe2\x80\x8b" "b", "--key", gov}, "U+200B", 2);
  Write("bidi.yaml",
        "name: tax_calc\nversion: \"1.1\"\ncode: \"reg/\u2067x\"\n"
        "governance: {license: MIT, ethics_review: passed, fedramp: high}\n");
  ExpectRefused({"package", dir_.Sub("bidi.yaml"), "--key", Key("publisher")},
                "code: has the invisible or direction-changing character U+2067");
  EXPECT_EQ(Fingerprint(), before);
}

TEST_F(CliInputHoles, ControlCharactersInManifestFieldsAreRefusedNamingTheField) {
  Write("esc.yaml",
        "name: tax_calc\nversion: \"1.0\"\ncode: \"reg/\\e[31mx\"\n"
        "governance: {license: MIT, ethics_review: passed, fedramp: high}\n");
  ExpectRefused({"package", dir_.Sub("esc.yaml"), "--key", Key("publisher")},
                "code: has the control character U+001B");
  Write("nul.yaml",
        "name: tax_calc\nversion: \"1.0\"\ncode: c\nconfig: {k: \"a\\0b\"}\n"
        "governance: {license: MIT, ethics_review: passed, fedramp: high}\n");
  ExpectRefused({"package", dir_.Sub("nul.yaml"), "--key", Key("publisher")},
                "config.k: has the control character U+0000");
}

TEST_F(CliInputHoles, ABodySignedElsewhereWithControlCharactersIsRefusedByApply) {
  std::string id = Package("1.0");
  sm::Transition t;
  t.set_request_id("nul-reason");
  t.mutable_reject()->set_bundle(id);
  t.mutable_reject()->set_reason(std::string("fine\0\x1b[8m hidden", 17));
  ExpectRefused({"submit", Signed(t, "governance", "nul.req")},
                "reason: has the control character U+0000");
  sm::Transition r;
  r.set_request_id("esc\x1b[2J");
  r.mutable_reject()->set_bundle(id);
  r.mutable_reject()->set_reason("ok");
  ExpectRefused({"submit", Signed(r, "governance", "rid.req")},
                "request_id: has the control character U+001B");
}

// ---- 4. and 7. numbers: no wrapping, no zero where it breaks things ----

TEST_F(CliInputHoles, NegativeAndOutOfRangeNumbersAreUsageErrorsNamingTheOption) {
  std::string id = Release("1.0");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"observe", id, "--metric", "error_rate=0", "--samples", "-1", "--key", Key("observer")},
       "--samples"},
      {{"observe", id, "--metric", "error_rate=0", "--samples", "0", "--key", Key("observer")},
       "--samples"},
      {{"observe", id, "--metric", "error_rate=0", "--samples", "1e3", "--key", Key("observer")},
       "--samples"},
      {{"observe", id, "--metric", "error_rate=0", "--samples", "99999999999999999999999", "--key",
        Key("observer")},
       "--samples"},
      {{"deploy", id, "--canary-pct", "-5", "--key", Key("admin")}, "--canary-pct"},
      {{"deploy", id, "--canary-pct", "101", "--key", Key("admin")}, "--canary-pct"},
      {{"log", "--from", "-1"}, "--from"},
      {{"log", "--to", "-1"}, "--to"},
      {{"events", "--from", "-1"}, "--from"},
      {{"proof", "inclusion", "-1"}, "seq"},
      {{"proof", "inclusion", "0", "--size", "-3"}, "--size"},
      {{"proof", "consistency", "-1", "2"}, "old"},
      {{"proof", "consistency", "1", "0"}, "new"},
      {{"proof", "consistency", "1", "-2"}, "new"},
      {{"serve", "--idle-timeout", "0"}, "--idle-timeout"},
      {{"serve", "--idle-timeout", "-1"}, "--idle-timeout"},
      {{"serve", "--threads", "0"}, "--threads"},
      {{"serve", "--tick", "0s"}, "--tick"},
  };
  for (const auto& [args, option] : cases) {
    SCOPED_TRACE(args[0] + " " + option);
    ExpectRefused(args, option, 2);
  }
}

// ---- 5. impossible times ----

TEST_F(CliInputHoles, ImpossibleTimesAreRefused) {
  for (const char* t :
       {"2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T23:61:00Z", "2026-01-01T23:59:61Z",
        "2026-01-01T00:00:00+25:00", "2026-01-01T00:00:00+01:60", "2026-1-01T00:00:00Z",
        "2026-01-01T00:00:-1Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", ""}) {
    SCOPED_TRACE(t);
    ExpectRefused({"audit", "--since", t}, "--since", 2);
    ExpectRefused({"audit", "--until", t}, "--until", 2);
    ExpectRefused({"state", "--at", t}, "--at takes a seq, an RFC 3339 time or @UNIX_MS", 2);
  }
  for (const char* t : {"2024-02-29T12:00:00Z", "2000-02-29T00:00:00+23:59", "2026-12-31T23:59:60Z",
                        "2026-06-01T10:00:00.250-05:30"}) {
    SCOPED_TRACE(t);
    Outcome r = Dvs({"audit", "--since", t});
    EXPECT_EQ(r.code, 0) << r.err;
  }
}

// ---- 6. unknown fields in a signed body ----

TEST_F(CliInputHoles, ABodyWithUnknownFieldsAnywhereIsRefused) {
  std::string id = Package("1.0");
  sm::Transition nested;
  nested.set_request_id("unknown-nested");
  nested.mutable_reject()->set_bundle(id);
  nested.mutable_reject()->set_reason("no");
  nested.mutable_reject()
      ->GetReflection()
      ->MutableUnknownFields(nested.mutable_reject())
      ->AddVarint(99, 1);
  ExpectRefused({"submit", Signed(nested, "governance", "nested.req")},
                "unknown field 99 in transition.reject");

  sm::Transition top;
  top.set_request_id("unknown-top");
  top.mutable_approve()->set_bundle(id);
  top.GetReflection()->MutableUnknownFields(&top)->AddLengthDelimited(77, "smuggled");
  ExpectRefused({"submit", Signed(top, "governance", "top.req")}, "unknown field 77 in transition");

  sm::Transition evidence;
  evidence.set_request_id("unknown-evidence");
  sm::Rollback* rb = evidence.mutable_rollback();
  rb->set_bundle(id);
  rb->set_reason("r");
  rb->mutable_evidence()
      ->GetReflection()
      ->MutableUnknownFields(rb->mutable_evidence())
      ->AddFixed32(55, 7);
  ExpectRefused({"submit", Signed(evidence, "admin", "evidence.req")},
                "unknown field 55 in transition.rollback.evidence");

  // Inside the manifest bytes a Package carries (its digest would differ for the same content).
  Write("m.yaml", ManifestYaml("2.0"));
  auto m = LoadManifest(dir_.Sub("m.yaml"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  m->mutable_rollout()
      ->GetReflection()
      ->MutableUnknownFields(m->mutable_rollout())
      ->AddVarint(42, 1);
  sm::Transition package;
  package.set_request_id("unknown-manifest");
  package.mutable_package()->set_manifest(EncodeManifest(*m));
  ExpectRefused({"submit", Signed(package, "publisher", "package.req")},
                "unknown field 42 in manifest.rollout");

  // Inside one entry of an observation's metrics map: the parser drops it silently, so only the
  // signed bytes show it. observe (18) > metrics (2) > {key 1, value 2 (8 bytes), field 3 = 1}.
  const std::string entry =
      std::string("\x0a\x0a") + "error_rate" + "\x11" + std::string(8, '\0') + "\x18\x01";
  const std::string metrics = "\x12" + std::string(1, static_cast<char>(entry.size())) + entry;
  const std::string observe_extra =
      "\x92\x01" + std::string(1, static_cast<char>(metrics.size())) + metrics;
  sm::Transition observe;
  observe.set_request_id("unknown-in-metrics-entry");
  observe.mutable_observe()->set_bundle(id);
  observe.mutable_observe()->set_samples(10);
  ExpectRefused({"submit", Signed(observe, "observer", "observe.req", observe_extra)},
                "unknown field 3 in transition.observe.metrics");
}

// ---- 8. keys ----

TEST_F(CliInputHoles, APublicKeyFileGivenAsSigningKeyIsNamedAsSuch) {
  std::string id = Package("1.0");
  ExpectRefused({"approve", id, "--key", Key("governance") + ".pub"},
                Key("governance") + ".pub is a public key; signing needs the secret key " +
                    Key("governance"));
}

TEST_F(CliInputHoles, KeyNamesWithDotsAreAllowedAsDocumented) {
  ASSERT_EQ(Dvs({"keygen", "--out", Key("ci.bot")}).code, 0);
  Outcome r = Dvs({"key", "grant", "ci.bot", "--pub", Key("ci.bot") + ".pub", "--role", "observer",
                   "--key", Key("root")});
  EXPECT_EQ(r.code, 0) << r.err;
  Outcome list = Dvs({"key", "list"});
  EXPECT_NE(list.out.find("ci.bot"), std::string::npos) << list.out;
  // A service name takes no dot, and its error never lists '.' as allowed.
  for (const char* name : {"tax calc", "tax.calc"}) {
    SCOPED_TRACE(name);
    Write("n.yaml", std::string("name: ") + name +
                        "\nversion: \"1.0\"\ncode: c\n"
                        "governance: {license: MIT, ethics_review: passed, fedramp: high}\n");
    ExpectRefused({"package", dir_.Sub("n.yaml"), "--key", Key("publisher")},
                  "(allowed: letters, digits, _ -; no '.'");
  }
}

}  // namespace
}  // namespace dvs
