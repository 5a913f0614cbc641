#include "tools/cli/cli.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace dvs::cli {

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "dvs: %s: %s\n", what.c_str(), s.message().c_str());
  return kExitFailed;
}

namespace {
constexpr const char* kKeyNeeded = "a signing key is needed: --key FILE or DVS_KEY";
}

int KeyFail(const std::string& what, const Status& s) {
  if (s.message() == kKeyNeeded) return Usage(what + ": " + s.message());
  return Fail(what, s);
}

int Usage(const std::string& message) {
  std::fprintf(stderr, "dvs: %s\n", message.c_str());
  return kExitUsage;
}

Result<std::unique_ptr<ReleaseService>> OpenLedger(const Globals& g) {
  return ReleaseService::Open(g.ledger);
}

Result<SecretKey> LoadSigningKey(const std::string& flag) {
  std::string path = flag;
  if (path.empty()) {
    const char* env = std::getenv("DVS_KEY");
    if (env != nullptr) path = env;
  }
  if (path.empty())
    return Status::InvalidArgument("a signing key is needed: --key FILE or DVS_KEY");
  return LoadSecretKey(path);
}

void AddKeyOption(CLI::App* sub, std::string* key) {
  sub->add_option("--key", *key, "signing key file (default: $DVS_KEY)");
}

void AddJsonOption(CLI::App* sub, Globals* g) {
  sub->add_flag("--json", g->json, "print JSON instead of a table");
}

std::string FormatTime(int64_t ms) { return Rfc3339Time(ms); }

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

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

int Signed(const Globals& g, const std::string& what, const std::string& key_flag,
           const Action& act) {
  auto key = LoadSigningKey(key_flag);
  if (!key.ok()) return KeyFail(what, key.status());
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail(what, svc.status());
  auto r = act(**svc, *key);
  if (!r.ok()) return Fail(what, r.status());
  PrintReceipt(g, *r);
  return kExitOk;
}

void PrintReceipt(const Globals& g, const Receipt& r) {
  if (g.json) {
    Json j;
    j.BeginObject().Key("seq").Uint(r.seq).Key("time").String(FormatTime(r.time_ms));
    j.Key("kind")
        .String(r.kind)
        .Key("bundle")
        .String(r.bundle)
        .Key("request_id")
        .String(r.request_id);
    j.Key("hash").String(ToHex(r.hash)).EndObject();
    std::printf("%s\n", j.str().c_str());
    return;
  }
  std::printf("%s%s%s: committed at seq %llu\n", r.kind.c_str(), r.bundle.empty() ? "" : " ",
              r.bundle.c_str(), static_cast<unsigned long long>(r.seq));
}

}  // namespace dvs::cli
