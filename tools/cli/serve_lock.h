// One `dvs serve` per ledger. Two servers on one ledger would be two controllers deciding the
// same rollouts and two sets of routers fighting over the same proxies; the ledger itself would
// stay consistent (its writes are serialized), so nothing else stops the second one.
//
// The lock is flock(2) on DIR/serve.lock, held for the life of the process: the kernel releases
// it when the process exits, however it exits (SIGKILL included), so a crashed server never
// leaves a stale lock. The file holds the holder's pid, for the refusal's message only; the file
// itself stays behind and means nothing while no process holds the lock.
#ifndef DVS_TOOLS_CLI_SERVE_LOCK_H_
#define DVS_TOOLS_CLI_SERVE_LOCK_H_

#include <string>

#include "ledger/status.h"

namespace dvs::cli {

class ServeLock {
 public:
  // Takes the lock for the ledger in `ledger_dir` (which must exist) and writes this process's
  // pid into the lock file. Refused ("ledger DIR is already served by dvs serve pid N") when
  // another process holds it; IOError when the file cannot be opened or locked.
  static Result<ServeLock> Acquire(const std::string& ledger_dir);

  ServeLock(ServeLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ServeLock& operator=(ServeLock&&) = delete;
  ServeLock(const ServeLock&) = delete;
  ~ServeLock();  // releases the lock

 private:
  explicit ServeLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace dvs::cli

#endif  // DVS_TOOLS_CLI_SERVE_LOCK_H_
