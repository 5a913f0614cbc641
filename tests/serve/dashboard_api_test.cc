// What the dashboard reads and serves: its assets with a strict CSP, ETags and 304s; GET /v1/head
// (the head, the latest checkpoint from the type index, and whether the derived Merkle root
// agrees); GET /v1/proof/inclusion/SEQ (checked with the RFC 6962 algorithm against the root);
// GET /v1/audit?first=N|last=N and time windows; observations' metrics and each bundle's
// thresholds in the JSON. Through HttpApi in-process (the headers) and the real `dvs serve`
// (304 on the wire).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/http/dashboard.h"
#include "api/http/dashboard_assets.h"
#include "api/http/http_api.h"
#include "ledger/merkle.h"
#include "tests/serve/serve_fixture.h"

namespace dvs {
namespace {

class DashboardApi : public test::ServeFixture {
 protected:
  // The seed's first two releases, 9.1 rolled back, and a checkpoint signed by a log key.
  void Story() {
    ASSERT_EQ(Dvs({"keygen", "--out", Key("logger")}).code, 0);
    Grant("logger", "log");
    v87_ = Release("8.7");
    ASSERT_EQ(Observe(v87_, 0.05, 150, 1000).code, 0);
    v91_ = Release("9.1");
    ASSERT_EQ(Observe(v91_, 0.02, 450, 300).code, 0);
    ASSERT_EQ(Tick().code, 0);
    test::Outcome cp = Dvs({"checkpoint", "--key", Key("logger")});
    ASSERT_EQ(cp.code, 0) << cp.err;
  }

  // Handle() on the fixture's ledger, opened in this process.
  ApiResponse Get(const std::string& target, const std::string& if_none_match = "") {
    if (!svc_) svc_ = std::move(ReleaseService::Open(Ledger())).value();
    HttpApi api(*svc_, metrics_, {});
    ApiRequest req;
    req.method = "GET";
    req.target = target;
    req.if_none_match = if_none_match;
    return api.Handle(req);
  }

  static std::string Header(const ApiResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

  std::unique_ptr<ReleaseService> svc_;
  ServerMetrics metrics_;
  std::string v87_, v91_;
};

TEST_F(DashboardApi, ServesEveryAssetWithAStrictPolicyAndRevalidates) {
  size_t count = 0;
  const DashboardAsset* assets = DashboardAssets(&count);
  ASSERT_GE(count, 5u);
  for (size_t i = 0; i < count; ++i) {
    ApiResponse r = Get(assets[i].path);
    EXPECT_EQ(r.status, 200) << assets[i].path;
    EXPECT_EQ(r.content_type, assets[i].content_type);
    EXPECT_EQ(r.body.size(), assets[i].size);
    EXPECT_EQ(Header(r, "Content-Security-Policy"), kDashboardCsp);
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(Header(r, "ETag"), assets[i].etag);
    ApiResponse again = Get(assets[i].path, assets[i].etag);
    EXPECT_EQ(again.status, 304) << assets[i].path;
    EXPECT_TRUE(again.body.empty());
  }
  ApiResponse page = Get("/");
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/dashboard/app.js"), std::string::npos);
  // Nothing from elsewhere: no URL with a scheme or a protocol-relative one in our files.
  for (size_t i = 0; i < count; ++i) {
    if (std::string(assets[i].path) == "/dashboard/uplot.js") continue;  // the library's own text
    std::string body(reinterpret_cast<const char*>(assets[i].data), assets[i].size);
    EXPECT_EQ(body.find("https://"), std::string::npos) << assets[i].path;
    EXPECT_EQ(body.find("src=\"//"), std::string::npos) << assets[i].path;
  }
  EXPECT_EQ(Get("/dashboard/nope.js").status, 404);
  EXPECT_EQ(Get("/v1/nope").status, 404);

  // On the wire: the real server answers 304 to the ETag a browser sends back.
  StartServer();
  HttpReply first = Http("GET", "/");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, page.body);
  auto second = HttpCall(url_, "GET", "/", "", {{"If-None-Match", Header(page, "ETag")}});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->status, 304);
}

TEST_F(DashboardApi, HeadNamesTheLatestCheckpointAndItsVerification) {
  Story();
  ApiResponse r = Get("/v1/head");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  auto head = svc_->LedgerHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(j["entries"], head->size);
  EXPECT_EQ(j["head_hash"], ToHex(head->hash));
  ASSERT_TRUE(j["checkpoint"].is_object()) << r.body;
  EXPECT_EQ(j["checkpoint"]["seq"], head->size - 1);  // the checkpoint was the last entry
  EXPECT_EQ(j["checkpoint"]["signer"], "logger");
  EXPECT_EQ(j["checkpoint"]["verified"], true);
  // Opened after the checkpoint: from the snapshot it signed, none refused.
  EXPECT_EQ(j["state"]["loaded_from"], "snapshot");
  EXPECT_EQ(j["state"]["snapshot_size"], head->size - 1);
  EXPECT_TRUE(j["state"]["snapshots_refused"].empty());
  EXPECT_EQ(Get("/v1/head?x=1").status, 400);
  // A wrong method is named as such (405), as on every other read endpoint.
  HttpApi api(*svc_, metrics_, {});
  for (const char* target : {"/v1/head", "/v1/proof/inclusion/1"}) {
    ApiRequest post;
    post.method = "POST";
    post.target = target;
    ApiResponse r405 = api.Handle(post);
    EXPECT_EQ(r405.status, 405) << target << ": " << r405.body;
    EXPECT_NE(r405.body.find("takes GET, not POST"), std::string::npos) << r405.body;
  }
}

TEST_F(DashboardApi, InclusionProofsVerifyAgainstTheRoot) {
  Story();
  auto head = std::move(ReleaseService::Open(Ledger())).value()->LedgerHead();
  ASSERT_TRUE(head.ok());
  for (uint64_t seq : {uint64_t{0}, head->size / 2, head->size - 1}) {
    ApiResponse r = Get("/v1/proof/inclusion/" + std::to_string(seq));
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["leafIdx"], seq);
    EXPECT_EQ(j["treeSize"], head->size);
    std::vector<std::string> path;
    for (const auto& h : j["proof"]) path.push_back(FromBase64(h.get<std::string>()).value_or(""));
    const std::string leaf = FromBase64(j["leafHash"].get<std::string>()).value_or("");
    const std::string root = FromBase64(j["root"].get<std::string>()).value_or("");
    Status ok = VerifyInclusion(seq, head->size, leaf, path, root);
    EXPECT_TRUE(ok.ok()) << seq << ": " << ok.ToString();
    auto trusted = svc_->TrustedRoot(head->size);
    ASSERT_TRUE(trusted.ok());
    EXPECT_EQ(root, std::string(AsBytes(*trusted)));
  }
  ApiResponse past = Get("/v1/proof/inclusion/" + std::to_string(head->size));
  EXPECT_EQ(past.status, 404);
  EXPECT_NE(past.body.find("beyond the ledger"), std::string::npos) << past.body;
  EXPECT_EQ(Get("/v1/proof/inclusion/x1").status, 400);
}

TEST_F(DashboardApi, AuditFirstLastAndTimeWindowsAnswerFromTheIndex) {
  Story();
  auto all = nlohmann::json::parse(Get("/v1/audit?service=tax_calc").body)["entries"];
  ASSERT_GE(all.size(), 4u);
  auto last3 = nlohmann::json::parse(Get("/v1/audit?service=tax_calc&last=3").body)["entries"];
  ASSERT_EQ(last3.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(last3[i]["seq"], all[all.size() - 3 + i]["seq"]);
  auto everything = nlohmann::json::parse(Get("/v1/audit?last=2").body)["entries"];
  ASSERT_EQ(everything.size(), 2u);
  EXPECT_EQ(everything[1]["type"], "checkpoint");
  auto deploys = nlohmann::json::parse(Get("/v1/audit?type=deploy&last=10").body)["entries"];
  EXPECT_EQ(deploys.size(), 2u);
  auto first2 = nlohmann::json::parse(Get("/v1/audit?service=tax_calc&first=2").body)["entries"];
  ASSERT_EQ(first2.size(), 2u);
  EXPECT_EQ(first2[0]["seq"], all[0]["seq"]);
  EXPECT_EQ(first2[1]["seq"], all[1]["seq"]);
  // A time window over an index: exactly the rows a filter over all of them keeps.
  auto bundle = nlohmann::json::parse(Get("/v1/audit?bundle=" + v91_).body)["entries"];
  const std::string deployed = bundle[2]["time"];  // package, approve, deploy
  auto since =
      nlohmann::json::parse(Get("/v1/audit?bundle=" + v91_ + "&since=" + deployed).body)["entries"];
  nlohmann::json expected = nlohmann::json::array();
  for (const auto& r : bundle)
    if (r["time"].get<std::string>() >= deployed) expected.push_back(r);
  EXPECT_EQ(since, expected);
  auto until =
      nlohmann::json::parse(Get("/v1/audit?bundle=" + v91_ + "&until=" + deployed).body)["entries"];
  for (const auto& r : until) EXPECT_LE(r["time"].get<std::string>(), deployed);
  EXPECT_EQ(since.size() + until.size(),
            bundle.size() + std::count_if(bundle.begin(), bundle.end(), [&](const auto& r) {
              return r["time"].template get<std::string>() == deployed;
            }));
  ApiResponse both = Get("/v1/audit?first=1&last=1");
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.body.find("cannot both"), std::string::npos) << both.body;
  for (const char* bad : {"0", "-1", "x", "10001"}) {
    ApiResponse r = Get(std::string("/v1/audit?last=") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("?last"), std::string::npos) << r.body;
  }
}

TEST_F(DashboardApi, ObservationsCarryTheirMetricsAndStatusItsThresholds) {
  Story();
  auto obs =
      nlohmann::json::parse(Get("/v1/audit?bundle=" + v91_ + "&type=observe").body)["entries"];
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_DOUBLE_EQ(obs[0]["metrics"]["latency_ms"].get<double>(), 450);
  EXPECT_EQ(obs[0]["samples"], 300);
  auto status = nlohmann::json::parse(Get("/v1/status/" + v91_).body);
  EXPECT_EQ(status["promote_when"], nlohmann::json({"error_rate < 0.1", "latency_ms < 200"}));
  EXPECT_EQ(status["rollback_when"], nlohmann::json({"error_rate > 1", "latency_ms > 400"}));
}

}  // namespace
}  // namespace dvs
