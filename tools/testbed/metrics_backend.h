// A small HTTP backend the Prometheus tests and dvs-analysis-bench control: for each version it
// counts requests and errors and keeps a latency histogram, advancing them as traffic at the
// rate, error fraction and latency the test sets, and exposes them at /metrics in Prometheus'
// text format:
//   http_requests_total{version="9.0"}  http_errors_total{version="9.0"}
//   http_request_duration_seconds_bucket{version="9.0",le="0.1"} ... _sum ... _count
// A version with rate 0 exposes nothing (a query for it is empty). Other paths, for the web
// provider: /json/<name> answers the JSON the test set under <name>; /slow never answers in time.
#ifndef DVS_TOOLS_TESTBED_METRICS_BACKEND_H_
#define DVS_TOOLS_TESTBED_METRICS_BACKEND_H_

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "tools/testbed/loopback_listener.h"

namespace dvs::test {

class MetricsBackend {
 public:
  struct Traffic {
    double rate = 0;            // requests per second
    double error_fraction = 0;  // 0..1
    double latency_s = 0.05;
  };

  MetricsBackend() : advance_([this] { AdvanceLoop(); }) {}
  ~MetricsBackend() {
    stop_ = true;  // ends /slow answers, so that the listener can join their threads
    advance_.join();
  }

  int port() const { return listener_.port(); }
  std::string address() const { return listener_.address(); }

  void Set(const std::string& version, Traffic t) {
    std::lock_guard<std::mutex> l(mu_);
    traffic_[version] = t;
    series_[version];  // counters start at 0 and only grow, as a real process's do
  }
  void SetJson(const std::string& name, const std::string& json) {
    std::lock_guard<std::mutex> l(mu_);
    json_[name] = json;
  }

 private:
  static constexpr double kBuckets[] = {0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6};
  struct Series {
    double requests = 0, errors = 0, sum = 0;
    double buckets[std::size(kBuckets)] = {};
  };

  void AdvanceLoop() {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::lock_guard<std::mutex> l(mu_);
      for (auto& [v, t] : traffic_) {
        Series& s = series_[v];
        const double n = t.rate * 0.05;
        s.requests += n;
        s.errors += n * t.error_fraction;
        s.sum += n * t.latency_s;
        for (size_t i = 0; i < std::size(kBuckets); ++i)
          if (t.latency_s <= kBuckets[i]) s.buckets[i] += n;
      }
    }
  }

  std::string Exposition() {
    std::lock_guard<std::mutex> l(mu_);
    std::string out =
        "# TYPE http_requests_total counter\n# TYPE http_errors_total counter\n"
        "# TYPE http_request_duration_seconds histogram\n";
    char line[256];
    for (const auto& [v, s] : series_) {
      if (traffic_[v].rate == 0) continue;
      std::snprintf(line, sizeof(line), "http_requests_total{version=\"%s\"} %.3f\n", v.c_str(),
                    s.requests);
      out += line;
      std::snprintf(line, sizeof(line), "http_errors_total{version=\"%s\"} %.3f\n", v.c_str(),
                    s.errors);
      out += line;
      for (size_t i = 0; i < std::size(kBuckets); ++i) {
        std::snprintf(line, sizeof(line),
                      "http_request_duration_seconds_bucket{version=\"%s\",le=\"%g\"} %.3f\n",
                      v.c_str(), kBuckets[i], s.buckets[i]);
        out += line;
      }
      std::snprintf(line, sizeof(line),
                    "http_request_duration_seconds_bucket{version=\"%s\",le=\"+Inf\"} %.3f\n"
                    "http_request_duration_seconds_sum{version=\"%s\"} %.3f\n"
                    "http_request_duration_seconds_count{version=\"%s\"} %.3f\n",
                    v.c_str(), s.requests, v.c_str(), s.sum, v.c_str(), s.requests);
      out += line;
    }
    return out;
  }

  void Handle(int c) {
    const std::string req = ReadHttpRequest(c, 2000);
    const size_t sp = req.find(' '), sp2 = req.find(' ', sp + 1);
    const std::string path = sp == std::string::npos ? "" : req.substr(sp + 1, sp2 - sp - 1);
    std::string body, type = "application/json";
    int status = 200;
    if (path == "/metrics") {
      body = Exposition();
      type = "text/plain; version=0.0.4";
    } else if (path == "/slow") {
      for (int i = 0; i < 40 && !stop_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      body = "{}";
    } else if (path.rfind("/json/", 0) == 0) {
      std::lock_guard<std::mutex> l(mu_);
      auto it = json_.find(path.substr(6));
      status = it == json_.end() ? 404 : 200;
      body = it == json_.end() ? "not found" : it->second;
    } else {
      status = 404;
      body = "not found";
    }
    std::string head = "HTTP/1.1 " + std::to_string(status) +
                       (status == 200 ? " OK" : " Not Found") + "\r\nContent-Type: " + type +
                       "\r\nContent-Length: " + std::to_string(body.size()) +
                       "\r\nConnection: close\r\n\r\n";
    SendAll(c, head + body);
  }

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<std::string, Traffic> traffic_;   // GUARDED_BY(mu_)
  std::map<std::string, Series> series_;     // GUARDED_BY(mu_)
  std::map<std::string, std::string> json_;  // GUARDED_BY(mu_)
  std::thread advance_;
  // Last: destroyed first, so that no handler runs on the members above once they are gone.
  LoopbackListener listener_{[this](int c) { Handle(c); },
                             LoopbackListener::Threads::kPerConnection};
};

}  // namespace dvs::test

#endif  // DVS_TOOLS_TESTBED_METRICS_BACKEND_H_
