// Notifiers: every deploy event of the ledger, delivered to people's systems as it commits.
//
//   webhook:URL  POSTs each event to URL (http://HOST:PORT/PATH); a 2xx answer acknowledges it
//   exec:CMD     runs `/bin/sh -c CMD` with the event on stdin; exit 0 acknowledges it
//
// Each event is a CloudEvents 1.0 JSON document (structured mode, `application/cloudevents+json`):
// id = the entry's ledger seq, source = dvs:LEDGER_NAME, type = dvs.deploy.start, .ramp,
// .paused, .resumed, .promoted, .rollback, .retired, .confirmed, time = the entry's log time,
// subject = the bundle (the service for confirmations), data = the entry as `dvs events` prints
// it (reason, weights before and after, evidence seqs with their metrics). The body is signed
// with the controller's key: Ed25519 over kNotificationContext || body, base64 in the header
// `Dvs-Signature`, the key id in `Dvs-Key-Id` (webhook), or in $DVS_SIGNATURE and $DVS_KEY_ID
// (exec).
//
// Delivery is at least once and in ledger order: an event is retried with exponential backoff
// (100 ms doubling to 10 s) until acknowledged, and the next waits for it. The last acknowledged
// seq is kept in a small file per notifier (written atomically); after a restart delivery resumes
// after it. That file is derived and untrusted: a value that is not a number, or is past the
// ledger's head, is ignored (delivery resumes from the start: receivers de-duplicate by id). A
// new notifier without a file starts at the ledger's head. Each notifier has its own thread: a
// receiver that is down delays nothing but its own events.
#ifndef DVS_API_CONTROLLER_NOTIFIERS_H_
#define DVS_API_CONTROLLER_NOTIFIERS_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/service/release_service.h"
#include "ledger/keys.h"

namespace dvs {

// What a notification's signature covers before the body (domain separation).
inline constexpr std::string_view kNotificationContext = "dvs/v1 notification\n";

// The CloudEvents document for one entry's deploy event, or "" when the entry is not a deploy
// event (keys, policy, packaging, observations, checkpoints).
std::string CloudEventJson(const std::string& ledger_name, const LogRow& row);

class Notifier {
 public:
  using Logger = std::function<void(const std::string&)>;
  // `spec` is webhook:URL or exec:CMD; `cursor_file` keeps the last acknowledged seq. The
  // service and key must outlive the notifier. InvalidArgument naming a bad spec.
  static Result<std::unique_ptr<Notifier>> Make(const std::string& spec, ReleaseService& svc,
                                                const SecretKey& key,
                                                const std::string& cursor_file, Logger log);
  ~Notifier();  // stops the thread

  const std::string& spec() const { return spec_; }
  // The ledger grew: deliver what is new. Cheap; never blocks on the receiver.
  void Wake();
  void Stop();

 private:
  Notifier(std::string spec, ReleaseService& svc, const SecretKey& key, std::string cursor_file,
           Logger log);
  void Loop();
  Status Deliver(const std::string& body);
  uint64_t LoadCursor();
  void SaveCursor(uint64_t next);

  std::string spec_, kind_, target_, cursor_file_;
  ReleaseService& svc_;
  const SecretKey& key_;
  Logger log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false, woken_ = true;
  uint64_t saved_ = 0;  // the cursor as last written (notifier thread only)
  std::thread thread_;
};

}  // namespace dvs

#endif  // DVS_API_CONTROLLER_NOTIFIERS_H_
