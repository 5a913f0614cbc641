#include "api/service/audit_index.h"

#include "ledger/lmdb_util.h"
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

std::string BundlePrefix(const std::string& bundle) { return Family('b', {bundle}); }
std::string ServicePrefix(const std::string& service) { return Family('s', {service}); }
std::string ServiceTypePrefix(const std::string& service, const std::string& type) {
  return Family('S', {service, type});
}
std::string ActorPrefix(const std::string& key_id) { return Family('a', {key_id}); }
std::string TypePrefix(const std::string& type) { return Family('t', {type}); }

std::string TimeKey(int64_t time_ms, uint64_t seq) {
  // Flip the sign bit so that negative times sort first.
  return "T" + lmdb::BigEndian64(static_cast<uint64_t>(time_ms) ^ (uint64_t{1} << 63)) +
         lmdb::BigEndian64(seq);
}

uint64_t SeqOfKey(std::string_view key) {
  return lmdb::ReadBigEndian64(key.substr(key.size() - 8));
}

std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

std::vector<std::string> IndexKeys(uint64_t seq, const api::AuditRecord& r) {
  const std::string s = lmdb::BigEndian64(seq);
  std::vector<std::string> keys = {ActorPrefix(r.actor_key()) + s, TypePrefix(r.kind()) + s,
                                   TimeKey(r.time_ms(), seq)};
  if (!r.bundle().empty()) keys.push_back(BundlePrefix(r.bundle()) + s);
  if (!r.service().empty()) {
    keys.push_back(ServicePrefix(r.service()) + s);
    keys.push_back(ServiceTypePrefix(r.service(), r.kind()) + s);
  }
  return keys;
}

Status Put(WriteTxn& w, uint64_t seq, const api::AuditRecord& r) {
  DVS_RETURN_IF_ERROR(w.PutDerived(kAuditDb, lmdb::BigEndian64(seq), r.SerializeAsString()));
  for (const std::string& k : IndexKeys(seq, r)) DVS_RETURN_IF_ERROR(w.PutDerived(kIndexDb, k, ""));
  return Status::OK();
}

}  // namespace dvs::audit
