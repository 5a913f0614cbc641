#include "api/http/dashboard.h"

#include <string_view>

#include "api/http/dashboard_assets.h"
#include "api/render/json.h"
#include "ledger/hash.h"

namespace dvs {

namespace {

void HashList(Json& j, const std::vector<Hash>& hs) {
  j.BeginArray();
  for (const Hash& h : hs) j.String(ToBase64(AsBytes(h)));
  j.EndArray();
}

}  // namespace

std::optional<ApiResponse> DashboardAnswer(const ApiRequest& req, const std::string& path) {
  size_t count = 0;
  const DashboardAsset* assets = DashboardAssets(&count);
  for (size_t i = 0; i < count; ++i) {
    const DashboardAsset& a = assets[i];
    if (path != a.path) continue;
    ApiResponse res;
    res.content_type = a.content_type;
    res.headers = {{"Content-Security-Policy", kDashboardCsp},
                   {"X-Content-Type-Options", "nosniff"},
                   {"Referrer-Policy", "no-referrer"},
                   {"Cache-Control", "no-cache"},
                   {"ETag", a.etag}};
    if (req.if_none_match == a.etag) {
      res.status = 304;
      return res;
    }
    res.body.assign(reinterpret_cast<const char*>(a.data), a.size);  // HEAD: the server drops it
    return res;
  }
  return std::nullopt;
}

Result<std::string> HeadJson(ReleaseService& svc) {
  DVS_ASSIGN_OR_RETURN(auto state, svc.Current());
  Json j;
  j.BeginObject().Key("entries").Uint(state->size);
  DVS_ASSIGN_OR_RETURN(Head head, svc.LedgerHead());
  j.Key("head_hash").String(head.size ? ToHex(head.hash) : "");
  if (head.size) j.Key("time").String(Rfc3339Time(head.time_ms));
  // The latest Checkpoint entry, from the type index: one record read.
  AuditQuery q;
  q.type = "checkpoint";
  q.last = 1;
  DVS_ASSIGN_OR_RETURN(std::vector<LogRow> rows, svc.Audit(q));
  j.Key("checkpoint");
  if (rows.empty() || !rows.back().transition.has_checkpoint()) {
    j.Null();
  } else {
    const LogRow& r = rows.back();
    const sm::Checkpoint& cp = r.transition.checkpoint();
    j.BeginObject().Key("seq").Uint(r.seq).Key("time").String(Rfc3339Time(r.time_ms));
    j.Key("size").Uint(cp.size()).Key("root").String(ToHex(cp.root()));
    j.Key("signer").String(r.actor).Key("key_id").String(r.actor_key);
    // The proofs the page links to are built from the derived Merkle nodes: say whether they
    // agree with the root re-derived from the entries (or a signed commitment).
    auto trusted = svc.TrustedRoot(cp.size());
    auto derived = svc.DerivedRoot(cp.size());
    const bool agree = trusted.ok() && derived.ok() && *trusted == *derived &&
                       AsBytes(*trusted) == std::string_view(cp.root());
    j.Key("verified").Bool(agree);
    if (!agree) {
      j.Key("problem").String(!trusted.ok()   ? trusted.status().ToString()
                              : !derived.ok() ? derived.status().ToString()
                                              : "the derived Merkle root differs from the "
                                                "checkpoint's");
    }
    j.EndObject();
  }
  const LoadReport& load = svc.load_report();
  j.Key("state").BeginObject();
  j.Key("loaded_from").String(load.snapshot_size ? "snapshot" : "replay");
  j.Key("snapshot_size").Uint(load.snapshot_size).Key("snapshots_refused").BeginArray();
  for (const std::string& why : load.rejected) j.String(why);
  j.EndArray().EndObject();
  j.EndObject();
  return j.str() + "\n";
}

Result<std::string> InclusionProofJson(ReleaseService& svc, uint64_t seq) {
  DVS_ASSIGN_OR_RETURN(Head head, svc.LedgerHead());
  if (seq >= head.size) {
    return Status::NotFound("seq " + std::to_string(seq) + " is beyond the ledger's " +
                            std::to_string(head.size) + " entries");
  }
  DVS_ASSIGN_OR_RETURN(InclusionProofOf p, svc.ProveInclusion(seq, head.size));
  Json j;
  j.BeginObject().Key("leafIdx").Uint(seq).Key("treeSize").Uint(head.size);
  j.Key("root").String(ToBase64(AsBytes(p.root))).Key("leafHash").String(ToBase64(AsBytes(p.leaf)));
  j.Key("proof");
  HashList(j, p.proof);
  j.EndObject();
  return j.str() + "\n";
}

}  // namespace dvs
