#include "api/render/json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string_view>

namespace dvs {

std::string Rfc3339Time(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void Json::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

Json& Json::BeginObject() {
  Separate();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}
Json& Json::EndObject() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}
Json& Json::BeginArray() {
  Separate();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}
Json& Json::EndArray() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}
Json& Json::Key(std::string_view k) {
  Separate();
  AppendJsonString(&out_, k);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}
Json& Json::String(std::string_view s) {
  Separate();
  AppendJsonString(&out_, s);
  return *this;
}
Json& Json::Number(double v) {
  Separate();
  if (!std::isfinite(v)) {
    out_.append("null");
    return *this;
  }
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    out_.append(buf);
    return *this;
  }
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  // Prefer the shortest form that reads back exactly.
  for (int p = 1; p <= 17; ++p) {
    char s[32];
    std::snprintf(s, sizeof(s), "%.*g", p, v);
    if (std::strtod(s, nullptr) == v) {
      out_.append(s);
      return *this;
    }
  }
  out_.append(buf);
  return *this;
}
Json& Json::Int(int64_t v) {
  Separate();
  out_.append(std::to_string(v));
  return *this;
}
Json& Json::Uint(uint64_t v) {
  Separate();
  out_.append(std::to_string(v));
  return *this;
}
Json& Json::Bool(bool b) {
  Separate();
  out_.append(b ? "true" : "false");
  return *this;
}
Json& Json::Null() {
  Separate();
  out_.append("null");
  return *this;
}

namespace {
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
}  // namespace

namespace {

// Digits at text[at, at+n) as a number; -1 unless all are ASCII digits.
int Digits(std::string_view text, size_t at, size_t n) {
  if (at + n > text.size()) return -1;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

Status NotATime(const std::string& text, const std::string& why) {
  return Status::InvalidArgument("'" + text + "' is not a time (" + why + ")");
}

// The zone after the seconds: "Z" or "+HH:MM"/"-HH:MM" (00..23, 00..59). Offset in ms to add to
// local time for UTC.
Result<int64_t> ParseZone(const std::string& text, std::string_view z) {
  if (z == "Z" || z == "z") return 0;
  if (z.size() != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':')
    return Status::InvalidArgument("'" + text + "' needs a zone: Z or +HH:MM");
  const int oh = Digits(z, 1, 2), om = Digits(z, 4, 2);
  if (oh < 0 || om < 0 || oh > 23 || om > 59)
    return NotATime(text, "zone offset " + std::string(z) + " is outside -23:59..+23:59");
  const int64_t off = (oh * 3600 + om * 60) * 1000;
  return z[0] == '+' ? -off : off;
}

}  // namespace

namespace {
bool UnixMs(std::string_view digits) {
  return !digits.empty() && digits.size() <= 15 &&
         std::all_of(digits.begin(), digits.end(), ::isdigit);
}
}  // namespace

Result<int64_t> ParseTime(const std::string& text) {
  if (UnixMs(text)) return std::stoll(text);
  auto t = ParseMarkedTime(text);
  if (!t.ok()) {
    return Status::InvalidArgument(t.status().message() +
                                   ": use RFC 3339 (2026-11-26T02:20:01Z) or unix milliseconds");
  }
  return t;
}

Result<int64_t> ParseMarkedTime(const std::string& text) {
  if (text.size() > 1 && text[0] == '@') {
    if (!UnixMs(std::string_view(text).substr(1)))
      return NotATime(text, "@ takes unix milliseconds, at most 15 digits");
    return std::stoll(text.substr(1));
  }
  if (text.empty()) return NotATime(text, "empty");
  // YYYY-MM-DDTHH:MM:SS, every field at its place, digits only.
  const int y = Digits(text, 0, 4), mo = Digits(text, 5, 2), d = Digits(text, 8, 2);
  const int h = Digits(text, 11, 2), mi = Digits(text, 14, 2), s = Digits(text, 17, 2);
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':' || y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) {
    return NotATime(text, "not YYYY-MM-DDTHH:MM:SS");
  }
  if (mo < 1 || mo > 12) return NotATime(text, "month " + std::to_string(mo) + " is not 1..12");
  if (d < 1 || d > DaysInMonth(y, mo)) {
    return NotATime(text, "day " + std::to_string(d) + " is not 1.." +
                              std::to_string(DaysInMonth(y, mo)) + " in " + text.substr(0, 7));
  }
  if (h > 23 || mi > 59) return NotATime(text, "hour 00..23, minute 00..59");
  if (s > 60 || (s == 60 && (h != 23 || mi != 59)))  // a leap second only ends a UTC day
    return NotATime(text, "second 00..59 (60 only at 23:59)");
  int64_t ms = (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
  std::string_view r = std::string_view(text).substr(19);
  if (!r.empty() && r[0] == '.') {
    size_t i = 1;
    int64_t frac = 0, scale = 1000;
    while (i < r.size() && std::isdigit(static_cast<unsigned char>(r[i]))) {
      if (scale > 1) {
        scale /= 10;
        frac += (r[i] - '0') * scale;
      }
      ++i;
    }
    if (i == 1) return NotATime(text, "no digits after the decimal point");
    ms += frac;
    r = r.substr(i);
  }
  DVS_ASSIGN_OR_RETURN(int64_t zone, ParseZone(text, r));
  return ms + zone;
}

}  // namespace dvs
