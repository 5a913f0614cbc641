// ReleaseService's reads for people: status, routes, log, history.
#include "api/service/audit_index.h"
#include "api/service/release_service.h"
#include "api/service/rows.h"
#include "ledger/lmdb_util.h"
#include "statemachine/analysis.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"

namespace dvs {

namespace {

BundleStatus StatusFrom(const State& s, const Bundle& b, int64_t now_ms) {
  BundleStatus st;
  st.bundle = b.id;
  st.service = b.service;
  st.version = b.version;
  st.version_tag = b.version_tag;
  st.state = BundleStateName(b.state);
  st.weight = s.WeightOf(b);
  st.role = "";
  for (const Route& r : s.Routes(b.service, now_ms)) {
    if (r.bundle == b.id) st.role = RouteRoleName(r.role);
  }
  st.digest_hex = ToHex(b.digest);
  st.approved_by = b.approved_by;
  st.approved_seq = b.approved_seq;
  st.packaged_by = b.packaged_by;
  st.packaged_seq = b.packaged_seq;
  st.reason = b.reason;
  st.step_pct = b.manifest.rollout().step_pct();
  const auto& rollout = b.manifest.rollout();
  st.promote_when.assign(rollout.promote_when().begin(), rollout.promote_when().end());
  st.rollback_when.assign(rollout.rollback_when().begin(), rollout.rollback_when().end());
  if (const Service* svc = s.FindService(b.service)) {
    for (const auto& [router, c] : svc->confirmed) {
      auto w = c.weights.find(b.id);
      st.confirmed.push_back({router, w == c.weights.end() ? 0 : w->second, c.seq, c.time_ms});
    }
  }
  if (b.latest) {
    st.metrics = b.latest->metrics;
    st.samples = b.latest->samples;
    st.observed_ms = b.latest->time_ms;
  }
  return st;
}

std::string Pct(uint32_t p) { return std::to_string(p) + " %"; }

// A one-line description of a transition for people.
std::string Detail(const State& s, const sm::Transition& t) {
  switch (t.kind_case()) {
    case sm::Transition::kGenesis:
      return "ledger " + t.genesis().ledger_name();
    case sm::Transition::kGrantKey: {
      std::string roles;
      for (const auto& r : t.grant_key().roles()) roles += (roles.empty() ? "" : ",") + r;
      return t.grant_key().name() + " as " + roles;
    }
    case sm::Transition::kRevokeKey:
      return t.revoke_key().name() + ": " + t.revoke_key().reason();
    case sm::Transition::kSetGovernancePolicy:
      return "governance policy";
    case sm::Transition::kPackage:
      return "manifest digest " + ToHex(Sha256(t.package().manifest())).substr(0, 12);
    case sm::Transition::kReject:
      return t.reject().reason();
    case sm::Transition::kDeploy: {
      const Bundle* b = s.FindBundle(t.deploy().bundle());
      const Service* svc = b ? s.FindService(b->service) : nullptr;
      if (svc != nullptr && !svc->stable_history.empty() && svc->stable_history.front() == b->id) {
        return "first release, 100 %";
      }
      uint32_t pct =
          t.deploy().canary_pct() ? t.deploy().canary_pct() : (b ? b->manifest.canary_pct() : 0);
      return "canary " + Pct(pct);
    }
    case sm::Transition::kObserve: {
      std::string m;
      const std::map<std::string, double> sorted(t.observe().metrics().begin(),
                                                 t.observe().metrics().end());
      for (const auto& [k, v] : sorted) m += (m.empty() ? "" : " ") + k + "=" + FormatValue(v);
      m += " samples=" + std::to_string(t.observe().samples());
      // Measured by dvs: each value's question and the digest of its answer.
      std::vector<const sm::Measurement*> sources;
      for (const sm::Measurement& x : t.observe().measurements()) sources.push_back(&x);
      if (t.observe().has_samples_measurement())
        sources.push_back(&t.observe().samples_measurement());
      for (const sm::Measurement* x : sources) {
        m += "; " + (x->metric().empty() ? std::string("samples") : x->metric()) + " " +
             OutcomeName(x->outcome()) + " from " + x->provider() + " '" + x->query() + "'";
        if (!x->answer_sha256().empty()) m += " answer " + ToHex(x->answer_sha256()).substr(0, 16);
        if (!x->detail().empty()) m += ": " + x->detail();
      }
      return m;
    }
    case sm::Transition::kRamp:
      return "to " + Pct(t.ramp().to_pct());
    case sm::Transition::kPause:
      return t.pause().reason();
    case sm::Transition::kPromote:
      return "to stable, 100 %";
    case sm::Transition::kRollback:
      return t.rollback().reason();
    case sm::Transition::kRetire:
      return t.retire().reason();
    case sm::Transition::kCheckpoint:
      return "first " + std::to_string(t.checkpoint().size()) + " entries, root " +
             ToHex(t.checkpoint().root()).substr(0, 12) + ", state " +
             ToHex(t.checkpoint().state_digest()).substr(0, 12);
    case sm::Transition::kConfirm: {
      std::string w;
      for (const auto& r : t.confirm().routes()) {
        w += (w.empty() ? "" : ", ") + r.bundle() + " " + Pct(r.weight());
      }
      // table_seq counts the entries the table was derived from: the last of them is the seq.
      const uint64_t n = t.confirm().table_seq();
      return t.confirm().router() + " serves " + w +
             (n == 0 ? " (the empty table)" : " (the table as of seq " + std::to_string(n - 1) + ")");
    }
    default:
      return "";
  }
}

const sm::Evidence* EvidenceOf(const sm::Transition& t) {
  if (t.has_ramp()) return &t.ramp().evidence();
  if (t.has_promote()) return &t.promote().evidence();
  if (t.has_rollback()) return &t.rollback().evidence();
  if (t.has_pause()) return &t.pause().evidence();
  return nullptr;
}

}  // namespace

Result<BundleStatus> ReleaseService::StatusOf(const std::string& bundle) {
  DVS_ASSIGN_OR_RETURN(auto s, Current());
  const Bundle* b = s->FindBundle(bundle);
  if (b == nullptr) return Status::NotFound("no bundle '" + bundle + "'");
  return StatusFrom(*s, *b, s->last_time_ms);
}

Result<std::vector<BundleStatus>> ReleaseService::StatusOfService(const std::string& service) {
  DVS_ASSIGN_OR_RETURN(auto s, Current());
  if (s->FindService(service) == nullptr) return Status::NotFound("no service '" + service + "'");
  std::vector<BundleStatus> out;
  for (const Route& r : s->Routes(service, s->last_time_ms)) {
    out.push_back(StatusFrom(*s, s->bundles.at(r.bundle), s->last_time_ms));
  }
  return out;
}

Result<std::map<std::string, std::vector<Route>>> ReleaseService::Routes(
    std::optional<int64_t> now_ms) {
  DVS_ASSIGN_OR_RETURN(auto s, Current());
  std::map<std::string, std::vector<Route>> out;
  for (const auto& [name, svc] : s->services)
    out[name] = s->Routes(name, now_ms.value_or(s->last_time_ms));
  return out;
}

Result<LogRow> RowOf(const class Log& log, const State& s, uint64_t seq, const Entry& e) {
  DVS_ASSIGN_OR_RETURN(sm::Transition t, ParseTransition(e.body));
  LogRow row;
  row.seq = seq;
  row.time_ms = e.append_time_ms;
  row.kind = TransitionName(t);
  const KeyRecord* k = s.KeyOf(e.signer);
  row.actor = k ? k->name : e.signer.Id();
  row.actor_key = e.signer.Id();
  DVS_ASSIGN_OR_RETURN(auto raw, log.GetDerived(audit::kAuditDb, lmdb::BigEndian64(seq)));
  // The audit record holds only what the entry does not (audit::StoredPart): the weights. Bundles
  // are never forgotten, so today's state names every bundle's service.
  api::AuditRecord rec;
  if (raw && rec.ParseFromString(*raw)) {
    row.weight_before = rec.weight_before();
    row.weight_after = rec.weight_after();
  }
  row.bundle = BundleConcerned(t);
  if (const Bundle* b = s.FindBundle(row.bundle)) row.service = b->service;
  if (t.has_confirm()) row.service = t.confirm().service();  // a router's table: no one bundle
  row.detail = Detail(s, t);
  if (const sm::Evidence* ev = EvidenceOf(t); ev && !ev->observation_seqs().empty()) {
    row.automatic = true;
    for (uint64_t cited : ev->observation_seqs()) {
      DVS_ASSIGN_OR_RETURN(Entry oe, log.Get(cited));
      DVS_ASSIGN_OR_RETURN(sm::Transition ot, ParseTransition(oe.body));
      Metrics m(ot.observe().metrics().begin(), ot.observe().metrics().end());
      row.evidence.emplace_back(cited, std::move(m));
    }
  }
  row.transition = std::move(t);
  return row;
}

Result<std::vector<LogRow>> ReleaseService::Log(uint64_t from, uint64_t to) {
  DVS_ASSIGN_OR_RETURN(auto s, Current());
  std::vector<LogRow> rows;
  DVS_RETURN_IF_ERROR(log_->Scan(from, to, [&](uint64_t seq, std::string_view raw) -> Status {
    DVS_ASSIGN_OR_RETURN(Entry e, Entry::Decode(raw));
    DVS_ASSIGN_OR_RETURN(LogRow row, RowOf(*log_, *s, seq, e));
    rows.push_back(std::move(row));
    return Status::OK();
  }));
  return rows;
}

Result<std::vector<LogRow>> ReleaseService::History(const std::string& service) {
  if (service.empty()) return Status::InvalidArgument("history needs a service name");
  AuditQuery q;  // an unknown service is NotFound, naming the ledger's services
  q.service = service;
  return Audit(q);
}

Result<Head> ReleaseService::LedgerHead() const { return log_->GetHead(); }

Result<Hash> ReleaseService::DerivedRoot(uint64_t size) const { return log_->Root(size); }

}  // namespace dvs
