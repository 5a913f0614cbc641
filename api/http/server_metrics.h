// The counters of `dvs serve`, rendered in the Prometheus text format (version 0.0.4) at /metrics.
// Thread safety: every method may be called from any thread.
#ifndef DVS_API_HTTP_SERVER_METRICS_H_
#define DVS_API_HTTP_SERVER_METRICS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "api/service/release_service.h"

namespace dvs {

class ServerMetrics {
 public:
  void CountAppends(uint64_t n);
  // `reason`: a short label such as "forbidden", "refused", "bad_signature", "bad_request".
  void CountRefusal(const std::string& reason);
  void CountRollback(bool automatic);
  void CountRequest(int http_status);
  void ObserveTick(double seconds);
  void CountRouterApply(const std::string& router, bool ok);
  void SetSubscribers(int64_t delta);

  // The whole exposition; `ledger_size` is the head's entry count.
  std::string Prometheus(uint64_t ledger_size, CommitStats commits) const;

  uint64_t router_failures(const std::string& router) const;

 private:
  mutable std::mutex mu_;
  uint64_t appends_ = 0;
  std::map<std::string, uint64_t> refusals_;
  uint64_t rollbacks_manual_ = 0, rollbacks_automatic_ = 0;
  std::map<int, uint64_t> requests_;
  uint64_t ticks_ = 0;
  double tick_seconds_sum_ = 0, tick_seconds_max_ = 0;
  std::map<std::string, uint64_t> router_ok_, router_failed_;
  int64_t subscribers_ = 0;
};

}  // namespace dvs

#endif  // DVS_API_HTTP_SERVER_METRICS_H_
