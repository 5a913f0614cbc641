// The HTTP API of `dvs serve`, as a function from a request to a response: no sockets here, so the
// same code is driven by the server, by tests and by the fuzzer.
//
//   GET  /healthz                     {"status":"ok","entries":N}
//   GET  /metrics                     Prometheus text
//   GET  /v1/status/{bundle|service}  GET /v1/routes   GET /v1/history/{service}
//   GET  /v1/log?from=&to=            GET /v1/audit?service=&bundle=&actor=&type=&since=&until=
//   GET  /v1/keys                     GET /v1/state?at=SEQ|TIME
//   GET  /v1/audit?...&last=N         only the last N matches
//   GET  /v1/head                     the head, latest checkpoint and verification state
//   GET  /v1/proof/inclusion/{seq}    the entry's RFC 6962 inclusion proof in the whole log
//   GET  /  and /dashboard/...        the read-only dashboard (api/http/dashboard.h)
//   POST /v1/entries                  {"body","signer_key","signature"} (base64), or
//                                     {"entries":[...]} applied all or none
//   POST /v1/tick?service=S...        one controller evaluation with the server's key
//   GET  /v1/events?from=SEQ&follow=  Server-Sent Events (streamed by the server; see EventsText)
//
// Read endpoints and receipts take ?format=json (default), text or csv: the bytes the command
// line prints. Errors are JSON {"error": "...", "reason": "..."}: 400 malformed request, 401
// missing or bad signature or unknown key, 403 a key without the role or revoked, 404 no such
// thing, 405 wrong method, 409 refused by a release rule, 503 no controller key.
#ifndef DVS_API_HTTP_HTTP_API_H_
#define DVS_API_HTTP_HTTP_API_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/http/server_metrics.h"
#include "api/service/release_service.h"

namespace dvs {

struct ApiRequest {
  std::string method, target, body;
  std::string last_event_id;  // the Last-Event-ID header, if any
  std::string if_none_match;  // the If-None-Match header, if any
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // more header fields, in order
};

// A request target split into its decoded path and query parameters.
struct Target {
  std::string path;
  std::multimap<std::string, std::string> query;
  static Result<Target> Parse(const std::string& target);
  // The parameter's single value; InvalidArgument when given more than once.
  Result<std::optional<std::string>> One(const std::string& name) const;
};

class HttpApi {
 public:
  struct Hooks {
    // After entries committed through the API, before the answer is sent; may add to the
    // receipts what it did about them (the controller's decision on an observation).
    std::function<void(std::vector<Receipt>&)> committed;
    // One controller evaluation of `services` (all when empty); unset without a controller key.
    std::function<Result<std::vector<TickOutcome>>(const std::vector<std::string>&)> tick;
    // Cluster mode: this node's view of the cluster as JSON (GET /v1/cluster).
    std::function<std::string()> cluster;
  };

  HttpApi(ReleaseService& svc, ServerMetrics& metrics, Hooks hooks)
      : svc_(svc), metrics_(metrics), hooks_(std::move(hooks)) {}

  ApiResponse Handle(const ApiRequest& req);

  struct EventsQuery {
    uint64_t from = 0;
    size_t skip = 0;  // events of entry `from` already delivered
    bool follow = true;
  };
  // GET /v1/events: ?from=SEQ (default 0), or what follows Last-Event-ID, which wins; and
  // ?follow=false to end the stream at the head. Event ids are "SEQ" for an entry's last event
  // and "SEQ.K" for its K-th (from 0) before that, so a resume is exact.
  static Result<EventsQuery> ParseEvents(const ApiRequest& req);
  // The events of entries [from, to) as SSE frames ("id: ID\nevent: NAME\ndata: JSON\n\n"),
  // leaving out the first `skip` events of entry `from`.
  Result<std::string> EventsText(uint64_t from, uint64_t to, size_t skip = 0);

  // Every GET of the API takes ?min_seq=SEQ: answer only from a ledger that holds entry SEQ (a
  // cluster replica may lag the node a client wrote through). The 503 "behind" answer when it
  // does not (with Retry-After), a 400 for a malformed SEQ, else nullopt: answer as usual.
  std::optional<ApiResponse> Behind(const std::string& target);

  // A JSON error answer; counts a refusal under `reason`.
  ApiResponse Error(int status, const std::string& reason, const std::string& message);
  // The answer for a failed Status: its code decides the HTTP status.
  ApiResponse Failed(const Status& s);

 private:
  ApiResponse Get(const Target& t);
  std::optional<ApiResponse> Behind(const Target& t);  // the same, for a parsed target
  ApiResponse Submit(const std::string& body, const Target& t);
  ApiResponse Tick(const Target& t);
  // GET /v1/entries?from=SEQ[&limit=N]: the stored bytes of entries from..., as a batch
  // (ledger/entry_batch.h), application/octet-stream; X-Dvs-Entries: the ledger's size.
  ApiResponse RawEntries(const Target& t);

  ReleaseService& svc_;
  ServerMetrics& metrics_;
  Hooks hooks_;
};

// True when `path` is served as a stream (the server handles it, not Handle).
inline bool IsEventsPath(const std::string& path) { return path == "/v1/events"; }

}  // namespace dvs

#endif  // DVS_API_HTTP_HTTP_API_H_
