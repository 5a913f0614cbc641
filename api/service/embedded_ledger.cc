// dvs::Ledger (dvs/ledger.h): the public façade over ReleaseService. It holds no rule of its own:
// every call delegates, and the only code here converts the internal types (protobuf, State,
// Hash) into the public plain ones, one function per type.
#include <utility>

#include "api/manifest/manifest.h"
#include "api/service/release_service.h"
#include "dvs/ledger.h"
#include "ledger/hash.h"
#include "ledger/key_files.h"

namespace dvs {

struct SigningKey::Rep {
  std::shared_ptr<const SecretKey> key;
};

struct Ledger::Rep {
  std::unique_ptr<ReleaseService> svc;
};

namespace {

// The options of ReleaseService that LedgerOptions names; the rest keep their defaults.
ServiceOptions ServiceOptionsOf(std::shared_ptr<const SecretKey> log_key,
                                uint64_t checkpoint_every) {
  ServiceOptions o;
  o.log_key = std::move(log_key);
  o.checkpoint_every = checkpoint_every;
  return o;
}

Ledger::Route RouteOf(const Route& r) {
  return {r.bundle, r.version, r.weight, RouteRoleName(r.role)};
}

std::vector<Ledger::Route> PublicRoutes(const std::vector<Route>& routes) {
  std::vector<Ledger::Route> out;
  out.reserve(routes.size());
  for (const Route& r : routes) out.push_back(RouteOf(r));
  return out;
}

Ledger::Row RowOf(LogRow r) {
  Ledger::Row out;
  out.seq = r.seq;
  out.time_ms = r.time_ms;
  out.kind = std::move(r.kind);
  out.actor = std::move(r.actor);
  out.actor_key = std::move(r.actor_key);
  out.bundle = std::move(r.bundle);
  out.service = std::move(r.service);
  out.detail = std::move(r.detail);
  out.automatic = r.automatic;
  out.evidence = std::move(r.evidence);
  out.weight_before = r.weight_before;
  out.weight_after = r.weight_after;
  return out;
}

Result<std::vector<Ledger::Row>> RowsOf(Result<std::vector<LogRow>> rows) {
  if (!rows.ok()) return rows.status();
  std::vector<Ledger::Row> out;
  out.reserve(rows->size());
  for (LogRow& r : *rows) out.push_back(RowOf(std::move(r)));
  return out;
}

AuditQuery AuditQueryOf(const Ledger::AuditFilter& f) {
  AuditQuery q;
  q.service = f.service;
  q.bundle = f.bundle;
  q.type = f.type;
  q.actor = f.actor;
  q.since_ms = f.since_ms;
  q.until_ms = f.until_ms;
  q.first = f.first;
  q.last = f.last;
  return q;
}

Result<Ledger::Receipt> ReceiptOf(Result<Receipt> r) {
  if (!r.ok()) return r.status();
  return Ledger::Receipt{r->seq,    r->time_ms, ToHex(r->hash),   r->kind,
                         r->bundle, r->state,   r->weight_before, r->weight_after};
}

}  // namespace

// ---- SigningKey ----

SigningKey::SigningKey(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}

Result<SigningKey> SigningKey::Load(const std::string& path, const PassphraseFn& passphrase) {
  DVS_ASSIGN_OR_RETURN(SecretKey key, LoadSecretKey(path, passphrase));
  return SigningKey(
      std::make_shared<const Rep>(Rep{std::make_shared<const SecretKey>(std::move(key))}));
}

std::string SigningKey::id() const { return rep_->key->public_key().Id(); }

// ---- Ledger: opening ----

Ledger::Ledger(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}
Ledger::~Ledger() = default;

Result<std::unique_ptr<Ledger>> Ledger::Open(const std::string& dir, const LedgerOptions& options) {
  DVS_ASSIGN_OR_RETURN(
      std::unique_ptr<ReleaseService> svc,
      ReleaseService::Open(dir,
                           ServiceOptionsOf(options.log_key ? options.log_key->rep_->key : nullptr,
                                            options.checkpoint_every)));
  return std::unique_ptr<Ledger>(new Ledger(std::make_unique<Rep>(Rep{std::move(svc)})));
}

Result<std::unique_ptr<Ledger>> Ledger::Init(const std::string& dir, const SigningKey& root,
                                             const std::string& name,
                                             const LedgerOptions& options) {
  DVS_ASSIGN_OR_RETURN(
      std::unique_ptr<ReleaseService> svc,
      ReleaseService::Init(dir, *root.rep_->key, name,
                           ServiceOptionsOf(options.log_key ? options.log_key->rep_->key : nullptr,
                                            options.checkpoint_every)));
  return std::unique_ptr<Ledger>(new Ledger(std::make_unique<Rep>(Rep{std::move(svc)})));
}

// ---- reads ----

Result<Ledger::Head> Ledger::GetHead() const {
  DVS_ASSIGN_OR_RETURN(dvs::Head h, rep_->svc->LedgerHead());
  return Head{h.size, ToHex(h.hash)};
}

Result<BundleStatus> Ledger::StatusOfBundle(const std::string& bundle) {
  return rep_->svc->StatusOf(bundle);
}

Result<std::vector<BundleStatus>> Ledger::StatusOfService(const std::string& service) {
  return rep_->svc->StatusOfService(service);
}

Result<std::vector<Ledger::Route>> Ledger::RoutesOf(const std::string& service) {
  DVS_ASSIGN_OR_RETURN(auto all, rep_->svc->Routes());
  auto it = all.find(service);
  if (it == all.end()) return std::vector<Route>{};
  return PublicRoutes(it->second);
}

Result<std::map<std::string, std::vector<Ledger::Route>>> Ledger::Routes() {
  DVS_ASSIGN_OR_RETURN(auto all, rep_->svc->Routes());
  std::map<std::string, std::vector<Route>> out;
  for (const auto& [service, routes] : all) out[service] = PublicRoutes(routes);
  return out;
}

Result<std::vector<Ledger::Row>> Ledger::Log(uint64_t from, uint64_t to) {
  return RowsOf(rep_->svc->Log(from, to));
}

Result<std::vector<Ledger::Row>> Ledger::History(const std::string& service) {
  return RowsOf(rep_->svc->History(service));
}

Result<std::vector<Ledger::Row>> Ledger::Audit(const AuditFilter& filter) {
  return RowsOf(rep_->svc->Audit(AuditQueryOf(filter)));
}

// ---- writes ----

Result<std::string> Ledger::PackageYaml(const SigningKey& key, std::string_view yaml,
                                        const std::string& base_dir) {
  DVS_ASSIGN_OR_RETURN(sm::Manifest m, ParseManifest(yaml, base_dir));
  return rep_->svc->Package(*key.rep_->key, m);
}

Result<std::string> Ledger::PackageFile(const SigningKey& key, const std::string& path) {
  DVS_ASSIGN_OR_RETURN(sm::Manifest m, LoadManifest(path));
  return rep_->svc->Package(*key.rep_->key, m);
}

Result<Ledger::Receipt> Ledger::Approve(const SigningKey& key, const std::string& bundle) {
  return ReceiptOf(rep_->svc->Approve(*key.rep_->key, bundle));
}

Result<Ledger::Receipt> Ledger::Reject(const SigningKey& key, const std::string& bundle,
                                       const std::string& reason) {
  return ReceiptOf(rep_->svc->Reject(*key.rep_->key, bundle, reason));
}

Result<Ledger::Receipt> Ledger::Deploy(const SigningKey& key, const std::string& bundle,
                                       uint32_t canary_pct) {
  return ReceiptOf(rep_->svc->Deploy(*key.rep_->key, bundle, canary_pct));
}

Result<Ledger::Receipt> Ledger::Observe(const SigningKey& key, const std::string& bundle,
                                        const std::map<std::string, double>& metrics,
                                        uint64_t samples) {
  return ReceiptOf(rep_->svc->Observe(*key.rep_->key, bundle, metrics, samples));
}

Result<Ledger::Receipt> Ledger::Promote(const SigningKey& key, const std::string& bundle,
                                        bool full) {
  return ReceiptOf(rep_->svc->Promote(*key.rep_->key, bundle, full));
}

Result<Ledger::Receipt> Ledger::Pause(const SigningKey& key, const std::string& bundle,
                                      const std::string& reason) {
  return ReceiptOf(rep_->svc->Pause(*key.rep_->key, bundle, reason));
}

Result<Ledger::Receipt> Ledger::Resume(const SigningKey& key, const std::string& bundle) {
  return ReceiptOf(rep_->svc->Resume(*key.rep_->key, bundle));
}

Result<Ledger::Receipt> Ledger::Rollback(const SigningKey& key, const std::string& bundle,
                                         const std::string& reason) {
  return ReceiptOf(rep_->svc->Rollback(*key.rep_->key, bundle, reason));
}

Result<Ledger::Receipt> Ledger::Retire(const SigningKey& key, const std::string& bundle,
                                       const std::string& reason) {
  return ReceiptOf(rep_->svc->Retire(*key.rep_->key, bundle, reason));
}

}  // namespace dvs
