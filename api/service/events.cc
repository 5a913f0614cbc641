#include "api/service/events.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "api/render/json.h"
#include "statemachine/analysis.h"

namespace dvs {

std::vector<std::string> EventNames(const LogRow& r) {
  static const std::map<std::string, std::string> kNames = {
      {"genesis", "ledger.genesis"},  {"grant_key", "key.granted"},
      {"revoke_key", "key.revoked"},  {"set_policy", "policy.set"},
      {"package", "deploy.packaged"}, {"approve", "deploy.approved"},
      {"reject", "deploy.rejected"},  {"deploy", "deploy.start"},
      {"observe", "deploy.observed"}, {"ramp", "deploy.ramp"},
      {"pause", "deploy.paused"},     {"resume", "deploy.resumed"},
      {"promote", "deploy.promoted"}, {"rollback", "deploy.rollback"},
      {"retire", "deploy.retired"},   {"confirm", "deploy.confirmed"}};
  auto it = kNames.find(r.kind);
  std::vector<std::string> out = {it != kNames.end() ? it->second : "ledger." + r.kind};
  if (r.kind == "promote" || r.kind == "rollback") out.push_back("deploy.outcome");
  return out;
}

// Where a measured value came from: what was asked, of whom, over which time, the SHA-256 of
// the answer and its outcome.
void WriteMeasurementJson(Json& j, const sm::Measurement& m) {
  j.BeginObject().Key("metric").String(m.metric()).Key("provider").String(m.provider());
  j.Key("address").String(m.address()).Key("query").String(m.query());
  j.Key("start").String(Rfc3339Time(m.start_ms())).Key("end").String(Rfc3339Time(m.end_ms()));
  j.Key("answer_sha256").String(ToHex(m.answer_sha256()));
  j.Key("outcome").String(OutcomeName(m.outcome()));
  if (!m.detail().empty()) j.Key("detail").String(m.detail());
  j.EndObject();
}

void WriteRowJson(Json& j, const LogRow& r, const std::string* event) {
  j.BeginObject().Key("seq").Uint(r.seq);
  if (event != nullptr) j.Key("event").String(*event);
  j.Key("time").String(Rfc3339Time(r.time_ms)).Key("type").String(r.kind);
  j.Key("actor").String(r.actor).Key("key_id").String(r.actor_key);
  j.Key("bundle").String(r.bundle).Key("service").String(r.service);
  j.Key("detail").String(r.detail).Key("automatic").Bool(r.automatic);
  if (!r.bundle.empty())
    j.Key("weight_before").Uint(r.weight_before).Key("weight_after").Uint(r.weight_after);
  if (event != nullptr && *event == "deploy.outcome") {
    j.Key("outcome").String(r.kind == "promote" ? "promoted" : "rolled_back");
  }
  if (r.transition.has_observe()) {
    // Sorted by name, so the bytes do not depend on the map's order.
    const auto& metrics = r.transition.observe().metrics();
    std::map<std::string, double> sorted(metrics.begin(), metrics.end());
    j.Key("metrics").BeginObject();
    for (const auto& [k, v] : sorted) j.Key(k).Number(v);
    j.EndObject().Key("samples").Uint(r.transition.observe().samples());
  }
  if (r.transition.has_observe() && r.transition.observe().measurements_size() > 0) {
    const sm::Observe& o = r.transition.observe();
    j.Key("measurements").BeginArray();
    for (const sm::Measurement& m : o.measurements()) WriteMeasurementJson(j, m);
    j.EndArray();
    if (o.has_samples_measurement()) {
      j.Key("samples_measurement");
      WriteMeasurementJson(j, o.samples_measurement());
    }
  }
  if (r.automatic) {
    j.Key("evidence").BeginArray();
    for (const auto& [seq, metrics] : r.evidence) {
      j.BeginObject().Key("seq").Uint(seq).Key("metrics").BeginObject();
      for (const auto& [k, v] : metrics) j.Key(k).Number(v);
      j.EndObject().EndObject();
    }
    j.EndArray();
  }
  j.EndObject();
}

std::string EventJson(const LogRow& r, const std::string& event) {
  Json j;
  WriteRowJson(j, r, &event);
  return j.str();
}

Result<std::unique_ptr<LedgerWatcher>> LedgerWatcher::Watch(const std::string& dir) {
  int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return Status::IOError(std::string("inotify: ") + std::strerror(errno));
  const std::string file = dir + "/data.mdb";
  if (inotify_add_watch(fd, file.c_str(), IN_MODIFY) < 0) {
    int err = errno;
    close(fd);
    return Status::IOError("cannot watch " + file + ": " + std::strerror(err));
  }
  return std::unique_ptr<LedgerWatcher>(new LedgerWatcher(fd));
}

LedgerWatcher::~LedgerWatcher() { close(fd_); }

Result<bool> LedgerWatcher::Wait(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int n = poll(&p, 1, timeout_ms);
  if (n < 0 && errno != EINTR) return Status::IOError(std::string("poll: ") + std::strerror(errno));
  if (n <= 0) return false;
  char buf[4096];
  while (read(fd_, buf, sizeof(buf)) > 0) {
  }  // drain: one wake-up per burst of writes
  return true;
}

Result<uint64_t> LedgerWatcher::WaitBeyond(uint64_t known,
                                           const std::function<Result<uint64_t>()>& size,
                                           int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    DVS_ASSIGN_OR_RETURN(uint64_t now_size, size());
    if (now_size > known) return now_size;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return now_size;
    DVS_ASSIGN_OR_RETURN(bool woke, Wait(static_cast<int>(left)));
    if (!woke) continue;
    for (int delay_us : {0, 100, 500, 2000, 10000}) {  // the commit becomes visible within these
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      DVS_ASSIGN_OR_RETURN(now_size, size());
      if (now_size > known) return now_size;
    }
  }
}

}  // namespace dvs
