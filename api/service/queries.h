// The reads people make, as one typed query that the command line and the HTTP API share: the
// CLI builds a Query from its arguments, the HTTP API from a request target, and both get the
// same bytes from Answer (locally, or on the server behind GET HttpTarget()).
#ifndef DVS_API_QUERIES_H_
#define DVS_API_QUERIES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "api/render/render.h"
#include "api/service/release_service.h"

namespace dvs {

struct Query {
  enum class Kind { kStatus, kRoutes, kKeys, kState, kHistory, kLog, kAudit };
  Kind kind = Kind::kRoutes;
  // kStatus: a bundle id or a service; kHistory: a service; kState: a seq or an RFC 3339 time.
  std::string target;
  uint64_t from = 0, to = UINT64_MAX;  // kLog: seqs, both inclusive
  AuditQuery audit;                    // kAudit

  static Query Status(std::string bundle_or_service);
  static Query Routes();
  static Query Keys();
  static Query StateAt(std::string seq_or_time);
  static Query History(std::string service);
  static Query Log(uint64_t from, uint64_t to);
  static Query Audit(AuditQuery q);

  // The GET request target that asks a server this query in format `f`
  // ("/v1/status/tax_calc?format=json").
  std::string HttpTarget(Format f) const;
};

// Answers `q` from the ledger, rendered in `f`; text tables wrap to `width` (0: no wrapping).
// Errors: NotFound naming what is neither a bundle nor a service; InvalidArgument for a
// malformed --at, a log range whose start is after its end, an unknown audit type, or csv asked of
// anything but entry rows.
Result<std::string> Answer(ReleaseService& svc, const Query& q, Format f, size_t width = 0);

// Percent-encodes everything but unreserved characters (RFC 3986), for paths and queries.
std::string UrlEncode(std::string_view s);

}  // namespace dvs

#endif  // DVS_API_QUERIES_H_
