#include "statemachine/version.h"

#include <algorithm>

#include "statemachine/limits.h"

namespace dvs {

namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsIdentifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

Status Bad(std::string_view text, const std::string& why) {
  return Status::InvalidArgument("invalid version '" + std::string(text) + "': " + why);
}

int CompareIdentifiers(const std::string& a, const std::string& b) {
  bool an = IsDigits(a), bn = IsDigits(b);
  if (an && bn) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b);
  }
  if (an != bn) return an ? -1 : 1;  // numeric identifiers have lower precedence
  return a.compare(b);
}

}  // namespace

Result<Version> ParseVersion(std::string_view text) {
  if (text.empty()) return Bad(text, "empty");
  if (text.size() > kMaxVersionLength) {
    return Bad(text.substr(0, 16),
               "longer than " + std::to_string(kMaxVersionLength) + " characters");
  }
  Version v;
  std::string_view rest = text;
  if (size_t plus = rest.find('+'); plus != std::string_view::npos) {
    v.build = std::string(rest.substr(plus + 1));
    for (auto id : Split(v.build, '.')) {
      if (!IsIdentifier(id)) return Bad(text, "build metadata '" + v.build + "' is malformed");
    }
    rest = rest.substr(0, plus);
  }
  if (size_t dash = rest.find('-'); dash != std::string_view::npos) {
    for (auto id : Split(rest.substr(dash + 1), '.')) {
      if (!IsIdentifier(id))
        return Bad(text, "prerelease identifier '" + std::string(id) + "' is malformed");
      if (IsDigits(id) && id.size() > 1 && id[0] == '0') {
        return Bad(text, "leading zero in prerelease identifier '" + std::string(id) + "'");
      }
      v.prerelease.emplace_back(id);
    }
    rest = rest.substr(0, dash);
  }
  auto parts = Split(rest, '.');
  if (parts.size() > 3)
    return Bad(text, std::to_string(parts.size()) + " numeric parts (at most 3)");
  for (auto p : parts) {
    if (!IsDigits(p)) return Bad(text, "'" + std::string(p) + "' is not a number");
    if (p.size() > 1 && p[0] == '0') return Bad(text, "leading zero in '" + std::string(p) + "'");
    if (p.size() > 18) return Bad(text, "'" + std::string(p) + "' is too large");
    v.core.push_back(std::stoull(std::string(p)));
  }
  return v;
}

int CompareVersions(const Version& a, const Version& b) {
  size_t n = std::max(a.core.size(), b.core.size());
  for (size_t i = 0; i < n; ++i) {
    uint64_t x = i < a.core.size() ? a.core[i] : 0, y = i < b.core.size() ? b.core[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.core.size() != b.core.size()) return a.core.size() < b.core.size() ? -1 : 1;
  if (a.prerelease.empty() != b.prerelease.empty()) return a.prerelease.empty() ? 1 : -1;
  for (size_t i = 0; i < std::min(a.prerelease.size(), b.prerelease.size()); ++i) {
    int c = CompareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  if (a.prerelease.size() != b.prerelease.size()) {
    return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
  }
  return 0;
}

}  // namespace dvs
