#include "ledger/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace dvs {

namespace {

const char* KindOf(mode_t m) {
  if (S_ISLNK(m)) return "a symbolic link";
  if (S_ISDIR(m)) return "a directory";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

}  // namespace

Status CheckReplaceable(const std::string& path) {
  // The file is written beside itself and renamed over: its folder must exist and take writes.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat ds;
  if (::stat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode)) {
    return Status::IOError(path + ": its folder " + dir + " does not exist");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status::PermissionDenied(path + ": cannot write into " + dir + ": " +
                                    std::strerror(errno));
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Status::IOError(path + ": cannot inspect: " + std::strerror(errno));
  }
  if (S_ISREG(st.st_mode)) return Status::OK();
  return Status::InvalidArgument(path + " is " + KindOf(st.st_mode) +
                                 "; refusing to replace it (name a regular file)");
}

namespace {

Status WriteAll(int fd, const std::string& data, const std::string& name) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(name + ": write failed: " + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st;
  Status s;
  if (::fstat(fd, &st) != 0) {
    s = Status::IOError(path + ": cannot inspect: " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    s = Status::InvalidArgument(path + " is " + KindOf(st.st_mode) + ", not a regular file");
  }
  std::string out;
  char buf[1 << 14];
  while (s.ok()) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::IOError(path + ": read failed: " + std::strerror(errno));
    if (n <= 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      s = Status::InvalidArgument(path + " is larger than " + std::to_string(max_bytes) + " bytes");
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!s.ok()) return s;
  return out;
}

Status ReplaceRegularFile(const std::string& path, const std::string& data, mode_t mode) {
  DVS_RETURN_IF_ERROR(CheckReplaceable(path));
  // A fresh, unpredictable name (O_EXCL): never an existing file or a link planted beside it.
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0)
    return Status::IOError(path + ": cannot create a file beside it: " + std::strerror(errno));
  const std::string tmp(name.data());
  Status s = WriteAll(fd, data, tmp);
  if (s.ok() && ::fchmod(fd, mode) != 0)
    s = Status::IOError(tmp + ": chmod failed: " + std::strerror(errno));
  if (s.ok() && ::fsync(fd) != 0)
    s = Status::IOError(tmp + ": sync failed: " + std::strerror(errno));
  if (::close(fd) != 0 && s.ok())
    s = Status::IOError(tmp + ": close failed: " + std::strerror(errno));
  // Checked again right before the rename: rename replaces the directory entry itself (a link
  // planted meanwhile is replaced, never followed).
  if (s.ok()) s = CheckReplaceable(path);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = Status::IOError(path + ": rename failed: " + std::strerror(errno));
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

}  // namespace dvs
