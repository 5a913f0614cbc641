#include "ledger/status.h"

namespace dvs {

namespace {
const char* CodeName(Status::Code c) {
  switch (c) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kRefused:
      return "refused";
    case Status::Code::kIOError:
      return "io error";
    case Status::Code::kPermissionDenied:
      return "permission denied";
    case Status::Code::kForbidden:
      return "forbidden";
    case Status::Code::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}
}  // namespace

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::Prefixed(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(code_, prefix + ": " + message_);
}

}  // namespace dvs
