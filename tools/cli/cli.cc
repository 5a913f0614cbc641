#include "tools/cli/cli.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "ledger/entry.pb.h"
#include "ledger/files.h"
#include "ledger/key_files.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"

namespace dvs::cli {

int Fail(const std::string& what, const Status& s) {
  // The rules name the transition they refused ("approve: ..."); the line names the command
  // once, also when the message came back from a server ("server answered 409: approve: ...").
  std::string message = s.message();
  const std::string again = what + ": ";
  size_t at = 0;
  if (message.rfind("server answered ", 0) == 0) {
    at = message.find(": ");
    if (at != std::string::npos) at += 2;
  }
  if (at != std::string::npos && message.compare(at, again.size(), again) == 0)
    message.erase(at, again.size());
  // Messages echo what was asked for (a bundle id, a reason): never raw control characters.
  std::fprintf(stderr, "dvs: %s: %s\n", what.c_str(), TerminalSafe(message).c_str());
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

Result<std::unique_ptr<ReleaseService>> OpenLedger(const Globals& g, const std::string& log_key,
                                                   uint64_t checkpoint_every, bool replica) {
  ServiceOptions o;
  o.checkpoint_every = checkpoint_every;
  std::string path = log_key;
  if (path.empty()) {
    const char* env = std::getenv("DVS_LOG_KEY");
    if (env != nullptr) path = env;
  }
  if (!path.empty()) {
    // With a log key, writes append a signed checkpoint (and its snapshot) every
    // o.checkpoint_every entries, which is what keeps opening cheap on a large ledger.
    auto k = LoadSecretKey(path);
    if (!k.ok()) return k.status().Prefixed(log_key.empty() ? "DVS_LOG_KEY" : "--log-key");
    o.log_key = std::make_shared<const SecretKey>(std::move(*k));
  }
  return replica ? ReleaseService::OpenReplica(g.ledger, o) : ReleaseService::Open(g.ledger, o);
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

void AddOutRequestOption(CLI::App* sub, Globals* g) {
  // An empty FILE (an unset shell variable) must not fall back to committing the request.
  sub->add_option("--out-request", g->out_request,
                  "sign offline: write the request to FILE for `dvs submit FILE` on the "
                  "ledger's host within the hour; opens no ledger")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            return v.empty() ? "FILE is empty (nothing was signed or committed)" : "";
          },
          "FILE"));
}

int WriteRequest(const Globals& g, const std::string& what, const SignedBody& body) {
  ledger::Entry req;  // seq, prev_hash and time are the ledger's to assign
  req.set_body(body.body);
  req.set_signer_key(std::string(body.signer.bytes()));
  req.set_signature(body.signature);
  if (Status w = ReplaceRegularFile(g.out_request, req.SerializeAsString(), 0600); !w.ok())
    return Fail(what, w);
  auto t = ParseTransition(body.body);
  const std::string request_id = t.ok() ? t->request_id() : "";
  if (g.json) {
    Json j;
    j.BeginObject().Key("out").String(g.out_request).Key("kind").String(what);
    j.Key("request_id").String(request_id).Key("signer").String(body.signer.Id()).EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf("%s request %s signed by %s, written to %s; submit it with: dvs submit %s\n",
                what.c_str(), request_id.c_str(), body.signer.Id().c_str(), g.out_request.c_str(),
                g.out_request.c_str());
  }
  return kExitOk;
}

void AddJsonOption(CLI::App* sub, Globals* g, const std::string& help) {
  sub->add_flag("--json", g->json, help);
}

void AddJsonAlways(CLI::App* sub) {
  sub->add_flag("--json")->description("JSON: what this always prints");
}

CLI::Option* WholeNumber(CLI::Option* opt, uint64_t min, uint64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  return opt->check(CLI::Validator(
      [min, max, range](std::string& v) -> std::string {
        const bool digits =
            !v.empty() && v.size() <= 20 &&
            std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) return "'" + v + "' is not a whole number in " + range;
        errno = 0;
        const unsigned long long n = std::strtoull(v.c_str(), nullptr, 10);
        if (errno == ERANGE || n < min || n > max) return v + " is outside " + range;
        return "";
      },
      "NUMBER in " + range));
}

CLI::Option* PrintableText(CLI::Option* opt) {
  return opt->check(CLI::Validator(
      [](std::string& v) -> std::string {
        Status s = CheckPrintable("text", v);
        return s.ok() ? "" : s.message().substr(s.message().find(": ") + 2);
      },
      "TEXT"));
}

CLI::Option* TimeValue(CLI::Option* opt) {
  return opt->check(CLI::Validator(
      [](std::string& v) -> std::string {
        auto t = ParseTime(v);
        return t.ok() ? "" : t.status().message();
      },
      "TIME"));
}

std::string FormatTime(int64_t ms) { return Rfc3339Time(ms); }

Format OutputFormat(const Globals& g) { return g.json ? Format::kJson : Format::kText; }

size_t TerminalWidth() {
  const char* env = std::getenv("COLUMNS");
  if (env != nullptr && *env != '\0') {
    char* end = nullptr;
    const unsigned long n = std::strtoul(env, &end, 10);
    if (*end == '\0' && n > 0 && n < 100000) return n;
  }
  winsize ws{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) return ws.ws_col;
  return 0;
}

int Signed(const Globals& g, const std::string& what, const std::string& key_flag,
           const sm::Transition& t) {
  auto key = LoadSigningKey(key_flag);
  if (!key.ok()) return KeyFail(what, key.status());
  if (!g.out_request.empty()) return WriteRequest(g, what, SignTransition(*key, t));
  return SubmitBody(g, what, SignTransition(*key, t));
}

void PrintReceipt(const Globals& g, const Receipt& r) {
  std::fputs(RenderReceipt(r, OutputFormat(g)).c_str(), stdout);
}

// ---- --server mode ----

int LocalOnly(const Globals& g, const std::string& what) {
  if (g.server.empty()) return kExitOk;
  return Usage(what + " works on a local ledger only (--ledger), not with --server");
}

Result<HttpReply> Call(const Globals& g, const std::string& method, const std::string& target,
                       const std::string& body) {
  DVS_ASSIGN_OR_RETURN(HttpUrl url, HttpUrl::Parse(g.server));
  DVS_ASSIGN_OR_RETURN(int timeout_ms, ServerTimeoutMs());
  DVS_ASSIGN_OR_RETURN(HttpReply reply, HttpCall(url, method, target, body, {}, timeout_ms));
  if (reply.status < 400) return reply;
  return RefusalOf(reply);
}

Result<int> ServerTimeoutMs() {
  const char* env = std::getenv("DVS_TIMEOUT");
  if (env == nullptr || *env == '\0') return 30'000;
  char* end = nullptr;
  const double s = std::strtod(env, &end);
  if (*end != '\0' || !(s > 0) || s > 3600) {
    return Status::InvalidArgument("DVS_TIMEOUT='" + std::string(env) +
                                   "' is not a number of seconds in (0, 3600]");
  }
  return static_cast<int>(s * 1000);
}

Result<std::unique_ptr<Client>> OpenClient(const Globals& g) {
  if (!g.server.empty()) {
    DVS_ASSIGN_OR_RETURN(int timeout_ms, ServerTimeoutMs());
    return RemoteClient(g.server, timeout_ms, g.min_seq);
  }

  DVS_ASSIGN_OR_RETURN(auto svc, OpenLedger(g));
  return LocalClient(std::move(svc));
}

int PrintQuery(const Globals& g, const std::string& what, const Query& q, Format f) {
  auto client = OpenClient(g);
  if (!client.ok()) return Fail(what, client.status());
  auto out = (*client)->Read(q, f, TerminalWidth());
  if (!out.ok()) {
    if (out.status().IsInvalidArgument()) return Usage(what + ": " + out.status().message());
    return Fail(what, out.status());
  }
  std::fputs(out->c_str(), stdout);
  return kExitOk;
}

int SubmitBody(const Globals& g, const std::string& what, const SignedBody& body) {
  auto client = OpenClient(g);
  if (!client.ok()) return Fail(what, client.status());
  auto out = (*client)->Submit(body, OutputFormat(g));
  if (!out.ok()) return Fail(what, out.status());
  std::fputs(out->c_str(), stdout);
  return kExitOk;
}

}  // namespace dvs::cli
