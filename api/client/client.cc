#include "api/client/client.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "api/http/http_client.h"
#include "api/manifest/manifest.h"
#include "api/service/events.h"
#include "api/service/transitions.h"
#include "ledger/hash.h"
#include "statemachine/manifest_rules.h"

namespace dvs {

namespace {

class Local final : public Client {
 public:
  explicit Local(std::unique_ptr<ReleaseService> svc) : svc_(std::move(svc)) {}

  Result<std::string> Read(const Query& q, Format f, size_t width) override {
    return Answer(*svc_, q, f, width);
  }

  Result<std::string> Submit(const SignedBody& body, Format f) override {
    DVS_ASSIGN_OR_RETURN(Receipt r, svc_->SubmitSigned(body));
    return RenderReceipt(r, f);
  }

  Result<uint64_t> WaitBeyond(uint64_t known, int timeout_ms) override {
    if (watcher_ == nullptr) {
      DVS_ASSIGN_OR_RETURN(watcher_, LedgerWatcher::Watch(svc_->dir()));
    }
    return watcher_->WaitBeyond(
        known,
        [&]() -> Result<uint64_t> {
          DVS_ASSIGN_OR_RETURN(Head h, svc_->LedgerHead());
          return h.size;
        },
        timeout_ms);
  }

  Result<std::string> Package(const SecretKey& key, const sm::Manifest& m, Format f) override {
    DVS_ASSIGN_OR_RETURN(Receipt r, svc_->PackageReceipt(key, m));
    return f == Format::kText ? r.bundle + "\n" : RenderReceipt(r, f);
  }

  Result<std::string> Tick(const std::vector<std::string>& services, const SecretKey* controller,
                           Format f) override {
    if (controller == nullptr) return Status::InvalidArgument("tick: a controller key is needed");
    DVS_ASSIGN_OR_RETURN(std::vector<TickOutcome> outcomes, svc_->Tick(*controller, services));
    return RenderTick(outcomes, f);
  }

  Result<std::string> Promote(const SecretKey& key, const std::string& bundle, bool full,
                              Format f) override {
    DVS_ASSIGN_OR_RETURN(Receipt r, svc_->Promote(key, bundle, full));
    return RenderReceipt(r, f);
  }

  Status Events(uint64_t from, bool follow,
                const std::function<bool(const std::string&)>& line) override {
    for (uint64_t next = from;;) {
      DVS_ASSIGN_OR_RETURN(std::vector<LogRow> rows, svc_->Log(next, UINT64_MAX));
      for (const LogRow& r : rows) {
        for (const std::string& e : EventNames(r)) {
          if (!line(EventJson(r, e))) return Status::OK();
        }
        next = r.seq + 1;
      }
      if (!follow) return Status::OK();
      // Woken by any process's next commit; the timeout is only a safety net.
      DVS_RETURN_IF_ERROR(WaitBeyond(next, 60'000).status());
    }
  }

  ReleaseService* local() override { return svc_.get(); }

 private:
  std::unique_ptr<ReleaseService> svc_;
  std::unique_ptr<LedgerWatcher> watcher_;
};

class Remote final : public Client {
 public:
  Remote(HttpUrl url, int timeout_ms, std::optional<uint64_t> min_seq)
      : url_(std::move(url)), timeout_ms_(timeout_ms), min_seq_(min_seq) {}

  Result<std::string> Read(const Query& q, Format f, size_t) override {
    DVS_ASSIGN_OR_RETURN(HttpReply reply, Call("GET", q.HttpTarget(f), ""));
    return reply.body;
  }

  Result<std::string> Submit(const SignedBody& body, Format f) override {
    DVS_ASSIGN_OR_RETURN(HttpReply reply,
                         Call("POST",
                              std::string("/v1/entries?format=") +
                                  (f == Format::kJson ? "json" : "text"),
                              SignedBodyJson(body)));
    return reply.body;
  }

  // The server answers identical content already packaged as a local ledger does (the receipt of
  // the entry that holds it, nothing appended).
  Result<std::string> Package(const SecretKey& key, const sm::Manifest& m, Format f) override {
    DVS_RETURN_IF_ERROR(ValidateManifest(m));
    const std::string bytes = EncodeManifest(m);
    SignedBody body = SignTransition(key, make::Package(bytes));
    if (f != Format::kText) return Submit(body, f);
    DVS_RETURN_IF_ERROR(Submit(body, Format::kJson).status());
    return BundleId(m, Sha256(bytes)) + "\n";
  }

  Result<std::string> Tick(const std::vector<std::string>& services, const SecretKey*,
                           Format f) override {
    std::string target = std::string("/v1/tick?format=") + (f == Format::kJson ? "json" : "text");
    for (const std::string& s : services) target += "&service=" + UrlEncode(s);
    DVS_ASSIGN_OR_RETURN(HttpReply reply, Call("POST", target, ""));
    return reply.body;
  }

  Result<std::string> Promote(const SecretKey& key, const std::string& bundle, bool full,
                              Format f) override {
    DVS_ASSIGN_OR_RETURN(HttpReply status,
                         Call("GET", "/v1/status/" + UrlEncode(bundle) + "?format=json", ""));
    auto doc = nlohmann::json::parse(status.body, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object()) return Status::Corruption("the server's status is not JSON");
    const bool canary = doc.value("role", "") == "canary";
    return Submit(SignTransition(key, make::Promote(bundle, full, canary, doc.value("weight", 0u),
                                                    doc.value("step_pct", 0u))),
                  f);
  }

  // The server's Server-Sent Events stream; a dropped stream is resumed from the last whole event
  // (Last-Event-ID), so nothing is missed or repeated.
  Status Events(uint64_t from, bool follow,
                const std::function<bool(const std::string&)>& line) override {
    const std::string target =
        "/v1/events?from=" + std::to_string(from) + "&follow=" + (follow ? "true" : "false");
    std::string last_id;
    for (int failures = 0;;) {
      HttpConnection c(url_, 10'000);
      HttpHeaders headers;
      if (!last_id.empty()) headers.emplace_back("Last-Event-ID", last_id);
      std::string pending, frame_id;
      bool stopped = false;
      auto st = c.Stream(target, headers, [&](std::string_view data) {
        pending.append(data);
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
          std::string l = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          if (l.rfind("id: ", 0) == 0) {
            frame_id = l.substr(4);
          } else if (l.rfind("data: ", 0) == 0) {
            if (!line(l.substr(6))) {
              stopped = true;
              return false;
            }
          } else if (l.empty() && !frame_id.empty()) {
            last_id = frame_id;  // a whole event was received
          }
        }
        return true;
      });
      if (stopped) return Status::OK();
      if (st.ok() && *st != 200) {
        // The stream was refused: the same query as a plain request says why.
        auto reply =
            CallOnce("GET", "/v1/events?from=" + std::to_string(from) + "&follow=false", "");
        return reply.ok() ? Status::Refused("server answered " + std::to_string(*st))
                          : reply.status();
      }
      if (!follow) return st.ok() ? Status::OK() : st.status();
      if (!st.ok() && ++failures > 30) return st.status();
      if (st.ok()) failures = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(st.ok() ? 100 : 1000));
    }
  }

  Result<uint64_t> WaitBeyond(uint64_t known, int timeout_ms) override {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      DVS_ASSIGN_OR_RETURN(HttpReply reply, CallOnce("GET", "/healthz", ""));
      auto doc = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object() || !doc.contains("entries") || !doc["entries"].is_number_unsigned())
        return Status::Corruption("the server's /healthz does not say how many entries it has");
      const uint64_t size = doc["entries"].get<uint64_t>();
      if (size > known || std::chrono::steady_clock::now() >= until) return size;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

 private:
  // A read with a min_seq waits (retrying within the timeout) while the server is behind it.
  Result<HttpReply> Call(const std::string& method, const std::string& target,
                         const std::string& body) {
    if (method != "GET" || !min_seq_) return CallOnce(method, target, body);
    const std::string at_least = target + (target.find('?') == std::string::npos ? "?" : "&") +
                                 "min_seq=" + std::to_string(*min_seq_);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    for (;;) {
      DVS_ASSIGN_OR_RETURN(HttpReply reply,
                           HttpCall(url_, method, at_least, body, {}, timeout_ms_));
      if (reply.status < 400) return reply;
      const bool behind = reply.status == 503 && reply.body.find("\"behind\"") != std::string::npos;
      if (!behind || std::chrono::steady_clock::now() >= until) return RefusalOf(reply);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  Result<HttpReply> CallOnce(const std::string& method, const std::string& target,
                             const std::string& body) {
    DVS_ASSIGN_OR_RETURN(HttpReply reply, HttpCall(url_, method, target, body, {}, timeout_ms_));
    if (reply.status < 400) return reply;
    return RefusalOf(reply);
  }

  HttpUrl url_;
  int timeout_ms_;
  std::optional<uint64_t> min_seq_;
};

}  // namespace

Status RefusalOf(const HttpReply& reply) {
  // The server's JSON error: {"error": "...", "reason": "..."}; quoted as is when not.
  std::string message = reply.body;
  auto doc = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("error") && doc["error"].is_string())
    message = doc["error"].get<std::string>();
  while (!message.empty() && message.back() == '\n') message.pop_back();
  message = "server answered " + std::to_string(reply.status) + ": " + message;
  switch (reply.status) {
    case 400:
      return Status::InvalidArgument(message);
    case 404:
      return Status::NotFound(message);
    case 401:
    case 403:
      return Status::Forbidden(message);
    default:
      return Status::Refused(message);
  }
}

std::unique_ptr<Client> LocalClient(std::unique_ptr<ReleaseService> svc) {
  return std::make_unique<Local>(std::move(svc));
}

Result<std::unique_ptr<Client>> RemoteClient(const std::string& url, int timeout_ms,
                                             std::optional<uint64_t> min_seq) {
  DVS_ASSIGN_OR_RETURN(HttpUrl u, HttpUrl::Parse(url));
  return std::unique_ptr<Client>(std::make_unique<Remote>(std::move(u), timeout_ms, min_seq));
}

}  // namespace dvs
