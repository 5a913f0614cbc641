// A Server-Sent Events subscriber for tests: collects frames on its own thread.
#ifndef DVS_TESTS_SERVE_SSE_CLIENT_H_
#define DVS_TESTS_SERVE_SSE_CLIENT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/http/http_client.h"

namespace dvs::test {

struct SseEvent {
  uint64_t seq = 0;  // the entry's seq (from its data's "seq")
  std::string id;    // "SEQ" or "SEQ.K"
  std::string event, data;
  // The "bundle" field of the data.
  std::string bundle() const {
    size_t at = data.find("\"bundle\":\"");
    if (at == std::string::npos) return "";
    at += 10;
    return data.substr(at, data.find('"', at) - at);
  }
};

class SseClient {
 public:
  // Subscribes to `target`; with `last_event_id`, sends it as Last-Event-ID. Stops by itself
  // after `max_events` events when nonzero.
  SseClient(const HttpUrl& url, const std::string& target, const std::string& last_event_id = "",
            size_t max_events = 0)
      : s_(std::make_shared<Shared>(url)) {
    thread_ = std::thread([s = s_, target, last_event_id, max_events] {
      HttpHeaders h;
      if (!last_event_id.empty()) h.emplace_back("Last-Event-ID", last_event_id);
      std::string pending;
      SseEvent cur;
      auto r = s->conn.Stream(target, h, [&](std::string_view data) {
        pending.append(data);
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
          std::string line = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          if (line.rfind("id: ", 0) == 0) cur.id = line.substr(4);
          if (line.rfind("event: ", 0) == 0) cur.event = line.substr(7);
          if (line.rfind("data: ", 0) == 0) {
            cur.data = line.substr(6);
            size_t at = cur.data.find("\"seq\":");
            if (at != std::string::npos) cur.seq = std::stoull(cur.data.substr(at + 6));
          }
          if (line.empty() && !cur.event.empty()) {
            std::lock_guard<std::mutex> l(s->mu);
            s->events.push_back(cur);
            cur = SseEvent{};
            if (max_events != 0 && s->events.size() >= max_events) return false;
          }
        }
        return !s->stop;
      });
      s->status = r.ok() ? *r : -1;
      s->done = true;
    });
  }
  ~SseClient() {
    s_->stop = true;
    // A stream blocked in read ends with the server; the thread owns what it touches.
    if (thread_.joinable()) thread_.detach();
  }
  std::vector<SseEvent> events() {
    std::lock_guard<std::mutex> l(s_->mu);
    return s_->events;
  }
  bool done() const { return s_->done; }
  int status() const { return s_->status; }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Shared {
    explicit Shared(const HttpUrl& url) : conn(url, 10'000) {}
    HttpConnection conn;
    std::mutex mu;
    std::vector<SseEvent> events;
    std::atomic<bool> stop{false}, done{false};
    std::atomic<int> status{0};
  };
  std::shared_ptr<Shared> s_;
  std::thread thread_;
};

}  // namespace dvs::test

#endif  // DVS_TESTS_SERVE_SSE_CLIENT_H_
