// Confirm: a controller records what a router serves. Allowed only when it is exactly what the
// ledger decided at this entry, so the record proves the router carried the current table.
#include "statemachine/apply_internal.h"
#include "statemachine/confirm.h"
#include "statemachine/manifest_rules.h"

namespace dvs::apply {

namespace {

constexpr size_t kMaxRouterName = 512;

std::string WeightsText(const std::map<std::string, uint32_t>& w) {
  std::string out;
  for (const auto& [bundle, pct] : w) {
    out += (out.empty() ? "" : ", ") + bundle + " " + std::to_string(pct) + " %";
  }
  return out.empty() ? "nothing" : out;
}

}  // namespace

Status Confirm(State& s, const Ctx& c, const sm::Confirm& m) {
  DVS_RETURN_IF_ERROR(Require(c, Role::kController, "confirming a router's table"));
  if (m.router().empty()) return Status::InvalidArgument("a confirmation must name its router");
  if (m.router().size() > kMaxRouterName) {
    return Status::InvalidArgument("router name is longer than " + std::to_string(kMaxRouterName) +
                                   " characters");
  }
  DVS_RETURN_IF_ERROR(CheckPrintable("router", m.router()));
  auto it = s.services.find(m.service());
  if (it == s.services.end()) return Status::Refused("no service '" + m.service() + "'");
  Service& svc = it->second;
  if (m.table_seq() > c.seq) {
    return Status::Refused("table_seq " + std::to_string(m.table_seq()) +
                           " names a table after this entry (seq " + std::to_string(c.seq) + ")");
  }
  std::map<std::string, uint32_t> served;
  for (const sm::ConfirmedRoute& r : m.routes()) {
    if (r.weight() < 1 || r.weight() > 100) {
      return Status::InvalidArgument("confirmed weight " + std::to_string(r.weight()) + " of " +
                                     r.bundle() + " is outside 1..100");
    }
    if (!served.emplace(r.bundle(), r.weight()).second) {
      return Status::InvalidArgument("bundle " + r.bundle() + " is confirmed twice");
    }
  }
  const std::map<std::string, uint32_t> decided = WeightsWithTraffic(s, svc);
  if (served != decided) {
    return Status::Refused("router " + m.router() + " confirms " + svc.name + " serving " +
                           WeightsText(served) + ", but the ledger decided " +
                           WeightsText(decided));
  }
  svc.confirmed[m.router()] = RouterConfirmation{c.seq, c.time_ms, m.table_seq(), served};
  return Status::OK();
}

}  // namespace dvs::apply
