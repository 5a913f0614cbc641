// Golden files of what people read: the human tables at two terminal widths, and `--help` of
// every command. A change to any of them shows up as a diff in tests/e2e/golden/ for review.
// To accept the new output:
//   DVS_UPDATE_GOLDEN=1 build/tests/e2e_test --gtest_filter='Golden*'
// Times and key ids differ on every run and are replaced by fixed text of the same width, so
// that columns stay where they were.
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;
namespace fs = std::filesystem;

bool Updating() {
  const char* v = std::getenv("DVS_UPDATE_GOLDEN");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

std::string Normalized(std::string text) {
  text = std::regex_replace(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"),
                            "2026-01-01T00:00:00.000Z");
  return std::regex_replace(text, std::regex(R"(\b[0-9a-f]{16}\b)"), "0123456789abcdef");
}

// Compares `actual` with the golden file `name` (or writes it when updating).
void ExpectGolden(const std::string& name, const std::string& actual) {
  const fs::path path = fs::path(DVS_GOLDEN_DIR) / name;
  if (Updating()) {
    fs::create_directories(path.parent_path());
    test::Write(path.string(), actual);
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing: run with DVS_UPDATE_GOLDEN=1 to create it";
  EXPECT_EQ(actual, test::Slurp(path.string()))
      << "output differs from " << path << " (DVS_UPDATE_GOLDEN=1 accepts it)";
}

// The subcommand names listed under "Subcommands:" in a CLI11 help text.
std::vector<std::string> Subcommands(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help);
  std::string line;
  bool listing = false;
  while (std::getline(in, line)) {
    if (line == "Subcommands:") {
      listing = true;
      continue;
    }
    if (!listing) continue;
    std::smatch m;
    if (!std::regex_match(line, m, std::regex(R"(  ([a-z][a-z-]*)(\s.*)?)"))) break;
    out.push_back(m[1]);
  }
  return out;
}

class Golden : public test::LedgerFixture {
 protected:
  // `args` with the terminal `columns` wide.
  Outcome At(size_t columns, const std::vector<std::string>& args) {
    setenv("COLUMNS", std::to_string(columns).c_str(), 1);
    Outcome r = Dvs(args);
    unsetenv("COLUMNS");
    EXPECT_EQ(r.code, 0) << r.err;
    return r;
  }
};

TEST_F(Golden, TheHumanTablesAtTwoTerminalWidths) {
  // The seed's story, and a service whose name is longer than any column used to be.
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  std::string v90 = Release("9.0");
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
    ASSERT_EQ(Tick().code, 0);
  }
  ASSERT_EQ(Dvs({"promote", v90, "--full", "--key", Key("admin")}).code, 0);
  std::string v91 = Release("9.1");
  ASSERT_EQ(Observe(v91, 0.02, 450, 300).code, 0);
  ASSERT_EQ(Tick().code, 0);
  Write("long.yaml",
        "name: payments_reconciliation_nightly_batch\nversion: \"2024.11.0-rc.1\"\ncode: c\n"
        "governance: {license: MIT, ethics_review: passed, fedramp: high}\n");
  Outcome p = Dvs({"package", dir_.Sub("long.yaml"), "--key", Key("publisher")});
  ASSERT_EQ(p.code, 0) << p.err;
  const std::string long_id = p.out.substr(0, p.out.find('\n'));
  ASSERT_EQ(Dvs({"approve", long_id, "--key", Key("governance")}).code, 0);
  ASSERT_EQ(Dvs({"deploy", long_id, "--key", Key("admin")}).code, 0);

  const std::vector<std::pair<std::string, std::vector<std::string>>> tables = {
      {"status", {"status", "tax_calc"}},   {"routes", {"routes"}},
      {"history", {"history", "tax_calc"}}, {"audit", {"audit", "--type", "rollback"}},
      {"log", {"log", "--from", "7"}},      {"keys", {"key", "list"}},
      {"state", {"state", "--at", "20"}},
  };
  for (size_t columns : {80, 160}) {
    for (const auto& [name, args] : tables) {
      SCOPED_TRACE(name + " at " + std::to_string(columns));
      ExpectGolden("tables/" + name + "." + std::to_string(columns) + ".txt",
                   Normalized(At(columns, args).out));
    }
  }
}

TEST_F(Golden, TheHelpOfEveryCommand) {
  // Every command reachable from `dvs --help`, and the commands under each of them.
  std::vector<std::vector<std::string>> todo = {{}}, seen;
  while (!todo.empty()) {
    std::vector<std::string> path = todo.back();
    todo.pop_back();
    std::vector<std::string> args = path;
    args.push_back("--help");
    Outcome r = Dvs(args);
    std::string name = "dvs";
    for (const std::string& word : path) name += "-" + word;
    EXPECT_EQ(r.code, 0) << name << ": " << r.err;
    ExpectGolden("help/" + name + ".txt", r.out);
    seen.push_back(path);
    // A command that does something (no commands under it) shows how, as the README promises.
    if (!path.empty() && Subcommands(r.out).empty()) {
      EXPECT_NE(r.out.find("Example"), std::string::npos) << name << " --help has no example";
    }
    for (const std::string& sub : Subcommands(r.out)) {
      std::vector<std::string> next = path;
      next.push_back(sub);
      todo.push_back(next);
    }
  }
  EXPECT_GE(seen.size(), 30u) << "the help lists fewer commands than dvs has";
}

}  // namespace
}  // namespace dvs
