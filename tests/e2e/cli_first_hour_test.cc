// What a new user meets in their first hour with the dvs command line: --version, typos answered
// with the closest name, refusals that name the command once, receipts that say what changed,
// and tables that stay tables with long names.
#include <algorithm>
#include <regex>

#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

class FirstHour : public test::LedgerFixture {};

TEST_F(FirstHour, VersionNamesTheVersionCommitAndBuildType) {
  Outcome r = Dvs({"--version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex(R"(dvs \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}|unknown), \w+ build\)\n)")))
      << r.out;
}

TEST_F(FirstHour, AMistypedCommandOrOptionIsNamedWithTheClosestOne) {
  Outcome r = Dvs({"stauts", "tax_calc"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: unknown command 'stauts'; did you mean 'status'?\n");
  r = Dvs({"key", "lst"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: key: unknown command 'lst'; did you mean 'list'?\n");
  r = Dvs({"status", "tax_calc", "--jsn"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: status: unknown option '--jsn'; did you mean '--json'?\n");
  r = Dvs({"--ledgr", "x", "routes"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: unknown option '--ledgr'; did you mean '--ledger'?\n");
  // Nothing close: no guess, but where to look.
  r = Dvs({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: unknown command 'frobnicate' (dvs --help lists them)\n");
  // An abbreviation of exactly one option is that option.
  r = Dvs({"deploy", "x", "--canary", "5"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: deploy: unknown option '--canary'; did you mean '--canary-pct'?\n");
}

TEST_F(FirstHour, AValueOutOfRangeOrAnExtraArgumentIsNamedInOurWordsOnOneLine) {
  Outcome r = Dvs({"observe", "x", "--metric", "e=1", "--samples", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("dvs: observe: --samples: 0 is outside 1..", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("; dvs observe --help shows the options\n"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = Dvs({"routes", "extra"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("dvs: routes: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("extra"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(FirstHour, AMissingArgumentIsNamedWithWhereToFindAnExample) {
  Outcome r = Dvs({"status"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "dvs: status: TARGET is missing (bundle id or service name); dvs status --help shows "
            "an example\n");
  r = Dvs({"state"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("dvs: state: --at is missing (a seq (a plain number", 0), 0u) << r.err;
  r = Dvs({"key"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: key: a command is needed: grant, revoke, list\n");
  r = Dvs({});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs: a command is needed (dvs --help lists them)\n");
}

TEST_F(FirstHour, DvsVerifySpeaksAsDvsDoes) {
  auto verify = [&](const std::vector<std::string>& args, const std::string& tag) {
    return test::WaitDvs(test::StartProgram(DVS_VERIFY_BINARY, args, "", dir_.path(), tag),
                         dir_.path(), tag);
  };
  Outcome r = verify({Ledger(), "--root-pubb", Key("root") + ".pub"}, "typo");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs-verify: unknown option '--root-pubb'; did you mean '--root-pub'?\n");
  r = verify({Ledger(), "--frobnicate"}, "far");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "dvs-verify: unknown option '--frobnicate' (dvs-verify --help lists them)\n");
  r = verify({}, "missing");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "dvs-verify: LEDGER is missing (ledger directory (opened read-only)); dvs-verify "
            "--help shows an example\n");
  r = verify({"--version"}, "version");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("dvs-verify ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" (commit "), std::string::npos) << r.out;
}

TEST_F(FirstHour, ARefusalNamesTheCommandOnce) {
  Outcome r = Dvs({"approve", "tax_calc_9.9_000000", "--key", Key("governance")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "dvs: approve: no bundle 'tax_calc_9.9_000000'\n");
}

TEST_F(FirstHour, ConfigIsForServeAndRefusedElsewhereNotIgnored) {
  Write("cfg.yaml", "listen: 127.0.0.1:0\n");
  Outcome r = Dvs({"--config", dir_.Sub("cfg.yaml"), "routes"});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.err.find("--config is read by dvs serve only"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "routes must not have run";
}

TEST_F(FirstHour, ReceiptsSayWhatTheWriteDid) {
  std::string v1 = Package("1.0");
  Outcome r = Dvs({"approve", v1, "--key", Key("governance")});
  EXPECT_TRUE(std::regex_match(
      r.out, std::regex("approve " + v1 + R"(: committed at seq \d+; approved\n)")))
      << r.out;
  r = Dvs({"deploy", v1, "--key", Key("admin")});
  EXPECT_NE(r.out.find("; stable at 100 % (was 0 %)\n"), std::string::npos) << r.out;

  std::string v2 = Package("2.0");
  ASSERT_EQ(Dvs({"approve", v2, "--key", Key("governance")}).code, 0);
  r = Dvs({"deploy", v2, "--key", Key("admin")});
  EXPECT_NE(r.out.find("; canary at 5 % (was 0 %)\n"), std::string::npos) << r.out;
  r = Dvs({"promote", v2, "--key", Key("admin")});
  EXPECT_NE(r.out.find("; canary at 25 % (was 5 %)\n"), std::string::npos) << r.out;
  r = Dvs({"rollback", v2, "--reason", "bad", "--key", Key("admin")});
  EXPECT_NE(r.out.find("; rolled_back at 0 % (was 25 %)\n"), std::string::npos) << r.out;

  // --json keeps every field it had and adds the effect.
  std::string v3 = Package("3.0");
  r = Dvs({"approve", v3, "--key", Key("governance"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = test::ParseJson(r.out);
  for (const char* k : {"seq", "time", "kind", "bundle", "request_id", "hash", "state",
                        "weight_before", "weight_after"})
    EXPECT_TRUE(j.fields().contains(k)) << k << " in " << r.out;
  EXPECT_EQ(j.fields().at("state").string_value(), "approved");

  // A key's grant and revocation name the key.
  ASSERT_EQ(Dvs({"keygen", "--out", Key("carol")}).code, 0);
  r = Dvs({"key", "grant", "carol", "--pub", Key("carol") + ".pub", "--role", "observer", "--key",
           Key("root")});
  EXPECT_TRUE(std::regex_match(r.out, std::regex(R"(grant_key carol: committed at seq \d+\n)")))
      << r.out;
  r = Dvs({"key", "revoke", "carol", "--reason", "left", "--key", Key("root"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::ParseJson(r.out).fields().at("key").string_value(), "carol") << r.out;
}

TEST_F(FirstHour, StatusDoesNotSayTheStateTwice) {
  std::string v1 = Release("1.0");
  std::string v2 = Release("2.0");
  Outcome r = Dvs({"status", v2});
  EXPECT_NE(r.out.find("state     canary, weight 5 %\n"), std::string::npos) << r.out;
  ASSERT_EQ(Dvs({"promote", v2, "--full", "--key", Key("admin")}).code, 0);
  r = Dvs({"status", v1});
  EXPECT_NE(r.out.find("state     superseded (warm), weight 0 %\n"), std::string::npos) << r.out;
}

// Where `column` starts on `line`, which must hold it.
size_t Column(const std::string& line, const std::string& text) { return line.find(text); }

TEST_F(FirstHour, TablesHaveHeadersAndColumnsAsWideAsTheirData) {
  const std::string service = "a_service_with_a_name_longer_than_any_column_was";
  Write("long.yaml", "name: " + service +
                         "\nversion: \"1.0\"\ncode: c\n"
                         "governance: {license: MIT, ethics_review: passed, fedramp: high}\n");
  Outcome p = Dvs({"package", dir_.Sub("long.yaml"), "--key", Key("publisher")});
  ASSERT_EQ(p.code, 0) << p.err;
  const std::string id = p.out.substr(0, p.out.find('\n'));
  ASSERT_EQ(Dvs({"approve", id, "--key", Key("governance")}).code, 0);
  ASSERT_EQ(Dvs({"deploy", id, "--key", Key("admin")}).code, 0);
  Release("1.0");  // tax_calc, a short name in the same table

  Outcome routes = Dvs({"routes"});
  std::istringstream lines(routes.out);
  std::string header, row1, row2;
  std::getline(lines, header);
  std::getline(lines, row1);
  std::getline(lines, row2);
  EXPECT_EQ(header.rfind("SERVICE", 0), 0u) << routes.out;
  // Every column starts where its header does, on every row.
  EXPECT_EQ(Column(row1, id), Column(header, "BUNDLE")) << routes.out;
  EXPECT_EQ(Column(row2, "tax_calc_1.0_"), Column(header, "BUNDLE")) << routes.out;
  EXPECT_EQ(Column(row1, "stable"), Column(header, "ROLE")) << routes.out;
  EXPECT_EQ(Column(row2, "stable"), Column(header, "ROLE")) << routes.out;

  for (auto args : {std::vector<std::string>{"history", "tax_calc"}, {"log"}, {"audit"}}) {
    Outcome r = Dvs(args);
    EXPECT_EQ(r.out.rfind("SEQ  TIME", 0), 0u) << args[0] << ":\n" << r.out;
  }
}

}  // namespace
}  // namespace dvs

namespace dvs {
namespace {

TEST_F(FirstHour, EveryCommandThatPrintsDataTakesJson) {
  Write("tax_calc.tar", "the build");
  Write("m.yaml", ManifestYaml("1.0", "artifacts: [tax_calc.tar]\n"));
  Outcome p = Dvs({"package", dir_.Sub("m.yaml"), "--key", Key("publisher")});
  ASSERT_EQ(p.code, 0) << p.err;
  const std::string id = p.out.substr(0, p.out.find('\n'));
  ASSERT_EQ(Dvs({"approve", id, "--key", Key("governance")}).code, 0);

  Outcome r = Dvs({"verify-artifact", id, dir_.Sub("tax_calc.tar"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = test::ParseJson(r.out);
  EXPECT_EQ(j.fields().at("state").string_value(), "approved");
  EXPECT_TRUE(j.fields().at("matches").bool_value());
  EXPECT_EQ(j.fields().at("bundle").string_value(), id);
  EXPECT_EQ(j.fields().at("artifact").string_value(), "tax_calc.tar");

  r = Dvs({"events", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::ParseJson(r.out.substr(0, r.out.find('\n'))).fields().at("seq").number_value(),
            0);
  r = Dvs({"proof", "inclusion", "1", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(test::ParseJson(r.out).fields().contains("leafIdx")) << r.out;
  r = Dvs({"proof", "consistency", "1", "2", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(test::ParseJson(r.out).fields().contains("root2")) << r.out;
}

// The commands that write something other than an entry print what they did as JSON too.
TEST_F(FirstHour, CommandsThatMakeThingsSayWhatTheyMadeInJson) {
  Outcome r = Dvs({"keygen", "--out", Key("log"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = test::ParseJson(r.out);
  EXPECT_EQ(j.fields().at("public_key").string_value(), Key("log") + ".pub");
  EXPECT_EQ(j.fields().at("key_id").string_value().size(), 16u) << r.out;
  EXPECT_FALSE(j.fields().at("encrypted").bool_value());
  Grant("log", "log");

  r = Dvs({"--ledger", dir_.Sub("second"), "init", "--root-key", Key("root"), "--name", "two",
           "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = test::ParseJson(r.out);
  EXPECT_EQ(j.fields().at("ledger").string_value(), "two");
  EXPECT_EQ(j.fields().at("path").string_value(), dir_.Sub("second"));

  Write("m.yaml", ManifestYaml("1.0"));
  r = Dvs({"package", dir_.Sub("m.yaml"), "--key", Key("publisher"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = test::ParseJson(r.out);
  const std::string bundle = j.fields().at("bundle").string_value();
  EXPECT_EQ(bundle.rfind("tax_calc_1.0_", 0), 0u) << r.out;
  // A receipt like every write's: its seq can feed --min-seq and `dvs proof`.
  EXPECT_EQ(j.fields().at("kind").string_value(), "package") << r.out;
  const double seq = j.fields().at("seq").number_value();
  EXPECT_GT(seq, 0) << r.out;
  EXPECT_EQ(j.fields().count("appended"), 0u) << r.out;
  // Packaged again with the same content: the entry that holds it, nothing appended.
  r = Dvs({"package", dir_.Sub("m.yaml"), "--key", Key("publisher"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = test::ParseJson(r.out);
  EXPECT_EQ(j.fields().at("bundle").string_value(), bundle);
  EXPECT_EQ(j.fields().at("seq").number_value(), seq) << r.out;
  EXPECT_FALSE(j.fields().at("appended").bool_value()) << r.out;

  r = Dvs({"checkpoint", "--key", Key("log"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = test::ParseJson(r.out);
  EXPECT_EQ(j.fields().at("origin").string_value(), "test");
  EXPECT_GT(j.fields().at("size").number_value(), 0);
  EXPECT_EQ(j.fields().at("note").string_value().rfind("test\n", 0), 0u);
  r = Dvs({"checkpoint", "--key", Key("log"), "--out", dir_.Sub("cp"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(test::ParseJson(r.out).fields().at("out").string_value(), dir_.Sub("cp"));

  r = Dvs({"reindex", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(test::ParseJson(r.out).fields().at("entries").number_value(), 0) << r.out;
}

}  // namespace
}  // namespace dvs
