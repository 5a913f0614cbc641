#include "api/cluster/node_registry.h"

#include <nlohmann/json.hpp>

#include "ledger/hash.h"

namespace dvs::cluster {

using nlohmann::json;

std::string NodeRecordValue(const std::string& url, uint64_t size, const Hash& hash) {
  return json({{"url", url}, {"size", size}, {"hash", ToHex(hash)}}).dump();
}

NodeRecord ParseNodeRecord(const std::string& name, const std::string& value, std::string* why) {
  NodeRecord r;
  r.name = name;
  auto j = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("url") || !j["url"].is_string() || !j.contains("size") ||
      !j["size"].is_number_unsigned() || !j.contains("hash") || !j["hash"].is_string()) {
    *why = "not {\"url\": TEXT, \"size\": N, \"hash\": HEX}";
    return r;
  }
  auto url = HttpUrl::Parse(j["url"].get<std::string>());
  if (!url.ok()) {
    *why = "url: " + url.status().message();
    return r;
  }
  auto bytes = FromHex(j["hash"].get<std::string>());
  auto hash = bytes ? HashFromBytes(*bytes) : std::nullopt;
  if (!hash) {
    *why = "hash is not a hex SHA-256";
    return r;
  }
  r.url = j["url"].get<std::string>();
  r.size = j["size"].get<uint64_t>();
  r.hash = *hash;
  r.valid = true;
  return r;
}

NodeRegistry::NodeRegistry(ReleaseService& svc, EtcdClient& client, std::string prefix,
                           std::string node, int ttl_s, int poll_ms, Logger log)
    : svc_(svc),
      client_(client),
      prefix_(std::move(prefix)),
      key_(prefix_ + "/nodes/" + node),
      node_(std::move(node)),
      ttl_s_(ttl_s),
      poll_ms_(poll_ms),
      log_(std::move(log)) {}

NodeRegistry::~NodeRegistry() { Stop(); }

Status NodeRegistry::CheckName(const std::string& url) {
  // A node that runs renews its record's lease: it outlives a whole TTL. A killed one's does not.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(ttl_s_ * 1000 + 1000);
  for (;;) {
    DVS_ASSIGN_OR_RETURN(auto kvs, client_.Range(key_, "", 1));
    if (kvs.empty()) return Status::OK();
    std::string why;
    const NodeRecord r = ParseNodeRecord(node_, kvs.front().value, &why);
    if (r.valid && !url.empty() && r.url == url) return Status::OK();  // this node, restarted
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string held = r.valid ? r.url : "a record that does not parse";
      return Status::Refused("cluster: another node runs as " + node_ + " (" + held + "; " + key_ +
                             " outlived a lease TTL of " + std::to_string(ttl_s_) +
                             "s); give this one another --node-name");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms_));
  }
}

void NodeRegistry::Start(const std::string& url) {
  {
    std::lock_guard<std::mutex> l(mu_);
    url_ = url;
  }
  thread_ = std::thread([this] { Loop(); });
}

void NodeRegistry::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  if (lease_ != 0) (void)client_.LeaseRevoke(lease_);  // best effort: it expires anyway
  lease_ = 0;
}

void NodeRegistry::Loop() {
  std::string last_error;
  uint64_t advertised = UINT64_MAX;  // none yet
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    Status st = Step(&advertised);
    if (!st.ok() && st.message() != last_error) log_("advertising " + key_ + ": " + st.message());
    last_error = st.ok() ? "" : st.message();
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(poll_ms_), [&] { return stopping_; });
  }
}

Status NodeRegistry::Step(uint64_t* advertised) {
  const auto now = std::chrono::steady_clock::now();
  // Renewing every third of the TTL leaves two renewals' room before the record expires.
  const auto third = std::chrono::milliseconds(ttl_s_ * 1000 / 3);
  if (lease_ != 0 && now >= renew_at_) {
    DVS_ASSIGN_OR_RETURN(int64_t ttl, client_.LeaseKeepAlive(lease_));
    if (ttl == 0) lease_ = 0;  // expired (etcd lost us for a TTL): the record went with it
    renew_at_ = now + third;
  }
  if (lease_ == 0) {
    DVS_ASSIGN_OR_RETURN(lease_, client_.LeaseGrant(ttl_s_));
    renew_at_ = now + third;
    *advertised = UINT64_MAX;
  }
  DVS_ASSIGN_OR_RETURN(Head head, svc_.LedgerHead());
  if (head.size == *advertised) return Status::OK();
  std::string url;
  {
    std::lock_guard<std::mutex> l(mu_);
    url = url_;
  }
  Status put = client_.Put({key_, NodeRecordValue(url, head.size, head.hash), lease_});
  if (put.IsRefused()) lease_ = 0;  // the lease is gone: grant another at the next step
  DVS_RETURN_IF_ERROR(put);
  *advertised = head.size;
  return Status::OK();
}

Result<std::vector<NodeRecord>> NodeRegistry::Nodes() {
  const std::string dir = prefix_ + "/nodes/";
  DVS_ASSIGN_OR_RETURN(auto kvs, client_.Range(dir, PrefixEnd(dir), 0));
  std::vector<NodeRecord> out;
  for (const EtcdKv& kv : kvs) {
    std::string why;
    out.push_back(ParseNodeRecord(kv.key.substr(dir.size()), kv.value, &why));
  }
  return out;
}

}  // namespace dvs::cluster
