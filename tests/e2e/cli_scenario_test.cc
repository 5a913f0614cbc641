// The seed's whole scenario through the real dvs binary.
#include "tests/e2e/dvs_runner.h"

namespace dvs {
namespace {

using test::Outcome;

class CliScenario : public test::LedgerFixture {};

std::string Str(const google::protobuf::Struct& s, const char* k) {
  return s.fields().at(k).string_value();
}
double Number(const google::protobuf::Struct& s, const char* k) {
  return s.fields().at(k).number_value();
}

TEST_F(CliScenario, CanaryRampsByItselfThenARegressionRollsBackWithoutAnEngineer) {
  std::string v87 = Release("8.7");
  ASSERT_EQ(Observe(v87, 0.05, 150, 1000).code, 0);
  EXPECT_EQ(Str(StatusJson(v87), "state"), "stable");

  std::string v90 = Release("9.0");
  auto st = StatusJson(v90);
  EXPECT_EQ(Str(st, "state"), "canary");
  EXPECT_EQ(Number(st, "weight"), 5);
  EXPECT_EQ(Str(st, "service"), "tax_calc");
  EXPECT_EQ(Str(st, "version"), "9.0");

  std::vector<double> weights;
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Observe(v90, 0.03, 110).code, 0);
    Outcome t = Tick();
    ASSERT_EQ(t.code, 0) << t.err;
    weights.push_back(Number(StatusJson(v90), "weight"));
  }
  EXPECT_EQ(weights, (std::vector<double>{25, 45, 65, 85, 100, 100}));
  EXPECT_EQ(Str(StatusJson(v90), "state"), "stable");
  EXPECT_EQ(Str(StatusJson(v87), "state"), "superseded");

  std::string v91 = Release("9.1");
  ASSERT_EQ(Observe(v91, 0.02, 450, 300).code, 0);
  Outcome t = Tick();
  ASSERT_EQ(t.code, 0);
  EXPECT_NE(t.out.find("rollback"), std::string::npos) << t.out;
  EXPECT_EQ(Str(StatusJson(v91), "state"), "rolled_back");

  Outcome routes = Dvs({"routes", "--json"});
  ASSERT_EQ(routes.code, 0);
  auto r = test::ParseJson(routes.out);
  const auto& list = r.fields().at("services").struct_value().fields().at("tax_calc").list_value();
  ASSERT_EQ(list.values_size(), 2);  // 9.0 stable at 100 %, 8.7 kept warm
  EXPECT_EQ(Str(list.values(0).struct_value(), "bundle"), v90);
  EXPECT_EQ(Number(list.values(0).struct_value(), "weight"), 100);
  EXPECT_EQ(Str(list.values(0).struct_value(), "role"), "stable");
  EXPECT_EQ(Str(list.values(1).struct_value(), "role"), "warm");

  Outcome audit = Dvs({"audit", "--service", "tax_calc", "--type", "rollback", "--json"});
  ASSERT_EQ(audit.code, 0);
  auto a = test::ParseJson(audit.out);
  const auto& rows = a.fields().at("entries").list_value();
  ASSERT_EQ(rows.values_size(), 1);
  const auto& row = rows.values(0).struct_value();
  EXPECT_EQ(Str(row, "actor"), "controller");
  EXPECT_TRUE(row.fields().at("automatic").bool_value());
  const auto& evidence = row.fields().at("evidence").list_value();
  ASSERT_EQ(evidence.values_size(), 1);
  EXPECT_EQ(evidence.values(0)
                .struct_value()
                .fields()
                .at("metrics")
                .struct_value()
                .fields()
                .at("latency_ms")
                .number_value(),
            450);

  // Later, rolling back the promoted 9.0 by hand returns traffic to 8.7.
  Outcome rb = Dvs({"rollback", v90, "--reason", "overcharges reported", "--key", Key("admin")});
  ASSERT_EQ(rb.code, 0) << rb.err;
  EXPECT_EQ(Str(StatusJson("tax_calc"), "bundle"), v87);
  EXPECT_EQ(Number(StatusJson(v87), "weight"), 100);
}

TEST_F(CliScenario,
       PackagingTheSameVersionAgainWithIdenticalContentPrintsTheSameIdAndAppendsNothing) {
  std::string id = Package("1.0");
  std::string before = Fingerprint();
  EXPECT_EQ(Package("1.0"), id);
  EXPECT_EQ(Fingerprint(), before);
}

TEST_F(CliScenario, ArtifactsAreHashedIntoTheManifestAndCheckedLater) {
  Write("model.onnx", "weights v1");
  Write("m.yaml", ManifestYaml("2.0", "artifacts: [model.onnx]\n"));
  Outcome p = Dvs({"package", dir_.Sub("m.yaml"), "--key", Key("publisher")});
  ASSERT_EQ(p.code, 0) << p.err;
  std::string id = p.out.substr(0, p.out.find('\n'));
  // Not approved yet: the file matches, but governance signed nothing, and exit 0 would say it did.
  Outcome unapproved = Dvs({"verify-artifact", id, dir_.Sub("model.onnx")});
  EXPECT_EQ(unapproved.code, 1);
  EXPECT_EQ(unapproved.err, "dvs: verify-artifact: " + dir_.Sub("model.onnx") +
                                " matches artifact model.onnx of " + id +
                                ", but governance has not approved " + id + " (it is packaged)\n");
  ASSERT_EQ(Dvs({"approve", id, "--key", Key("governance")}).code, 0);
  Outcome ok = Dvs({"verify-artifact", id, dir_.Sub("model.onnx")});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("matches artifact model.onnx"), std::string::npos);
  EXPECT_NE(ok.out.find("approved by governance at seq"), std::string::npos) << ok.out;
  Write("model.onnx", "weights v1, tampered");
  Outcome bad = Dvs({"verify-artifact", id, dir_.Sub("model.onnx")});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("is not one of the 1 artifacts governance signed"), std::string::npos)
      << bad.err;
  // Rejected after approval: governance withdrew its signature.
  Write("model.onnx", "weights v1");
  ASSERT_EQ(
      Dvs({"reject", id, "--reason", "license audit failed", "--key", Key("governance")}).code, 0);
  Outcome rejected = Dvs({"verify-artifact", id, dir_.Sub("model.onnx")});
  EXPECT_EQ(rejected.code, 1);
  EXPECT_NE(rejected.err.find("governance has not approved " + id + " (it is rejected)"),
            std::string::npos)
      << rejected.err;
}

TEST_F(CliScenario, ReadCommandsPrintTablesAndJson) {
  std::string id = Release("1.0");
  for (auto args : std::vector<std::vector<std::string>>{{"routes"},
                                                         {"status", "tax_calc"},
                                                         {"status", id},
                                                         {"history", "tax_calc"},
                                                         {"log"},
                                                         {"key", "list"},
                                                         {"audit", "--csv"}}) {
    Outcome r = Dvs(args);
    EXPECT_EQ(r.code, 0) << args[0] << ": " << r.err;
    EXPECT_NE(r.out.find(args[0] == "key" ? "governance" : "tax_calc"), std::string::npos)
        << args[0] << ": " << r.out;
    args.push_back("--json");
    if (args[0] == "audit") continue;
    Outcome j = Dvs(args);
    EXPECT_EQ(j.code, 0);
    test::ParseJson(j.out);
  }
}

}  // namespace
}  // namespace dvs
