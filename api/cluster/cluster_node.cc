#include <nlohmann/json.hpp>

#include "api/cluster/bootstrap.h"
#include "api/cluster/cluster.h"
#include "api/cluster/cluster_file.h"
#include "api/cluster/compactor.h"
#include "api/cluster/etcd_client.h"
#include "api/cluster/etcd_log.h"
#include "api/cluster/leader_election.h"
#include "api/cluster/node_registry.h"

namespace dvs {

using cluster::CheckLedgerPrefix;
using cluster::Compactor;
using cluster::EtcdClient;
using cluster::EtcdLog;
using cluster::LeaderElection;
using cluster::NodeRegistry;
using cluster::PeerBootstrap;
using cluster::RecordLedgerPrefix;

Status ParseClusterUrl(std::string_view url, ClusterOptions* o) {
  const std::string_view scheme = "etcd://";
  const std::string shown(url);
  if (url.substr(0, scheme.size()) != scheme) {
    return Status::InvalidArgument("--cluster '" + shown +
                                   "' must be etcd://HOST:PORT[,HOST:PORT...]/PREFIX");
  }
  url.remove_prefix(scheme.size());
  const size_t slash = url.find('/');
  if (slash == std::string_view::npos || slash + 1 == url.size()) {
    return Status::InvalidArgument("--cluster '" + shown +
                                   "' needs a /PREFIX after the members (the ledger's keys)");
  }
  std::string prefix(url.substr(slash));
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (prefix == "/") {
    return Status::InvalidArgument("--cluster '" + shown +
                                   "' needs a /PREFIX after the members (the ledger's keys)");
  }
  for (unsigned char c : prefix) {
    if (c <= ' ' || c == 0x7f) {
      return Status::InvalidArgument("--cluster '" + shown + "': prefix '" + prefix +
                                     "' holds whitespace or a control character; mistyped?");
    }
  }
  std::vector<std::string> endpoints;
  std::string_view members = url.substr(0, slash);
  while (!members.empty()) {
    const size_t comma = members.find(',');
    std::string m(members.substr(0, comma));
    members = comma == std::string_view::npos ? std::string_view() : members.substr(comma + 1);
    auto u = HttpUrl::Parse("http://" + m);
    if (!u.ok() || !u->prefix.empty() || u->port.empty() || u->port.size() > 5) {
      return Status::InvalidArgument("--cluster '" + shown + "': member '" + m +
                                     "' is not HOST:PORT");
    }
    endpoints.push_back(m);
  }
  if (endpoints.empty())
    return Status::InvalidArgument("--cluster '" + shown + "' names no etcd member");
  o->endpoints = std::move(endpoints);
  o->prefix = std::move(prefix);
  return Status::OK();
}

struct ClusterNode::Impl {
  ReleaseService& svc;
  ClusterOptions o;
  // Writes, reads (the tailer), the election, the advertisement and the compactor each have a
  // client: none waits behind another.
  EtcdClient writes, reads, campaign, advertise, compact;
  LeaderElection election;
  EtcdLog log;
  NodeRegistry registry;
  PeerBootstrap bootstrap;
  Compactor compactor;

  Impl(ReleaseService& s, ClusterOptions opts)
      : svc(s),
        o(std::move(opts)),
        writes(o.endpoints, o.etcd_timeout_ms),
        reads(o.endpoints, o.etcd_timeout_ms),
        campaign(o.endpoints, o.etcd_timeout_ms),
        advertise(o.endpoints, o.etcd_timeout_ms),
        compact(o.endpoints, o.etcd_timeout_ms),
        election(campaign, o.prefix + "/leader", o.node, o.lease_ttl_s, o.poll_ms, o.log),
        log(
            svc, writes, reads, o.prefix, [this](const auto& e) { return Fence(e); },
            [this](int64_t term) { election.LostTerm(term); }, o.log),
        registry(svc, advertise, o.prefix, o.node, o.lease_ttl_s, o.poll_ms, o.log),
        bootstrap(svc, registry, o.peer_timeout_ms, o.log),
        compactor(svc, compact, log, registry, election, o.log) {}

  // A decision (an entry signed by the fenced key) needs this node's current term.
  Result<int64_t> Fence(const std::vector<std::string>& entries) {
    if (!o.fenced_signer) return int64_t{0};
    bool decision = false;
    for (const std::string& raw : entries) {
      auto e = Entry::Decode(raw);
      if (e.ok() && e->signer == *o.fenced_signer) decision = true;
    }
    if (!decision) return int64_t{0};
    const int64_t term = election.FenceRevision();
    if (term == 0) {
      const std::string leader = election.LeaderName();
      return Status::Refused(
          "cluster: this node (" + o.node + ") does not lead" +
          (leader.empty() || leader == o.node ? std::string() : "; " + leader + " does") +
          ": only the leader appends entries signed by the controller key " +
          o.fenced_signer->Id());
    }
    return term;
  }
};

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(ReleaseService& svc,
                                                        ClusterOptions options) {
  if (options.endpoints.empty()) return Status::InvalidArgument("cluster: no etcd member given");
  if (options.lease_ttl_s < 1)
    return Status::InvalidArgument("cluster: the lease TTL must be >= 1 s");
  if (options.poll_ms < 1) return Status::InvalidArgument("cluster: the poll period must be > 0");
  if (options.compact_every_ms < 0)
    return Status::InvalidArgument("cluster: the compaction period must be >= 0 (0: never)");
  if (!options.log) options.log = [](const std::string&) {};
  std::unique_ptr<ClusterNode> node(new ClusterNode());
  node->impl_ = std::make_unique<Impl>(svc, std::move(options));
  Impl& m = *node->impl_;
  m.log.SetBootstrap(
      [&m](uint64_t floor, const Hash& hash) { return m.bootstrap.FetchTo(floor, hash); });
  DVS_RETURN_IF_ERROR(CheckLedgerPrefix(m.o.ledger_dir, m.o.prefix));
  DVS_RETURN_IF_ERROR(m.registry.CheckName(m.o.url));
  DVS_RETURN_IF_ERROR(m.log.Join());
  DVS_RETURN_IF_ERROR(RecordLedgerPrefix(m.o.ledger_dir, m.o.prefix));
  DVS_RETURN_IF_ERROR(svc.SetLogOfRecord(&m.log));
  m.log.StartTailing(m.o.poll_ms);
  m.election.Start();
  if (m.o.compact_every_ms > 0) m.compactor.Start(m.o.compact_every_ms);
  return node;
}

ClusterNode::~ClusterNode() { Stop(); }

bool ClusterNode::Leads() const { return impl_->election.Leads(); }

std::string ClusterNode::StatusJson() const {
  const Impl& m = *impl_;
  auto head = m.svc.LedgerHead();
  nlohmann::json j = {{"node", m.o.node},
                      {"leader", m.election.LeaderName()},
                      {"leading", m.election.Leads()},
                      {"term", m.election.FenceRevision()},
                      {"entries", head.ok() ? head->size : 0},
                      {"etcd", m.o.endpoints},
                      {"prefix", m.o.prefix}};
  return j.dump() + "\n";
}

void ClusterNode::Advertise(const std::string& url) { impl_->registry.Start(url); }

void ClusterNode::Stop() {
  if (!impl_) return;
  impl_->compactor.Stop();
  impl_->registry.Stop();
  impl_->election.Stop();
  impl_->log.StopTailing();
}

}  // namespace dvs
