#include "api/controller/metrics_providers.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/http/http_client.h"
#include "api/service/queries.h"
#include "ledger/hash.h"

namespace dvs {

namespace {

using Json = nlohmann::json;
constexpr size_t kMaxAnswer = 1 << 20;  // a provider's answer: more is an error
constexpr size_t kMaxDetail = 300;

// A provider's words in a signed detail: printable ASCII only, clipped.
std::string Quote(std::string_view raw) {
  std::string out;
  for (char ch : raw.substr(0, kMaxDetail)) {
    const auto c = static_cast<unsigned char>(ch);
    out += c < 0x20 || c >= 0x7f ? ' ' : ch;
  }
  if (raw.size() > kMaxDetail) out += " ...";
  return out;
}

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ms) / 1000.0);
  return buf;
}

Measured Outcome(Measured m, sm::Measurement::Outcome o, const std::string& detail) {
  m.measurement.set_outcome(o);
  m.measurement.set_detail(detail);
  if (o != sm::Measurement::OUTCOME_VALUE) m.value.reset();
  return m;
}

// A number as a provider writes it (Prometheus: a string; JSON: a number or a string).
Measured Number(Measured m, std::string_view text, const std::string& what) {
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  s = s.substr(start);
  char* end = nullptr;
  errno = 0;
  const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size()) {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   what + " is not a number: '" + Quote(s) + "'");
  }
  if (std::isnan(v))
    return Outcome(std::move(m), sm::Measurement::OUTCOME_NO_DATA, what + " is NaN");
  if (!std::isfinite(v))
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   what + " is not finite: " + Quote(s));
  m.value = v;
  return Outcome(std::move(m), sm::Measurement::OUTCOME_VALUE, "");
}

// The body of an HTTP answer, or an ERROR measurement naming what failed.
Measured Fetch(Measured m, const std::string& url, const std::string& method,
               const std::string& body, int64_t timeout_ms, std::string* answer) {
  auto parsed = HttpUrl::Parse(url);
  if (!parsed.ok())
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR, parsed.status().message());
  const std::string target = parsed->prefix.empty() ? "/" : "";
  HttpHeaders headers;
  if (method == "POST") headers.push_back({"Content-Type", "application/json"});
  auto reply = HttpCall(*parsed, method, target, body, headers, static_cast<int>(timeout_ms));
  if (!reply.ok()) {
    // The client's message names the URL and the request; the reason is its last part.
    const std::string& msg = reply.status().message();
    const size_t colon = msg.rfind(": ");
    const std::string why = Quote(colon == std::string::npos ? msg : msg.substr(colon + 2));
    std::string detail = "request failed: " + why;
    if (msg.find("cannot connect") != std::string::npos ||
        msg.find("cannot resolve") != std::string::npos) {
      detail = "unreachable: " + why;
    } else if (msg.find("timeout") != std::string::npos ||
               msg.find("timed out") != std::string::npos) {
      detail = "no answer within " + std::to_string(timeout_ms) + " ms";
    }
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR, detail);
  }
  m.measurement.set_answer_sha256(std::string(AsBytes(Sha256(reply->body))));
  if (reply->body.size() > kMaxAnswer) {
    return Outcome(
        std::move(m), sm::Measurement::OUTCOME_ERROR,
        "answer of " + std::to_string(reply->body.size()) + " bytes, over the 1 MiB limit");
  }
  *answer = std::move(reply->body);
  if (reply->status / 100 != 2) {
    // Prometheus explains a bad query in a JSON body with status 400/422: keep that for the caller.
    Json j = Json::parse(*answer, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("error")) return m;
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "HTTP " + std::to_string(reply->status) + ": " + Quote(*answer));
  }
  return m;
}

std::string Labels(const Json& series) {
  if (!series.is_object() || !series.contains("metric")) return "{}";
  return Quote(series["metric"].dump());
}

Measured Prometheus(Measured m, const sm::MetricSource& src, int64_t now_ms) {
  std::string base = m.measurement.address();
  while (!base.empty() && base.back() == '/') base.pop_back();
  const bool range = src.range_ms() > 0;
  const int64_t start = range ? now_ms - src.range_ms() : now_ms;
  m.measurement.set_start_ms(start);
  m.measurement.set_end_ms(now_ms);
  std::string url = base + (range ? "/api/v1/query_range" : "/api/v1/query") +
                    "?query=" + UrlEncode(m.measurement.query());
  url += range ? "&start=" + Seconds(start) + "&end=" + Seconds(now_ms) +
                     "&step=" + Seconds(src.step_ms())
               : "&time=" + Seconds(now_ms);
  url += "&timeout=" + Seconds(src.timeout_ms());
  std::string answer;
  m = Fetch(std::move(m), url, "GET", "", src.timeout_ms(), &answer);
  if (m.measurement.outcome() == sm::Measurement::OUTCOME_ERROR) return m;
  Json j = Json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "the answer is not JSON: " + Quote(answer));
  if (j.value("status", "") != "success") {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "the query failed: " + Quote(j.value("errorType", "error")) + ": " +
                       Quote(j.value("error", "")));
  }
  const Json& data = j["data"];
  const std::string type = data.is_object() ? data.value("resultType", "") : "";
  const Json& result = data.is_object() && data.contains("result") ? data["result"] : Json();
  if (type == "scalar" && result.is_array() && result.size() == 2 && result[1].is_string())
    return Number(std::move(m), result[1].get<std::string>(), "the scalar");
  if ((type != "vector" && type != "matrix") || !result.is_array()) {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "the answer is a " + Quote(type.empty() ? "malformed result" : type) +
                       ", not a number or one series");
  }
  if (result.empty()) {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_NO_DATA,
                   std::string("empty ") + type + ": the query matched no series");
  }
  if (result.size() > 1) {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   std::to_string(result.size()) + " series where one was expected (" +
                       Labels(result[0]) + ", " + Labels(result[1]) +
                       "...): aggregate them, e.g. sum(...)");
  }
  const Json& series = result[0];
  if (type == "vector") {
    const Json& v = series.is_object() && series.contains("value") ? series["value"] : Json();
    if (!v.is_array() || v.size() != 2 || !v[1].is_string())
      return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                     "malformed sample in the answer");
    return Number(std::move(m), v[1].get<std::string>(), "the sample");
  }
  // matrix: the mean of the series' values over the range, NaNs skipped.
  const Json& values = series.is_object() && series.contains("values") ? series["values"] : Json();
  double sum = 0;
  size_t n = 0;
  for (const Json& v : values.is_array() ? values : Json::array()) {
    if (!v.is_array() || v.size() != 2 || !v[1].is_string())
      return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                     "malformed sample in the answer");
    Measured one = Number(Measured{}, v[1].get<std::string>(), "a sample");
    if (one.measurement.outcome() == sm::Measurement::OUTCOME_ERROR)
      return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR, one.measurement.detail());
    if (one.value) sum += *one.value, ++n;
  }
  if (n == 0)
    return Outcome(std::move(m), sm::Measurement::OUTCOME_NO_DATA,
                   "no numeric sample in the range");
  m.value = sum / static_cast<double>(n);
  return Outcome(std::move(m), sm::Measurement::OUTCOME_VALUE, "");
}

Measured Web(Measured m, const sm::MetricSource& src, const std::string& body, int64_t now_ms) {
  m.measurement.set_start_ms(now_ms);
  m.measurement.set_end_ms(now_ms);
  std::string answer;
  m = Fetch(std::move(m), m.measurement.address(), src.method(), body, src.timeout_ms(), &answer);
  if (m.measurement.outcome() == sm::Measurement::OUTCOME_ERROR) return m;
  Json j = Json::parse(answer, nullptr, false);
  if (j.is_discarded())
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "the answer is not JSON: " + Quote(answer));
  const Json* at = &j;
  std::string walked;
  const std::string& path = src.json_path();
  for (size_t pos = 0; pos <= path.size();) {
    size_t dot = path.find('.', pos);
    if (dot == std::string::npos) dot = path.size();
    const std::string part = path.substr(pos, dot - pos);
    walked += (walked.empty() ? "" : ".") + part;
    pos = dot + 1;
    if (at->is_object() && at->contains(part)) {
      at = &(*at)[part];
    } else if (at->is_array() && !part.empty() &&
               part.find_first_not_of("0123456789") == std::string::npos &&
               std::stoull(part.substr(0, 9)) < at->size()) {
      at = &(*at)[std::stoull(part.substr(0, 9))];
    } else {
      return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                     "json_path '" + Quote(path) + "': nothing at '" + Quote(walked) + "'");
    }
  }
  if (at->is_null())
    return Outcome(std::move(m), sm::Measurement::OUTCOME_NO_DATA,
                   "json_path '" + Quote(path) + "' is null");
  if (at->is_number()) {
    m.value = at->get<double>();
    return Outcome(std::move(m), sm::Measurement::OUTCOME_VALUE, "");
  }
  if (at->is_string())
    return Number(std::move(m), at->get<std::string>(), "json_path '" + path + "'");
  return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                 "json_path '" + Quote(path) + "' is " + Quote(at->type_name()) + ", not a number");
}

// Runs /bin/sh -c command in its own process group; its output, or an error naming what failed.
Measured Exec(Measured m, const sm::MetricSource& src, const AnalysisTarget& t, int64_t now_ms) {
  m.measurement.set_start_ms(now_ms);
  m.measurement.set_end_ms(now_ms);
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "pipe failed: " + std::string(std::strerror(errno)));
  // Everything the child needs is built here: after fork, a multithreaded process may only make
  // async-signal-safe calls (setenv or malloc there can deadlock on another thread's lock).
  std::vector<std::string> env = {
      "DVS_BUNDLE=" + t.bundle, "DVS_VERSION=" + t.version, "DVS_SERVICE=" + t.service,
      "DVS_STABLE_BUNDLE=" + t.stable_bundle, "DVS_STABLE_VERSION=" + t.stable_version};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "DVS_", 4) != 0) env.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string command = m.measurement.query();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(out[1], 1);
    int devnull = ::open("/dev/null", O_RDWR);
    if (devnull >= 0) ::dup2(devnull, 0), ::dup2(devnull, 2);
    ::setpgid(0, 0);
    ::execle("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string output;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(src.timeout_ms());
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < kMaxAnswer) output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  m.measurement.set_answer_sha256(std::string(AsBytes(Sha256(output))));
  if (timed_out) {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   "timeout: killed after " + std::to_string(src.timeout_ms()) + " ms");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                   WIFEXITED(status)
                       ? "the command exited " + std::to_string(WEXITSTATUS(status))
                       : "the command was killed by signal " + std::to_string(WTERMSIG(status)));
  }
  return Number(std::move(m), output, "the command's output");
}

}  // namespace

std::string ExpandTemplate(std::string_view text, const AnalysisTarget& t) {
  const std::pair<std::string_view, const std::string*> names[] = {
      {"{{bundle}}", &t.bundle},
      {"{{version}}", &t.version},
      {"{{service}}", &t.service},
      {"{{stable_bundle}}", &t.stable_bundle},
      {"{{stable_version}}", &t.stable_version}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [name, value] : names) {
      if (text.substr(i, name.size()) == name) {
        out += *value;
        i += name.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

Measured Measure(const sm::MetricSource& source, const std::string& metric,
                 const AnalysisTarget& target, int64_t now_ms) {
  Measured m;
  m.measurement.set_metric(metric);
  m.measurement.set_provider(source.provider());
  m.measurement.set_address(ExpandTemplate(source.address(), target));
  if (source.provider() == "prometheus") {
    m.measurement.set_query(ExpandTemplate(source.query(), target));
    return Prometheus(std::move(m), source, now_ms);
  }
  if (source.provider() == "web") {
    m.measurement.set_query(source.json_path());
    return Web(std::move(m), source, ExpandTemplate(source.body(), target), now_ms);
  }
  if (source.provider() == "exec") {
    m.measurement.set_query(ExpandTemplate(source.query(), target));
    return Exec(std::move(m), source, target, now_ms);
  }
  return Outcome(std::move(m), sm::Measurement::OUTCOME_ERROR,
                 "unknown provider '" + Quote(source.provider()) + "'");
}

}  // namespace dvs
