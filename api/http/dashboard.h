// The read-only dashboard `dvs serve` answers at `/`: static files embedded in the binary
// (dashboard_assets.h), and the two reads the page needs beyond the query endpoints (the ledger's
// head and verification state, and an entry's proof of inclusion). The page itself reads only
// `/v1/...` JSON and `/v1/events`, so it shows nothing the API does not.
//
// Every asset answer carries a strict Content-Security-Policy (no inline script or style, no
// resource from anywhere but this server), X-Content-Type-Options: nosniff, an ETag, and
// Cache-Control: no-cache (a browser revalidates, and gets 304 while the binary is the same).
#ifndef DVS_API_HTTP_DASHBOARD_H_
#define DVS_API_HTTP_DASHBOARD_H_

#include <optional>

#include "api/http/http_api.h"

namespace dvs {

// The policy every dashboard answer carries.
inline constexpr const char* kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The asset at `req`'s path (GET or HEAD), 304 when If-None-Match names its ETag; nullopt when
// the path is no asset.
std::optional<ApiResponse> DashboardAnswer(const ApiRequest& req, const std::string& path);

// GET /v1/head: {"entries", "head_hash", "time", "checkpoint": {...} or null, "state": {...}}.
// The latest Checkpoint entry comes from the type index (never a scan); "verified" says whether
// the derived Merkle root at the checkpoint's size equals the root re-derived from the entries
// or a signed commitment, and how this server's state was loaded (snapshot or replay).
Result<std::string> HeadJson(ReleaseService& svc);

// GET /v1/proof/inclusion/SEQ: the RFC 6962 inclusion proof of entry SEQ in the tree of the
// whole ledger, as `dvs proof inclusion` prints it (leafIdx, treeSize, root, leafHash, proof).
Result<std::string> InclusionProofJson(ReleaseService& svc, uint64_t seq);

}  // namespace dvs

#endif  // DVS_API_HTTP_DASHBOARD_H_
