// A small streaming JSON writer for dvs's --json output and HTTP answers. Keys and strings are
// escaped per RFC 8259; numbers that are not finite are written as null.
//
//   Json j;
//   j.BeginObject().Key("bundle").String(id).Key("weight").Number(25).EndObject();
//   j.str()  // {"bundle":"tax_calc_9.0_abc123","weight":25}
#ifndef DVS_API_JSON_H_
#define DVS_API_JSON_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace dvs {

class Json {
 public:
  Json& BeginObject();
  Json& EndObject();
  Json& BeginArray();
  Json& EndArray();
  Json& Key(std::string_view k);
  Json& String(std::string_view s);
  Json& Number(double v);
  Json& Int(int64_t v);
  Json& Uint(uint64_t v);
  Json& Bool(bool b);
  Json& Null();
  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

// RFC 3339 UTC with milliseconds: 2026-11-26T02:20:01.123Z
std::string Rfc3339Time(int64_t ms);

// RFC 3339 (2026-11-26T02:20:01Z, fractional seconds and offsets allowed), unix milliseconds, or
// "@" and unix milliseconds (@1795699828000). InvalidArgument naming the text and the forms.
Result<int64_t> ParseTime(const std::string& text);
// The times that cannot be mistaken for a number of something else (`dvs state --at`, where a
// plain number is a seq): RFC 3339, or "@" and unix milliseconds. InvalidArgument
// "'TEXT' is not a time (why)".
Result<int64_t> ParseMarkedTime(const std::string& text);

// Appends s as a quoted, escaped JSON string.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace dvs

#endif  // DVS_API_JSON_H_
