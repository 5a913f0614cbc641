#include "api/controller/notifiers.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "api/controller/routers.h"
#include "api/http/http_client.h"
#include "api/render/json.h"
#include "api/service/events.h"
#include "ledger/files.h"
#include "ledger/hash.h"

namespace dvs {

namespace {

// The ledger kinds that are deploy events, and their CloudEvents type.
const char* DeployEventType(const std::string& kind) {
  static const std::map<std::string, const char*> kTypes = {
      {"deploy", "dvs.deploy.start"},     {"ramp", "dvs.deploy.ramp"},
      {"pause", "dvs.deploy.paused"},     {"resume", "dvs.deploy.resumed"},
      {"promote", "dvs.deploy.promoted"}, {"rollback", "dvs.deploy.rollback"},
      {"retire", "dvs.deploy.retired"},   {"confirm", "dvs.deploy.confirmed"},
  };
  auto it = kTypes.find(kind);
  return it == kTypes.end() ? nullptr : it->second;
}

constexpr uint64_t kBatch = 256;  // entries read from the ledger at a time

}  // namespace

std::string CloudEventJson(const std::string& ledger_name, const LogRow& row) {
  const char* type = DeployEventType(row.kind);
  if (type == nullptr) return "";
  const std::string event = EventNames(row).front();
  Json j;
  j.BeginObject().Key("specversion").String("1.0");
  j.Key("id").String(std::to_string(row.seq));
  j.Key("source").String("dvs:" + ledger_name);
  j.Key("type").String(type);
  j.Key("time").String(Rfc3339Time(row.time_ms));
  j.Key("subject").String(row.bundle.empty() ? row.service : row.bundle);
  j.Key("datacontenttype").String("application/json");
  j.Key("data");
  WriteRowJson(j, row, &event);
  j.EndObject();
  return j.str();
}

Result<std::unique_ptr<Notifier>> Notifier::Make(const std::string& spec, ReleaseService& svc,
                                                 const SecretKey& key,
                                                 const std::string& cursor_file, Logger log) {
  const size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (colon == std::string::npos || arg.empty() || (kind != "webhook" && kind != "exec")) {
    return Status::InvalidArgument("notifier '" + spec + "' is not webhook:URL or exec:CMD");
  }
  if (kind == "webhook") {
    auto url = HttpUrl::Parse(arg);
    if (!url.ok()) {
      return Status::InvalidArgument("notifier '" + spec + "': " + url.status().message() +
                                     " (webhooks are http://HOST:PORT/PATH)");
    }
  }
  return std::unique_ptr<Notifier>(new Notifier(spec, svc, key, cursor_file, std::move(log)));
}

Notifier::Notifier(std::string spec, ReleaseService& svc, const SecretKey& key,
                   std::string cursor_file, Logger log)
    : spec_(std::move(spec)),
      cursor_file_(std::move(cursor_file)),
      svc_(svc),
      key_(key),
      log_(std::move(log)) {
  kind_ = spec_.substr(0, spec_.find(':'));
  target_ = spec_.substr(spec_.find(':') + 1);
  thread_ = std::thread([this] { Loop(); });
}

Notifier::~Notifier() { Stop(); }

void Notifier::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Notifier::Wake() {
  {
    std::lock_guard<std::mutex> l(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

uint64_t Notifier::LoadCursor() {
  auto state = svc_.Current();
  const uint64_t head = state.ok() ? (*state)->size : 0;
  std::ifstream in(cursor_file_);
  if (!in) return head;  // a new notifier: from now on
  std::string text;
  std::getline(in, text);
  uint64_t next = 0;
  bool ok = !text.empty() && text.size() <= 20 &&
            std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (ok) {
    next = std::stoull(text);
    ok = next <= head;
  }
  if (!ok) {
    log_("notify " + spec_ + ": cursor file " + cursor_file_ + " holds '" + text.substr(0, 40) +
         "', not a seq within the ledger; delivering again from the start");
    return 0;
  }
  return next;
}

void Notifier::SaveCursor(uint64_t next) {
  Status s = ReplaceRegularFile(cursor_file_, std::to_string(next) + "\n", 0600);
  if (!s.ok()) {
    log_("notify " + spec_ + ": " + s.ToString());
    return;
  }
  saved_ = next;
}

Status Notifier::Deliver(const std::string& body) {
  const std::string signature = ToBase64(key_.Sign(kNotificationContext, body));
  const std::string key_id = key_.public_key().Id();
  if (kind_ == "exec") {
    // Exported, so that every command of a compound CMD sees them (base64 and hex need no quotes).
    return RunCommand(
        "export DVS_SIGNATURE=" + signature + " DVS_KEY_ID=" + key_id + "; " + target_, body,
        10'000);
  }
  auto url = HttpUrl::Parse(target_);
  if (!url.ok()) return url.status();
  auto reply = HttpCall(*url, "POST", "", body,
                        {{"Content-Type", "application/cloudevents+json"},
                         {"Dvs-Signature", signature},
                         {"Dvs-Key-Id", key_id}},
                        10'000);
  if (!reply.ok()) return reply.status();
  if (reply->status < 200 || reply->status > 299) {
    return Status::IOError("webhook " + target_ + " answered " + std::to_string(reply->status));
  }
  return Status::OK();
}

void Notifier::Loop() {
  uint64_t next = LoadCursor();  // the first seq not yet acknowledged
  saved_ = next;
  std::string ledger_name;
  int backoff_ms = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      if (backoff_ms == 0) {
        cv_.wait(l, [&] { return stop_ || woken_; });
      } else {
        cv_.wait_for(l, std::chrono::milliseconds(backoff_ms), [&] { return stop_; });
      }
      if (stop_) return;
      woken_ = false;
    }
    auto state = svc_.Current();
    if (!state.ok()) continue;
    ledger_name = (*state)->ledger_name;
    const uint64_t head = (*state)->size;
    bool failed = false;
    while (next < head && !failed) {
      auto rows = svc_.Log(next, std::min(head, next + kBatch));
      if (!rows.ok()) {
        log_("notify " + spec_ + ": " + rows.status().ToString());
        failed = true;
        break;
      }
      for (const LogRow& row : *rows) {
        const std::string body = CloudEventJson(ledger_name, row);
        if (!body.empty()) {
          Status s = Deliver(body);
          if (!s.ok()) {
            backoff_ms = std::min(backoff_ms == 0 ? 100 : backoff_ms * 2, 10'000);
            log_("notify " + spec_ + ": event " + std::to_string(row.seq) + ": " + s.message() +
                 " (retrying in " + std::to_string(backoff_ms) + " ms)");
            failed = true;
            break;
          }
        }
        next = row.seq + 1;
        backoff_ms = 0;
        if (!body.empty()) SaveCursor(next);  // acknowledged: never delivered again
        std::lock_guard<std::mutex> l(mu_);
        if (stop_) return;
      }
    }
    if (next != saved_) SaveCursor(next);  // past entries that are not deploy events
  }
}

}  // namespace dvs
