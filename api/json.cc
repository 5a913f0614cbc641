#include "dvs/json.h"

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

}  // namespace dvs
