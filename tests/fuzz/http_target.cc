// The HTTP fuzz target: raw bytes through the server's request parser (the limits dvs serve sets)
// and, when they make a request, through the API handler against a live ledger with a canary in
// flight. Every answer must be a well-formed HTTP status with a body, and a request that was not
// signed by a key the ledger knows must change nothing.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>

#include "api/http/http_api.h"
#include "api/http/http_limits.h"
#include "api/service/transitions.h"
#include "tests/fuzz/targets.h"
#include "tests/statemachine/harness.h"

namespace dvs::fuzz {

namespace {

namespace http = boost::beast::http;

struct Live {
  std::string dir;
  std::unique_ptr<ReleaseService> svc;
  ServerMetrics metrics;
  std::unique_ptr<HttpApi> api;

  Live() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dvs-fuzz-http-XXXXXX").string();
    dir = ::mkdtemp(tmpl.data());
    test::Harness h;
    auto opened = ReleaseService::Init(dir + "/ledger", h.root, "fuzz");
    if (!opened.ok()) std::abort();
    svc = std::move(opened).value();
    auto must = [](const auto& r) {
      if (!r.ok()) std::abort();
    };
    must(svc->GrantKey(h.root, "governance", h.governance.public_key(), {"governance"}));
    must(svc->GrantKey(h.root, "publisher", h.publisher.public_key(), {"publisher"}));
    must(svc->GrantKey(h.root, "admin", h.admin.public_key(), {"release_admin"}));
    must(svc->GrantKey(h.root, "observer", h.observer.public_key(), {"observer"}));
    for (const char* v : {"8.7", "9.0"}) {
      auto id = svc->Package(h.publisher, test::Manifest("tax_calc", v));
      must(id);
      must(svc->Approve(h.governance, *id));
      must(svc->Deploy(h.admin, *id));
    }
    api = std::make_unique<HttpApi>(*svc, metrics, HttpApi::Hooks{});
  }
  ~Live() {
    api.reset();
    svc.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace

void HttpRequest(const uint8_t* data, size_t size) {
  static Live live;
  http::request_parser<http::string_body> parser;
  parser.body_limit(kMaxHttpBody);
  parser.header_limit(kMaxHttpHeader);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_done()) return;  // the server answers 400/413/431 and closes
  auto req = parser.release();
  ApiRequest r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  r.body = req.body();
  r.last_event_id = std::string(req["Last-Event-ID"]);
  const uint64_t before = live.svc->log().GetHead()->size;
  if (IsEventsPath(r.target.substr(0, r.target.find('?')))) {
    auto q = HttpApi::ParseEvents(r);
    if (q.ok()) (void)live.api->EventsText(q->from, q->from + 50, q->skip);
    return;
  }
  ApiResponse res = live.api->Handle(r);
  if (res.status < 200 || res.status > 599 || res.body.empty() || res.content_type.empty())
    std::abort();
  // Random bytes carry no valid signature by a registered key: nothing may be appended.
  if (live.svc->log().GetHead()->size != before) std::abort();
}

}  // namespace dvs::fuzz
