#include "dvs/client.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "dvs/events.h"
#include "dvs/http_client.h"

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

  ReleaseService* local() override { return svc_.get(); }

 private:
  std::unique_ptr<ReleaseService> svc_;
  std::unique_ptr<LedgerWatcher> watcher_;
};

class Remote final : public Client {
 public:
  Remote(HttpUrl url, int timeout_ms) : url_(std::move(url)), timeout_ms_(timeout_ms) {}

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

  Result<uint64_t> WaitBeyond(uint64_t known, int timeout_ms) override {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      DVS_ASSIGN_OR_RETURN(HttpReply reply, Call("GET", "/healthz", ""));
      auto doc = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
      if (!doc.is_object() || !doc.contains("entries") || !doc["entries"].is_number_unsigned())
        return Status::Corruption("the server's /healthz does not say how many entries it has");
      const uint64_t size = doc["entries"].get<uint64_t>();
      if (size > known || std::chrono::steady_clock::now() >= until) return size;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

 private:
  Result<HttpReply> Call(const std::string& method, const std::string& target,
                         const std::string& body) {
    DVS_ASSIGN_OR_RETURN(HttpReply reply, HttpCall(url_, method, target, body, {}, timeout_ms_));
    if (reply.status < 400) return reply;
    return RefusalOf(reply);
  }

  HttpUrl url_;
  int timeout_ms_;
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

Result<std::unique_ptr<Client>> RemoteClient(const std::string& url, int timeout_ms) {
  DVS_ASSIGN_OR_RETURN(HttpUrl u, HttpUrl::Parse(url));
  return std::unique_ptr<Client>(std::make_unique<Remote>(std::move(u), timeout_ms));
}

}  // namespace dvs
