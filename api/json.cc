#include "dvs/json.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

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
        if (c < 0x20) {
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

Result<int64_t> ParseTime(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit) && text.size() <= 15) {
    return std::stoll(text);
  }
  int y, mo, d, h, mi, s;
  char rest[32] = {0};
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%31s", &y, &mo, &d, &h, &mi, &s, rest) <
          6 ||
      mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    return Status::InvalidArgument(
        "'" + text + "' is not a time: use RFC 3339 (2026-11-26T02:20:01Z) or unix milliseconds");
  }
  int64_t ms = (DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000;
  std::string r = rest;
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
    ms += frac;
    r = r.substr(i);
  }
  if (r == "Z" || r == "z") return ms;
  int oh, om;
  if (r.size() == 6 && (r[0] == '+' || r[0] == '-') &&
      std::sscanf(r.c_str() + 1, "%2d:%2d", &oh, &om) == 2) {
    int64_t off = (oh * 3600 + om * 60) * 1000;
    return r[0] == '+' ? ms - off : ms + off;
  }
  return Status::InvalidArgument("'" + text + "' needs a zone: Z or +HH:MM");
}

}  // namespace dvs
