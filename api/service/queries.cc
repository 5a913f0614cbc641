#include "api/service/queries.h"

#include <cctype>

namespace dvs {

namespace {

const char* FormatName(Format f) {
  switch (f) {
    case Format::kText:
      return "text";
    case Format::kCsv:
      return "csv";
    case Format::kJson:
      break;
  }
  return "json";
}

}  // namespace

std::string UrlEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Query Query::Status(std::string bundle_or_service) {
  Query q;
  q.kind = Kind::kStatus;
  q.target = std::move(bundle_or_service);
  return q;
}

Query Query::Routes() { return Query(); }

Query Query::Keys() {
  Query q;
  q.kind = Kind::kKeys;
  return q;
}

Query Query::StateAt(std::string seq_or_time) {
  Query q;
  q.kind = Kind::kState;
  q.target = std::move(seq_or_time);
  return q;
}

Query Query::History(std::string service) {
  Query q;
  q.kind = Kind::kHistory;
  q.target = std::move(service);
  return q;
}

Query Query::Log(uint64_t from, uint64_t to) {
  Query q;
  q.kind = Kind::kLog;
  q.from = from;
  q.to = to;
  return q;
}

Query Query::Audit(AuditQuery a) {
  Query q;
  q.kind = Kind::kAudit;
  q.audit = std::move(a);
  return q;
}

std::string Query::HttpTarget(Format f) const {
  std::string t;
  switch (kind) {
    case Kind::kStatus:
      t = "/v1/status/" + UrlEncode(target) + "?";
      break;
    case Kind::kRoutes:
      t = "/v1/routes?";
      break;
    case Kind::kKeys:
      t = "/v1/keys?";
      break;
    case Kind::kState:
      t = "/v1/state?at=" + UrlEncode(target) + "&";
      break;
    case Kind::kHistory:
      t = "/v1/history/" + UrlEncode(target) + "?";
      break;
    case Kind::kLog:
      t = "/v1/log?from=" + std::to_string(from) + "&";
      if (to != UINT64_MAX) t += "to=" + std::to_string(to) + "&";
      break;
    case Kind::kAudit:
      t = "/v1/audit?";
      for (auto [name, v] :
           {std::pair{"service", &audit.service}, std::pair{"bundle", &audit.bundle},
            std::pair{"actor", &audit.actor}, std::pair{"type", &audit.type}}) {
        if (!v->empty()) t += std::string(name) + "=" + UrlEncode(*v) + "&";
      }
      if (audit.since_ms) t += "since=" + std::to_string(*audit.since_ms) + "&";
      if (audit.until_ms) t += "until=" + std::to_string(*audit.until_ms) + "&";
      break;
  }
  return t + "format=" + FormatName(f);
}

Result<std::string> Answer(ReleaseService& svc, const Query& q, Format f, size_t width) {
  const bool rows = q.kind == Query::Kind::kHistory || q.kind == Query::Kind::kLog ||
                    q.kind == Query::Kind::kAudit;
  if (f == Format::kCsv && !rows) {
    return Status::InvalidArgument("format csv is for entry rows (log, history, audit); this "
                                   "answers text or json");
  }
  switch (q.kind) {
    case Query::Kind::kStatus: {
      auto b = svc.StatusOf(q.target);
      if (b.ok()) return RenderBundleStatus(*b, f);
      auto list = svc.StatusOfService(q.target);
      if (!list.ok())
        return Status::NotFound("'" + q.target + "' is neither a bundle nor a service");
      return RenderServiceStatus(q.target, *list, f, width);
    }
    case Query::Kind::kRoutes: {
      DVS_ASSIGN_OR_RETURN(auto routes, svc.Routes());
      return RenderRoutes(routes, f, width);
    }
    case Query::Kind::kKeys: {
      DVS_ASSIGN_OR_RETURN(auto state, svc.Current());
      return RenderKeys(*state, f, width);
    }
    case Query::Kind::kState: {
      DVS_ASSIGN_OR_RETURN(State state, svc.StateAsOf(q.target));
      return RenderStateAt(state, f, width);
    }
    case Query::Kind::kHistory: {
      DVS_ASSIGN_OR_RETURN(auto rows, svc.History(q.target));
      return RenderRows(rows, f, width);
    }
    case Query::Kind::kLog: {
      if (q.from > q.to) {
        return Status::InvalidArgument("from " + std::to_string(q.from) + " is after to " +
                                       std::to_string(q.to));
      }
      DVS_ASSIGN_OR_RETURN(auto rows, svc.Log(q.from, q.to == UINT64_MAX ? q.to : q.to + 1));
      return RenderRows(rows, f, width);
    }
    case Query::Kind::kAudit: {
      DVS_ASSIGN_OR_RETURN(auto rows, svc.Audit(q.audit));
      return RenderRows(rows, f, width);
    }
  }
  return Status::InvalidArgument("unknown query");
}

}  // namespace dvs
