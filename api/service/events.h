// Events: every committed transition is one or more events, in seq order, e.g.
//   {"seq":25,"event":"deploy.promoted","time":"...","service":"tax_calc","bundle":"...",...}
// Names: ledger.genesis, key.granted, key.revoked, policy.set, deploy.packaged, deploy.approved,
// deploy.rejected, deploy.start, deploy.observed, deploy.ramp, deploy.paused, deploy.resumed,
// deploy.promoted, deploy.rollback, deploy.retired; a promote or rollback is followed by a
// deploy.outcome event of the same seq ("outcome": "promoted" | "rolled_back").
#ifndef DVS_API_EVENTS_H_
#define DVS_API_EVENTS_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/service/release_service.h"

namespace dvs {

// The event names of one entry, in order.
std::vector<std::string> EventNames(const LogRow& row);
// One entry row as a JSON object: seq, time, type, actor, key_id, bundle, service, detail,
// automatic, weight_before/weight_after (when it concerns a bundle), evidence (when automatic).
// With `event`, also "event" (and "outcome" for deploy.outcome). What dvs audit --json, dvs events
// and the server print.
void WriteRowJson(class Json& j, const LogRow& row, const std::string* event = nullptr);
// One event as a JSON object (no newline).
std::string EventJson(const LogRow& row, const std::string& event);

// Waits for a ledger to change, without polling: inotify on its data file, which every commit
// writes, by any process.
class LedgerWatcher {
 public:
  static Result<std::unique_ptr<LedgerWatcher>> Watch(const std::string& dir);
  ~LedgerWatcher();
  // Returns when the ledger's file was written or `timeout_ms` passed (true when written).
  Result<bool> Wait(int timeout_ms);
  // Returns once size() > known, or after timeout_ms (with the last size seen). LMDB publishes a
  // commit to readers through shared memory just after its last write to the file, so a wake-up
  // can precede visibility by microseconds: after each wake-up the size is re-read a few times
  // with a short backoff (bounded, and only after a real write) before waiting again.
  Result<uint64_t> WaitBeyond(uint64_t known, const std::function<Result<uint64_t>()>& size,
                              int timeout_ms);

 private:
  explicit LedgerWatcher(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace dvs

#endif  // DVS_API_EVENTS_H_
