#include "tools/cli/serve_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace dvs::cli {

namespace {
constexpr const char* kLockFile = "/serve.lock";
}

Result<ServeLock> ServeLock::Acquire(const std::string& ledger_dir) {
  const std::string path = ledger_dir + kLockFile;
  // O_CLOEXEC: routers and metrics providers run commands; a child must not keep the lock alive
  // after this process has gone.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  ServeLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      return Status::IOError("cannot lock " + path + ": " + std::strerror(errno));
    }
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Status::Refused("ledger " + ledger_dir + " is already served by dvs serve " +
                           (pid.empty() ? "(pid not yet written)" : "pid " + pid) + " (" + path +
                           "); one server, one controller per ledger");
  }
  const std::string mine = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size())) {
    return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  }
  return lock;
}

ServeLock::~ServeLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

}  // namespace dvs::cli
