#include "api/service/audit_index.h"

#include "ledger/lmdb_util.h"
#include "ledger/postings.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"

namespace dvs::audit {

namespace {

std::string Family(char tag, std::initializer_list<std::string_view> parts) {
  std::string k(1, tag);
  for (std::string_view p : parts) {
    k.append(p);
    k.push_back('\0');
  }
  return k;
}

}  // namespace

Result<api::AuditRecord> ApplyAndRecord(State* s, const Entry& e, Applied* applied) {
  Applied local;
  if (applied == nullptr) applied = &local;
  DVS_RETURN_IF_ERROR(ApplyEntry(s, e, applied));
  return RecordOf(e, *applied);
}

api::AuditRecord RecordOf(const Entry& e, const Applied& a) {
  api::AuditRecord r;
  r.set_kind(TransitionKindName(a.kind));
  r.set_actor_key(e.signer.Id());
  r.set_bundle(a.bundle);
  r.set_service(a.service);
  r.set_weight_before(a.weight_before);
  r.set_weight_after(a.weight_after);
  r.set_time_ms(e.append_time_ms);
  return r;
}

std::string BundleTerm(const std::string& bundle) { return Family('b', {bundle}); }
std::string ServiceTerm(const std::string& service) { return Family('s', {service}); }
std::string ServiceTypeTerm(const std::string& service, const std::string& type) {
  return Family('S', {service, type});
}
std::string ActorTerm(const std::string& key_id) { return Family('a', {key_id}); }
std::string TypeTerm(const std::string& type) { return Family('t', {type}); }

api::AuditRecord StoredPart(const api::AuditRecord& r) {
  api::AuditRecord out;
  out.set_weight_before(r.weight_before());
  out.set_weight_after(r.weight_after());
  return out;
}

std::vector<std::string> IndexTerms(const api::AuditRecord& r) {
  std::vector<std::string> terms = {ActorTerm(r.actor_key()), TypeTerm(r.kind())};
  if (!r.bundle().empty()) terms.push_back(BundleTerm(r.bundle()));
  if (!r.service().empty()) {
    terms.push_back(ServiceTerm(r.service()));
    terms.push_back(ServiceTypeTerm(r.service(), r.kind()));
  }
  return terms;
}

Status Put(WriteTxn& w, uint64_t seq, const api::AuditRecord& r) {
  DVS_RETURN_IF_ERROR(
      w.AppendDerived(kAuditDb, lmdb::BigEndian64(seq), StoredPart(r).SerializeAsString()));
  for (const std::string& term : IndexTerms(r)) {
    DVS_RETURN_IF_ERROR(postings::Add(w, kIndexDb, term, seq));
  }
  return Status::OK();
}

}  // namespace dvs::audit
