#include "api/cluster/etcd_client.h"

#include <nlohmann/json.hpp>

#include "ledger/hash.h"

namespace dvs::cluster {

using nlohmann::json;

namespace {

std::string B64(const std::string& s) { return ToBase64(s); }

Result<std::string> Unb64(const json& j, const char* field) {
  if (!j.contains(field)) return std::string();
  if (!j[field].is_string())
    return Status::Corruption(std::string("etcd: ") + field + " is not text");
  auto v = FromBase64(j[field].get<std::string>());
  if (!v) return Status::Corruption(std::string("etcd: ") + field + " is not base64");
  return *v;
}

// The gateway writes 64-bit integers as strings and leaves out zeros.
int64_t Int(const json& j, const char* field) {
  if (!j.contains(field)) return 0;
  if (j[field].is_string()) {
    try {
      return std::stoll(j[field].get<std::string>());
    } catch (...) {
      return 0;
    }
  }
  return j[field].is_number_integer() ? j[field].get<int64_t>() : 0;
}

Result<EtcdKv> KvOf(const json& j) {
  EtcdKv kv;
  DVS_ASSIGN_OR_RETURN(kv.key, Unb64(j, "key"));
  DVS_ASSIGN_OR_RETURN(kv.value, Unb64(j, "value"));
  kv.create_revision = Int(j, "create_revision");
  kv.mod_revision = Int(j, "mod_revision");
  kv.lease = Int(j, "lease");
  return kv;
}

}  // namespace

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(end.back() + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, int timeout_ms)
    : endpoints_(std::move(endpoints)), timeout_ms_(timeout_ms) {
  connections_.resize(endpoints_.size());
}

EtcdClient::~EtcdClient() = default;

Result<std::string> EtcdClient::Post(const std::string& path, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string tried;
  for (size_t n = 0; n < endpoints_.size(); ++n) {
    const size_t i = (current_ + n) % endpoints_.size();
    if (!connections_[i]) {
      auto url = HttpUrl::Parse("http://" + endpoints_[i]);
      if (!url.ok()) return url.status();
      connections_[i] = std::make_unique<HttpConnection>(*url, timeout_ms_);
    }
    auto reply = connections_[i]->Call("POST", path, body, {{"Content-Type", "application/json"}});
    if (!reply.ok()) {
      connections_[i].reset();  // a timed-out connection may still deliver the old answer
      tried += (tried.empty() ? "" : "; ") + reply.status().message();
      continue;
    }
    if (reply->status == 200) {
      current_ = i;
      return std::move(reply->body);
    }
    // etcd's own error: {"error": "...", "code": N} (gRPC codes).
    auto doc = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
    std::string what = reply->body;
    int code = 0;
    if (doc.is_object() && doc.contains("error") && doc["error"].is_string()) {
      what = doc["error"].get<std::string>();
      code = static_cast<int>(Int(doc, "code"));
    }
    // Unavailable (14), deadline exceeded (4), aborted (10): this member cannot commit now (no
    // leader, no quorum, stopping); another one may.
    if (code == 14 || code == 4 || code == 10 || (reply->status >= 500 && code == 0)) {
      tried += (tried.empty() ? "" : "; ") + endpoints_[i] + ": " + what;
      continue;
    }
    return Status::Refused("etcd at " + endpoints_[i] + " refused " + path + ": " + what);
  }
  return Status::Unavailable("no quorum, or no etcd member reachable (" + tried + ")");
}

Result<std::vector<EtcdKv>> EtcdClient::Range(const std::string& key, const std::string& range_end,
                                              int64_t limit, bool descending) {
  json req = {{"key", B64(key)}};
  if (!range_end.empty()) req["range_end"] = B64(range_end);
  if (limit > 0) req["limit"] = std::to_string(limit);
  if (descending) {
    req["sort_order"] = "DESCEND";
    req["sort_target"] = "KEY";
  }
  DVS_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/range", req.dump()));
  auto doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) return Status::Corruption("etcd: range answer is not JSON");
  std::vector<EtcdKv> out;
  if (doc.contains("kvs") && doc["kvs"].is_array()) {
    for (const json& kv : doc["kvs"]) {
      DVS_ASSIGN_OR_RETURN(EtcdKv v, KvOf(kv));
      out.push_back(std::move(v));
    }
  }
  return out;
}

Result<EtcdTxnResult> EtcdClient::Txn(const std::vector<EtcdCompare>& compares,
                                      const std::vector<EtcdPut>& puts,
                                      const std::string& read_on_failure,
                                      const std::vector<EtcdDelete>& deletes) {
  json cmp = json::array();
  for (const EtcdCompare& c : compares) {
    if (c.target == EtcdCompare::Target::kCreateRevision) {
      cmp.push_back({{"target", "CREATE"},
                     {"result", "EQUAL"},
                     {"key", B64(c.key)},
                     {"create_revision", std::to_string(c.create_revision)}});
    } else {
      cmp.push_back(
          {{"target", "VALUE"}, {"result", "EQUAL"}, {"key", B64(c.key)}, {"value", B64(c.value)}});
    }
  }
  json success = json::array();
  for (const EtcdPut& p : puts) {
    json put = {{"key", B64(p.key)}, {"value", B64(p.value)}};
    if (p.lease != 0) put["lease"] = std::to_string(p.lease);
    success.push_back({{"request_put", put}});
  }
  for (const EtcdDelete& d : deletes) {
    json del = {{"key", B64(d.key)}};
    if (!d.range_end.empty()) del["range_end"] = B64(d.range_end);
    success.push_back({{"request_delete_range", del}});
  }
  json failure = json::array();
  if (!read_on_failure.empty())
    failure.push_back({{"request_range", {{"key", B64(read_on_failure)}}}});
  json req = {{"compare", cmp}, {"success", success}, {"failure", failure}};
  DVS_ASSIGN_OR_RETURN(std::string body, Post("/v3/kv/txn", req.dump()));
  auto doc = json::parse(body, nullptr, false);
  if (!doc.is_object()) return Status::Corruption("etcd: txn answer is not JSON");
  EtcdTxnResult r;
  r.succeeded =
      doc.contains("succeeded") && doc["succeeded"].is_boolean() && doc["succeeded"].get<bool>();
  if (doc.contains("header")) r.revision = Int(doc["header"], "revision");
  if (!r.succeeded && doc.contains("responses") && doc["responses"].is_array()) {
    for (const json& resp : doc["responses"]) {
      if (!resp.contains("response_range")) continue;
      const json& rr = resp["response_range"];
      if (rr.contains("kvs") && rr["kvs"].is_array() && !rr["kvs"].empty()) {
        DVS_ASSIGN_OR_RETURN(EtcdKv kv, KvOf(rr["kvs"][0]));
        r.read = std::move(kv);
      }
    }
  }
  return r;
}

Status EtcdClient::Put(const EtcdPut& p) {
  json req = {{"key", B64(p.key)}, {"value", B64(p.value)}};
  if (p.lease != 0) req["lease"] = std::to_string(p.lease);
  return Post("/v3/kv/put", req.dump()).status();
}

Status EtcdClient::Compact(int64_t revision) {
  json req = {{"revision", std::to_string(revision)}};
  auto r = Post("/v3/kv/compaction", req.dump());
  if (!r.ok() && r.status().message().find("already been compacted") != std::string::npos)
    return Status::OK();
  return r.status();
}

Result<int64_t> EtcdClient::LeaseGrant(int64_t ttl_s, int64_t* granted_ttl_s) {
  json req = {{"TTL", std::to_string(ttl_s)}};
  DVS_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/grant", req.dump()));
  auto doc = json::parse(body, nullptr, false);
  if (!doc.is_object() || Int(doc, "ID") == 0)
    return Status::Corruption("etcd: lease grant answer has no ID: " + body);
  if (granted_ttl_s != nullptr) *granted_ttl_s = Int(doc, "TTL");
  return Int(doc, "ID");
}

Result<int64_t> EtcdClient::LeaseKeepAlive(int64_t id) {
  json req = {{"ID", std::to_string(id)}};
  DVS_ASSIGN_OR_RETURN(std::string body, Post("/v3/lease/keepalive", req.dump()));
  // A stream of answers, one here: {"result": {"ID": ..., "TTL": ...}}; no TTL once expired.
  auto doc = json::parse(body.substr(0, body.find('\n')), nullptr, false);
  if (!doc.is_object() || !doc.contains("result"))
    return Status::Corruption("etcd: keepalive answer has no result: " + body);
  return Int(doc["result"], "TTL");
}

Status EtcdClient::LeaseRevoke(int64_t id) {
  json req = {{"ID", std::to_string(id)}};
  return Post("/v3/lease/revoke", req.dump()).status();
}

}  // namespace dvs::cluster
