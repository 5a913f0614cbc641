#include "api/cluster/leader_election.h"

namespace dvs::cluster {

LeaderElection::LeaderElection(EtcdClient& client, std::string leader_key, std::string node,
                               int ttl_s, int poll_ms, Logger log)
    : client_(client),
      key_(std::move(leader_key)),
      node_(std::move(node)),
      ttl_s_(ttl_s),
      poll_ms_(poll_ms),
      log_(std::move(log)) {}

LeaderElection::~LeaderElection() { Stop(); }

void LeaderElection::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void LeaderElection::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  int64_t lease;
  {
    std::lock_guard<std::mutex> l(mu_);
    lease = lease_;
    lease_ = 0;
    revision_ = 0;
  }
  if (lease != 0) (void)client_.LeaseRevoke(lease);
}

bool LeaderElection::Leads() const {
  std::lock_guard<std::mutex> l(mu_);
  return revision_ != 0 && Clock::now() < lease_until_;
}

int64_t LeaderElection::FenceRevision() const {
  std::lock_guard<std::mutex> l(mu_);
  return revision_ != 0 && Clock::now() < lease_until_ ? revision_ : 0;
}

std::string LeaderElection::LeaderName() const {
  std::lock_guard<std::mutex> l(mu_);
  return leader_;
}

void LeaderElection::LostTerm(int64_t revision) {
  std::lock_guard<std::mutex> l(mu_);
  if (revision_ == revision && revision_ != 0) {
    revision_ = 0;
    log_("cluster: no longer the leader (etcd refused an append of term " +
         std::to_string(revision) + ")");
  }
}

void LeaderElection::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    l.unlock();
    Step();
    l.lock();
    cv_.wait_for(l, std::chrono::milliseconds(poll_ms_), [&] { return stopping_; });
  }
}

// One round: keep the lease alive (renewed every TTL/3), then, unless leading, campaign.
void LeaderElection::Step() {
  std::unique_lock<std::mutex> l(mu_);
  const Clock::time_point now = Clock::now();
  if (lease_ != 0 && now >= lease_until_) {
    // Expired before it could be renewed (etcd unreachable, or this process was paused).
    if (revision_ != 0) log_("cluster: no longer the leader: the lease expired");
    lease_ = 0;
    revision_ = 0;
  }
  int64_t lease = lease_;
  const bool renew = lease != 0 && now >= next_renewal_;
  l.unlock();

  auto note = [&](const Status& st) {
    std::lock_guard<std::mutex> g(mu_);
    if (st.message() != last_error_) log_("cluster: " + st.message());
    last_error_ = st.message();
  };
  if (lease == 0) {
    int64_t ttl = 0;
    auto id = client_.LeaseGrant(ttl_s_, &ttl);
    if (!id.ok()) return note(id.status());
    std::lock_guard<std::mutex> g(mu_);
    lease_ = lease = *id;
    granted_ttl_s_ = ttl > 0 ? ttl : ttl_s_;
    lease_until_ = now + std::chrono::seconds(granted_ttl_s_);
    next_renewal_ = now + std::chrono::milliseconds(granted_ttl_s_ * 1000 / 3);
  } else if (renew) {
    auto ttl = client_.LeaseKeepAlive(lease);
    if (!ttl.ok()) return note(ttl.status());
    std::lock_guard<std::mutex> g(mu_);
    if (*ttl <= 0) {
      if (revision_ != 0) log_("cluster: no longer the leader: the lease expired in etcd");
      lease_ = 0;
      revision_ = 0;
      return;
    }
    lease_until_ = now + std::chrono::seconds(*ttl);
    next_renewal_ = now + std::chrono::milliseconds(*ttl * 1000 / 3);
  }
  {
    std::lock_guard<std::mutex> g(mu_);
    if (revision_ != 0) return;  // leading: the key lives as long as the lease
  }
  EtcdCompare absent{EtcdCompare::Target::kCreateRevision, key_, 0, ""};
  auto r = client_.Txn({absent}, {EtcdPut{key_, node_, lease}}, key_);
  if (!r.ok()) return note(r.status());
  std::lock_guard<std::mutex> g(mu_);
  last_error_.clear();
  if (r->succeeded) {
    revision_ = r->revision;  // the put's revision is the key's create revision
    leader_ = node_;
    log_("cluster: leading (term " + std::to_string(revision_) + ")");
  } else if (r->read) {
    if (r->read->value != leader_) log_("cluster: following " + r->read->value);
    leader_ = r->read->value;
  }
}

}  // namespace dvs::cluster
