#include "api/http/http_api.h"

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/http/dashboard.h"
#include "api/http/http_limits.h"
#include "api/render/json.h"
#include "api/render/render.h"
#include "api/service/events.h"
#include "api/service/queries.h"
#include "ledger/entry_batch.h"
#include "statemachine/apply.h"

namespace dvs {

namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::InvalidArgument("bad percent-encoding in the URL");
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

Result<uint64_t> ParseSeq(const std::string& name, const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
    return Status::InvalidArgument(name + " '" + v + "' is not a seq (a whole number)");
  if (v.size() > 19)  // no ledger reaches 10^19 entries; and stoull stays in range
    return Status::InvalidArgument(name + " '" + v + "' is too large for a seq (at most 19 digits)");
  return std::stoull(v);
}

const char* ContentType(Format f) {
  switch (f) {
    case Format::kJson:
      return "application/json";
    case Format::kCsv:
      return "text/csv; charset=utf-8";
    case Format::kText:
      break;
  }
  return "text/plain; charset=utf-8";
}

ApiResponse Ok(std::string body, Format f) {
  return ApiResponse{200, ContentType(f), std::move(body)};
}

// One signed request from its JSON form.
Result<SignedBody> SignedFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("an entry must be a JSON object");
  auto field = [&](const char* name) -> Result<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string())
      return Status::NotFound(std::string("missing \"") + name + "\" (base64)");
    auto bytes = FromBase64(it->get<std::string>());
    if (!bytes) return Status::InvalidArgument(std::string("\"") + name + "\" is not base64");
    return *bytes;
  };
  DVS_ASSIGN_OR_RETURN(std::string body, field("body"));
  auto key = field("signer_key");
  auto sig = field("signature");
  if (!key.ok() || !sig.ok()) {
    Status s = !key.ok() ? key.status() : sig.status();
    return Status::PermissionDenied(s.message());  // unauthenticated
  }
  auto pub = PublicKey::FromBytes(*key);
  if (!pub.ok()) return Status::PermissionDenied("\"signer_key\": " + pub.status().message());
  return SignedBody{std::move(body), *pub, std::move(*sig)};
}

}  // namespace

Result<Target> Target::Parse(const std::string& target) {
  Target t;
  size_t q = target.find('?');
  DVS_ASSIGN_OR_RETURN(t.path, PercentDecode(target.substr(0, q), false));
  if (t.path.empty() || t.path[0] != '/')
    return Status::InvalidArgument("request target must start with /");
  if (q == std::string::npos) return t;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    DVS_ASSIGN_OR_RETURN(std::string k, PercentDecode(pair.substr(0, eq), true));
    std::string v;
    if (eq != std::string_view::npos) {
      DVS_ASSIGN_OR_RETURN(v, PercentDecode(pair.substr(eq + 1), true));
    }
    t.query.emplace(std::move(k), std::move(v));
  }
  return t;
}

Result<std::optional<std::string>> Target::One(const std::string& name) const {
  auto [lo, hi] = query.equal_range(name);
  if (lo == hi) return std::optional<std::string>();
  if (std::next(lo) != hi) return Status::InvalidArgument("?" + name + " is given twice");
  return std::optional<std::string>(lo->second);
}

ApiResponse HttpApi::Error(int status, const std::string& reason, const std::string& message) {
  metrics_.CountRefusal(reason);
  Json j;
  j.BeginObject().Key("error").String(message).Key("reason").String(reason).EndObject();
  return ApiResponse{status, "application/json", j.str() + "\n"};
}

ApiResponse HttpApi::Failed(const Status& s) {
  switch (s.code()) {
    case Status::Code::kInvalidArgument:
      return Error(400, "bad_request", s.message());
    case Status::Code::kNotFound:
      return Error(404, "not_found", s.message());
    case Status::Code::kForbidden:
      return Error(403, "forbidden", s.message());
    case Status::Code::kRefused:
      return Error(409, "refused", s.message());
    case Status::Code::kUnavailable:
      return Error(503, "unavailable", s.message());
    default:
      return Error(500, "internal", s.ToString());
  }
}

ApiResponse HttpApi::Handle(const ApiRequest& req) {
  auto t = Target::Parse(req.target);
  if (!t.ok()) return Failed(t.status());
  const std::string& p = t->path;
  const bool get = req.method == "GET" || req.method == "HEAD";  // HEAD: the server drops the body
  // 405 names what the path takes, in words and in Allow (RFC 9110 15.5.6).
  auto only = [&](const char* allow, const std::string& words) {
    ApiResponse r =
        Error(405, "method_not_allowed", p + " takes " + words + ", not " + req.method);
    r.headers.emplace_back("Allow", allow);
    return r;
  };
  if (p == "/v1/entries") {
    if (req.method == "POST") return Submit(req.body, *t);
    return get ? RawEntries(*t)
               : only("GET, POST", "POST (submit) or GET (read raw entries)");
  }
  if (p == "/v1/tick") return req.method == "POST" ? Tick(*t) : only("POST", "POST");
  if (!get) {
    if (p == "/healthz" || p == "/metrics" || p == "/v1/cluster" || p == "/v1/routes" ||
        p == "/v1/head" || p.rfind("/v1/proof/", 0) == 0 ||
        p == "/v1/log" || p == "/v1/audit" || p == "/v1/keys" || p == "/v1/state" ||
        p.rfind("/v1/status/", 0) == 0 || p.rfind("/v1/history/", 0) == 0)
      return only("GET", "GET");
  }
  if (get || req.method == "HEAD") {
    if (p.rfind("/v1/", 0) != 0 && p != "/healthz" && p != "/metrics") {
      if (auto asset = DashboardAnswer(req, p)) return *asset;
    }
  }
  if (get) return Get(*t);
  return Error(404, "not_found", "no such endpoint: " + req.method + " " + p);
}

namespace {

// InvalidArgument naming a query parameter the endpoint does not take: a mistyped filter must
// not silently widen an audit.
Status OnlyParams(const Target& t, std::initializer_list<const char*> allowed) {
  for (const auto& [name, value] : t.query) {
    bool known = name == "format" || name == "min_seq";
    for (const char* a : allowed) known = known || name == a;
    if (known) continue;
    std::string takes = "?format";
    for (const char* a : allowed) takes += std::string(", ?") + a;
    return Status::InvalidArgument("unknown query parameter ?" + name + " (" + t.path +
                                   " takes " + takes + ")");
  }
  return Status::OK();
}

// The typed query a GET target asks (service/queries.h), or none when the path is not a query.
Result<std::optional<Query>> QueryOf(const Target& t) {
  const std::string& p = t.path;
  if (p == "/v1/state") {
    DVS_RETURN_IF_ERROR(OnlyParams(t, {"at"}));
  } else if (p == "/v1/log") {
    DVS_RETURN_IF_ERROR(OnlyParams(t, {"from", "to"}));
  } else if (p == "/v1/audit") {
    DVS_RETURN_IF_ERROR(
        OnlyParams(t, {"service", "bundle", "actor", "type", "since", "until", "first", "last"}));
  } else if (p == "/v1/routes" || p == "/v1/keys" || p.rfind("/v1/status/", 0) == 0 ||
             p.rfind("/v1/history/", 0) == 0) {
    DVS_RETURN_IF_ERROR(OnlyParams(t, {}));
  }
  if (p == "/v1/routes") return std::optional<Query>(Query::Routes());
  if (p == "/v1/keys") return std::optional<Query>(Query::Keys());
  if (p.rfind("/v1/status/", 0) == 0)
    return std::optional<Query>(Query::Status(p.substr(std::string("/v1/status/").size())));
  if (p.rfind("/v1/history/", 0) == 0)
    return std::optional<Query>(Query::History(p.substr(std::string("/v1/history/").size())));
  if (p == "/v1/state") {
    DVS_ASSIGN_OR_RETURN(auto at, t.One("at"));
    if (!at) return Status::InvalidArgument("?at=SEQ or ?at=TIME is required");
    return std::optional<Query>(Query::StateAt(*at));
  }
  if (p == "/v1/log") {
    uint64_t from = 0, to = UINT64_MAX;
    for (auto [name, dst] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
      DVS_ASSIGN_OR_RETURN(auto v, t.One(name));
      if (!v) continue;
      DVS_ASSIGN_OR_RETURN(*dst, ParseSeq(std::string("?") + name, *v));
    }
    if (from > to) {
      return Status::InvalidArgument("?from " + std::to_string(from) + " is after ?to " +
                                     std::to_string(to));
    }
    return std::optional<Query>(Query::Log(from, to));
  }
  if (p == "/v1/audit") {
    AuditQuery q;
    for (auto [name, dst] : {std::pair{"service", &q.service}, std::pair{"bundle", &q.bundle},
                             std::pair{"actor", &q.actor}, std::pair{"type", &q.type}}) {
      DVS_ASSIGN_OR_RETURN(auto v, t.One(name));
      if (v) *dst = *v;
    }
    for (auto [name, dst] : {std::pair{"since", &q.since_ms}, std::pair{"until", &q.until_ms}}) {
      DVS_ASSIGN_OR_RETURN(auto v, t.One(name));
      if (!v) continue;
      auto ms = ParseTime(*v);
      if (!ms.ok()) return ms.status().Prefixed(std::string("?") + name);
      *dst = *ms;
    }
    for (auto [name, dst] : {std::pair{"first", &q.first}, std::pair{"last", &q.last}}) {
      DVS_ASSIGN_OR_RETURN(auto v, t.One(name));
      if (!v) continue;
      DVS_ASSIGN_OR_RETURN(uint64_t n, ParseSeq(std::string("?") + name, *v));
      if (n == 0 || n > kMaxAuditRows) {
        return Status::InvalidArgument("?" + std::string(name) + " " + *v +
                                       " is not between 1 and " + std::to_string(kMaxAuditRows));
      }
      *dst = static_cast<size_t>(n);
    }
    if (q.first && q.last) return Status::InvalidArgument("?first and ?last cannot both be given");
    return std::optional<Query>(Query::Audit(std::move(q)));
  }
  return std::optional<Query>();
}

}  // namespace

std::optional<ApiResponse> HttpApi::Behind(const std::string& target) {
  auto t = Target::Parse(target);
  if (!t.ok()) return Failed(t.status());
  return Behind(*t);
}

std::optional<ApiResponse> HttpApi::Behind(const Target& t) {
  auto min_seq = t.One("min_seq");
  if (!min_seq.ok()) return Failed(min_seq.status());
  if (!*min_seq) return std::nullopt;
  auto seq = ParseSeq("?min_seq", **min_seq);
  if (!seq.ok()) return Failed(seq.status());
  auto head = svc_.LedgerHead();
  if (!head.ok()) return Failed(head.status());
  if (head->size > *seq) return std::nullopt;
  // Not waited for here (that would hold a server thread for a client): the client retries.
  ApiResponse r = Error(503, "behind",
                        "this replica holds " + std::to_string(head->size) +
                            " entries; entry " + std::to_string(*seq) +
                            " (?min_seq) is not here yet: retry, or ask another node");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

ApiResponse HttpApi::Get(const Target& t) {
  const std::string& p = t.path;
  auto format_name = t.One("format");
  if (!format_name.ok()) return Failed(format_name.status());
  auto format = ParseFormat(format_name->value_or("json"));
  if (!format.ok()) return Failed(format.status());
  const Format f = *format;
  if (auto behind = Behind(t)) return *behind;

  if (p == "/healthz") {
    auto head = svc_.LedgerHead();
    if (!head.ok()) return Error(503, "unhealthy", head.status().ToString());
    Json j;
    j.BeginObject().Key("status").String("ok").Key("entries").Uint(head->size).EndObject();
    return Ok(j.str() + "\n", Format::kJson);
  }
  if (p == "/v1/cluster") {
    if (!hooks_.cluster) return Error(404, "not_found", "this server is not in cluster mode");
    return Ok(hooks_.cluster(), Format::kJson);
  }
  if (p == "/metrics") {
    auto head = svc_.LedgerHead();
    return ApiResponse{200, "text/plain; version=0.0.4; charset=utf-8",
                       metrics_.Prometheus(head.ok() ? head->size : 0, svc_.commit_stats())};
  }
  if (p == "/v1/head") {
    if (Status s = OnlyParams(t, {}); !s.ok()) return Failed(s);
    auto head = HeadJson(svc_);
    if (!head.ok()) return Failed(head.status());
    return Ok(*head, Format::kJson);
  }
  if (const std::string prefix = "/v1/proof/inclusion/"; p.rfind(prefix, 0) == 0) {
    if (Status s = OnlyParams(t, {}); !s.ok()) return Failed(s);
    auto seq = ParseSeq("seq", p.substr(prefix.size()));
    if (!seq.ok()) return Failed(seq.status());
    auto proof = InclusionProofJson(svc_, *seq);
    if (!proof.ok()) return Failed(proof.status());
    return Ok(*proof, Format::kJson);
  }
  auto query = QueryOf(t);
  if (!query.ok()) return Failed(query.status());
  if (*query) {
    auto answer = Answer(svc_, **query, f);
    if (!answer.ok()) return Failed(answer.status());
    return Ok(*answer, f);
  }
  return Error(404, "not_found", "no such endpoint: GET " + p);
}

ApiResponse HttpApi::Submit(const std::string& body, const Target& t) {
  auto format_name = t.One("format");
  if (!format_name.ok()) return Failed(format_name.status());
  auto format = ParseFormat(format_name->value_or("json"));
  if (!format.ok()) return Failed(format.status());

  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Error(400, "bad_json", "the request body is not JSON (RFC 8259)");
  std::vector<nlohmann::json> items;
  const bool batch = doc.is_object() && doc.contains("entries");
  if (batch) {
    if (!doc["entries"].is_array() || doc["entries"].empty())
      return Error(400, "bad_request", "\"entries\" must be a non-empty array");
    if (doc["entries"].size() > kMaxBatchEntries)
      return Error(400, "bad_request",
                   "a batch holds at most " + std::to_string(kMaxBatchEntries) + " entries");
    for (auto& e : doc["entries"]) items.push_back(std::move(e));
  } else {
    items.push_back(std::move(doc));
  }

  std::vector<SignedBody> bodies;
  auto where = [&](size_t i) { return batch ? "entry " + std::to_string(i) + ": " : ""; };
  for (size_t i = 0; i < items.size(); ++i) {
    auto sb = SignedFromJson(items[i]);
    if (!sb.ok()) {
      if (sb.status().code() == Status::Code::kPermissionDenied)
        return Error(401, "unauthenticated", where(i) + sb.status().message());
      if (sb.status().IsNotFound())
        return Error(400, "bad_request", where(i) + sb.status().message());
      return Failed(sb.status().Prefixed(batch ? "entry " + std::to_string(i) : "request"));
    }
    bodies.push_back(std::move(*sb));
  }
  // Signatures are checked once, here (in parallel), and the write path takes them as checked.
  std::vector<Result<VerifiedBody>> checked =
      VerifiedBody::VerifyAll(std::move(bodies), std::thread::hardware_concurrency());
  auto state = svc_.Current();
  if (!state.ok()) return Failed(state.status());
  std::vector<VerifiedBody> verified;
  for (size_t i = 0; i < checked.size(); ++i) {
    if (!checked[i].ok()) {
      const Status& s = checked[i].status();
      if (s.IsInvalidArgument()) return Error(413, "too_large", where(i) + s.message());
      return Error(401, "bad_signature", where(i) + s.message());
    }
    const PublicKey& signer = checked[i]->get().signer;
    if ((*state)->KeyOf(signer) == nullptr)
      return Error(401, "unknown_key",
                   where(i) + "signer key " + signer.Id() + " is not registered in this ledger");
    verified.push_back(std::move(*checked[i]));
  }
  Result<std::vector<Receipt>> receipts = svc_.SubmitVerified(std::move(verified));
  if (!receipts.ok()) return Failed(receipts.status());
  metrics_.CountAppends(receipts->size());
  for (const Receipt& r : *receipts) {
    if (r.kind == "rollback") metrics_.CountRollback(false);
  }
  if (hooks_.committed) hooks_.committed(*receipts);
  if (!batch) return Ok(RenderReceipt(receipts->front(), *format), *format);
  if (*format != Format::kJson) {
    std::string out;
    for (const Receipt& r : *receipts) out += RenderReceipt(r, *format);
    return Ok(out, *format);
  }
  std::string out = "{\"receipts\":[";
  for (size_t i = 0; i < receipts->size(); ++i) {
    std::string one = RenderReceipt((*receipts)[i], Format::kJson);
    one.pop_back();  // the newline
    out += (i ? "," : "") + one;
  }
  return Ok(out + "]}\n", Format::kJson);
}

ApiResponse HttpApi::RawEntries(const Target& t) {
  if (Status s = OnlyParams(t, {"from", "limit"}); !s.ok()) return Failed(s);
  if (auto behind = Behind(t)) return *behind;
  auto from_text = t.One("from");
  if (!from_text.ok()) return Failed(from_text.status());
  if (!*from_text) return Error(400, "bad_request", "?from=SEQ is required (the first entry)");
  auto from = ParseSeq("?from", **from_text);
  if (!from.ok()) return Failed(from.status());
  uint64_t limit = kMaxFetchEntries;
  auto limit_text = t.One("limit");
  if (!limit_text.ok()) return Failed(limit_text.status());
  if (*limit_text) {
    auto n = ParseSeq("?limit", **limit_text);
    if (!n.ok() || *n == 0 || *n > kMaxFetchEntries) {
      return Error(
          400, "bad_request",
          "?limit '" + **limit_text + "' is not between 1 and " + std::to_string(kMaxFetchEntries));
    }
    limit = *n;
  }
  auto head = svc_.LedgerHead();
  if (!head.ok()) return Failed(head.status());
  if (*from > head->size) {
    return Error(404, "not_found",
                 "?from " + std::to_string(*from) + " is past the head (this ledger holds " +
                     std::to_string(head->size) + " entries)");
  }
  std::string body;
  const uint64_t to = *from + std::min(limit, head->size - *from);
  // Scan stops at the first non-OK status: once the body is full, that status only stops it.
  bool full = false;
  Status st = svc_.log().Scan(*from, to, [&](uint64_t, std::string_view raw) {
    if (!body.empty() && body.size() + 4 + raw.size() > kMaxFetchBytes) {
      full = true;
      return Status::Refused("the answer is full");
    }
    AppendToBatch(&body, raw);
    return Status::OK();
  });
  if (!st.ok() && !full) return Failed(st);
  ApiResponse r{200, "application/octet-stream", std::move(body)};
  r.headers.emplace_back("X-Dvs-Entries", std::to_string(head->size));
  return r;
}

ApiResponse HttpApi::Tick(const Target& t) {
  if (!hooks_.tick) return Error(503, "no_controller", "this server runs without a controller key");
  auto format_name = t.One("format");
  if (!format_name.ok()) return Failed(format_name.status());
  auto format = ParseFormat(format_name->value_or("json"));
  if (!format.ok()) return Failed(format.status());
  std::vector<std::string> services;
  auto [lo, hi] = t.query.equal_range("service");
  for (auto it = lo; it != hi; ++it) services.push_back(it->second);
  auto outcomes = hooks_.tick(services);
  if (!outcomes.ok()) return Failed(outcomes.status());
  return Ok(RenderTick(*outcomes, *format), *format);
}

Result<HttpApi::EventsQuery> HttpApi::ParseEvents(const ApiRequest& req) {
  DVS_ASSIGN_OR_RETURN(Target t, Target::Parse(req.target));
  EventsQuery q;
  DVS_ASSIGN_OR_RETURN(auto from, t.One("from"));
  if (from) {
    DVS_ASSIGN_OR_RETURN(q.from, ParseSeq("?from", *from));
  }
  if (!req.last_event_id.empty()) {
    const std::string& id = req.last_event_id;
    const size_t dot = id.find('.');
    DVS_ASSIGN_OR_RETURN(uint64_t last, ParseSeq("Last-Event-ID", id.substr(0, dot)));
    if (dot == std::string::npos) {
      if (last == UINT64_MAX) return Status::InvalidArgument("Last-Event-ID is out of range");
      q.from = last + 1;
    } else {
      DVS_ASSIGN_OR_RETURN(uint64_t k, ParseSeq("Last-Event-ID", id.substr(dot + 1)));
      if (k > 64) return Status::InvalidArgument("Last-Event-ID '" + id + "' names no event");
      q.from = last;
      q.skip = static_cast<size_t>(k) + 1;
    }
  }
  DVS_ASSIGN_OR_RETURN(auto follow, t.One("follow"));
  if (follow) {
    if (*follow == "false" || *follow == "0") {
      q.follow = false;
    } else if (*follow != "true" && *follow != "1") {
      return Status::InvalidArgument("?follow '" + *follow + "' is not true or false");
    }
  }
  return q;
}

Result<std::string> HttpApi::EventsText(uint64_t from, uint64_t to, size_t skip) {
  DVS_ASSIGN_OR_RETURN(std::vector<LogRow> rows, svc_.Log(from, to));
  std::string out;
  for (const LogRow& r : rows) {
    const std::vector<std::string> names = EventNames(r);
    for (size_t i = r.seq == from ? skip : 0; i < names.size(); ++i) {
      std::string id = std::to_string(r.seq);
      if (i + 1 < names.size()) id += "." + std::to_string(i);
      out += "id: " + id + "\nevent: " + names[i] + "\ndata: " + EventJson(r, names[i]) + "\n\n";
    }
  }
  return out;
}

}  // namespace dvs
