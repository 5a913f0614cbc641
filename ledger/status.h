// Status and Result<T>: errors as values.
//
// Every fallible call in dvs returns a Status (or a Result<T> carrying one). No exception crosses a
// module boundary. A message names what was refused and why, precisely enough that a user can act
// on it without reading code: which seq, which rule, which key, which file.
//
// Thread safety: Status and Result are values; distinct objects may be used from distinct threads.
#ifndef DVS_LEDGER_STATUS_H_
#define DVS_LEDGER_STATUS_H_

#include <optional>
#include <string>
#include <utility>

#include "ledger/assert.h"

namespace dvs {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,          // the thing asked for does not exist
    kCorruption,        // stored data fails a check (hash, signature, encoding, chain)
    kInvalidArgument,   // the caller's input is malformed
    kRefused,           // well-formed, but a rule forbids it (role, state, policy)
    kIOError,           // the operating system or LMDB failed
    kPermissionDenied,  // file modes, read-only ledgers
    kForbidden,         // the signer may not do it: unknown key, revoked, or without the role
    kUnavailable,       // a service the write depends on cannot commit now (cluster: no quorum)
  };

  Status() = default;  // OK
  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
  static Status Corruption(std::string m) { return Status(Code::kCorruption, std::move(m)); }
  static Status InvalidArgument(std::string m) {
    return Status(Code::kInvalidArgument, std::move(m));
  }
  static Status Refused(std::string m) { return Status(Code::kRefused, std::move(m)); }
  static Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
  static Status PermissionDenied(std::string m) {
    return Status(Code::kPermissionDenied, std::move(m));
  }

  static Status Forbidden(std::string m) { return Status(Code::kForbidden, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsRefused() const { return code_ == Code::kRefused; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsForbidden() const { return code_ == Code::kForbidden; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }

  // "refused: <message>", "corruption: <message>", ... ; "ok" when ok().
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>"; OK stays OK.
  Status Prefixed(const std::string& prefix) const;

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    DVS_ASSERT(!status_.ok());                           // an error Result carries an error
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok() (checked: reading the value of an error aborts rather than read garbage)
  T& value() & { return Get(); }
  const T& value() const& { return Get(); }
  T&& value() && { return std::move(Get()); }
  T* operator->() { return &Get(); }
  const T* operator->() const { return &Get(); }
  T& operator*() & { return Get(); }
  const T& operator*() const& { return Get(); }

 private:
  T& Get() {
    DVS_ASSERT(value_.has_value());
    return *value_;
  }
  const T& Get() const {
    DVS_ASSERT(value_.has_value());
    return *value_;
  }

 public:

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace dvs

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define DVS_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::dvs::Status dvs_status_ = (expr);        \
    if (!dvs_status_.ok()) return dvs_status_; \
  } while (0)

#define DVS_CONCAT_INNER_(a, b) a##b
#define DVS_CONCAT_(a, b) DVS_CONCAT_INNER_(a, b)
#define DVS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

// `DVS_ASSIGN_OR_RETURN(auto x, F());` binds x to F()'s value or returns its Status.
#define DVS_ASSIGN_OR_RETURN(lhs, expr) \
  DVS_ASSIGN_OR_RETURN_IMPL_(DVS_CONCAT_(dvs_result_, __LINE__), lhs, expr)

#endif  // DVS_LEDGER_STATUS_H_
