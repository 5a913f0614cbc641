// BundleStatus: a bundle as users see it (`dvs status BUNDLE`), plain values only.
//
// A snapshot: it does not change when the ledger does; read it again for news.
#ifndef DVS_BUNDLE_STATUS_H_
#define DVS_BUNDLE_STATUS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dvs {

struct BundleStatus {
  std::string bundle;  // the bundle id (what `dvs package` printed)
  std::string service, version, version_tag;
  // "packaged", "approved", "rejected", "canary", "paused", "stable", "superseded",
  // "rolled_back", "retired"
  std::string state;
  std::string role;        // its route now: "stable", "canary", "warm", or empty when it has none
  uint32_t weight = 0;     // its traffic %
  std::string digest_hex;  // SHA-256 of the stored manifest bytes
  std::string approved_by, reason, packaged_by;
  uint64_t packaged_seq = 0;
  std::optional<uint64_t> approved_seq;
  uint32_t step_pct = 0;  // the manifest's ramp step
  // The manifest's conditions, as written ("latency_ms < 200", "error_rate > baseline * 2").
  std::vector<std::string> promote_when, rollback_when;
  std::map<std::string, double> metrics;  // the latest observation, by metric name
  uint64_t samples = 0;
  int64_t observed_ms = 0;  // its log time (unix milliseconds); 0 when never observed
  // What each router last confirmed serving for this bundle (Confirm entries), by router.
  struct Confirmed {
    std::string router;
    uint32_t weight = 0;
    uint64_t seq = 0;
    int64_t time_ms = 0;
  };
  std::vector<Confirmed> confirmed;
};

}  // namespace dvs

#endif  // DVS_BUNDLE_STATUS_H_
