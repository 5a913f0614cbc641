#include "api/controller/routers.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/render/render.h"
#include "ledger/files.h"

namespace dvs {

namespace {

class FileRouter : public Router {
 public:
  FileRouter(std::string spec, std::string path) : spec_(std::move(spec)), path_(std::move(path)) {}
  const std::string& spec() const override { return spec_; }
  Status Apply(const RoutingTable& table) override {
    return ReplaceRegularFile(path_, RenderRoutes(table, Format::kJson));
  }
  Status Confirm(const RoutingTable& table) override {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in || ss.str() != RenderRoutes(table, Format::kJson))
      return Status::IOError("file " + path_ + " does not hold the table just written");
    return Status::OK();
  }

 private:
  std::string spec_, path_;
};

class ExecRouter : public Router {
 public:
  ExecRouter(std::string spec, std::string cmd, int timeout_ms)
      : spec_(std::move(spec)), cmd_(std::move(cmd)), timeout_ms_(timeout_ms) {}
  const std::string& spec() const override { return spec_; }
  Status Apply(const RoutingTable& table) override {
    return RunCommand(cmd_, RenderRoutes(table, Format::kJson), timeout_ms_);
  }
  // The command's exit status 0 is its word that it applied the table.
  Status Confirm(const RoutingTable&) override { return Status::OK(); }

 private:
  std::string spec_, cmd_;
  int timeout_ms_;
};

class NginxRouter : public Router {
 public:
  NginxRouter(std::string spec, std::string conf, RouterOptions o)
      : spec_(std::move(spec)), conf_(std::move(conf)), o_(std::move(o)) {}
  const std::string& spec() const override { return spec_; }
  Status Apply(const RoutingTable& table) override {
    std::ifstream in(o_.nginx_backends);
    if (!in) return Status::NotFound("nginx backends file " + o_.nginx_backends + " is missing");
    std::stringstream ss;
    ss << in.rdbuf();
    DVS_ASSIGN_OR_RETURN(std::string text, NginxUpstreams(table, ss.str()));
    DVS_RETURN_IF_ERROR(ReplaceRegularFile(conf_, text));
    DVS_RETURN_IF_ERROR(
        RunCommand(o_.nginx_reload, "", o_.exec_timeout_ms).Prefixed("nginx reload"));
    rendered_ = text;
    return Status::OK();
  }
  // The upstreams nginx loaded are the file as it was when the reload exited 0.
  Status Confirm(const RoutingTable&) override {
    std::ifstream in(conf_);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in || ss.str() != rendered_)
      return Status::IOError("nginx upstreams " + conf_ + " changed after the reload");
    return Status::OK();
  }

 private:
  std::string spec_, conf_;
  RouterOptions o_;
  std::string rendered_;
};

std::string UpstreamName(const std::string& service) {
  std::string out = "dvs_";
  for (char c : service) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

}  // namespace

Result<std::string> NginxUpstreams(const RoutingTable& table, const std::string& backends_yaml) {
  YAML::Node backends;
  try {
    backends = YAML::Load(backends_yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("nginx backends: not YAML: " + std::string(e.what()));
  }
  if (!backends.IsMap())
    return Status::InvalidArgument("nginx backends: expected service: {version: HOST:PORT}");
  auto address = [&](const std::string& service, const Route& r) -> Result<std::string> {
    try {
      YAML::Node svc = backends[service];
      if (svc && svc.IsMap()) {
        for (const std::string& k : {r.bundle, r.version}) {
          if (svc[k] && svc[k].IsScalar()) return svc[k].as<std::string>();
        }
      }
    } catch (const YAML::Exception&) {
    }
    return Status::NotFound("nginx backends: no address for " + service + " " + r.version + " (" +
                            r.bundle + ")");
  };
  std::string out = "# Written by dvs serve from the ledger's routing table. Do not edit.\n";
  for (const auto& [service, routes] : table) {
    std::string servers;
    for (const Route& r : routes) {
      DVS_ASSIGN_OR_RETURN(std::string addr, address(service, r));
      if (addr.find_first_of(" ;{}\n\t") != std::string::npos)
        return Status::InvalidArgument("nginx backends: address '" + addr + "' is not HOST:PORT");
      if (r.weight == 0) {
        servers += "    # " + r.bundle + " " + r.version + " at " + addr + ": " +
                   RouteRoleName(r.role) + ", no traffic\n";
      } else {
        servers += "    server " + addr + " weight=" + std::to_string(r.weight) + ";  # " +
                   r.bundle + " " + r.version + " " + RouteRoleName(r.role) + "\n";
      }
    }
    if (servers.find("server ") == std::string::npos) continue;  // nothing to route to
    out += "upstream " + UpstreamName(service) + " {\n" + servers + "}\n";
  }
  return out;
}

Status RunCommand(const std::string& command, const std::string& input, int timeout_ms) {
  int in[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Status::IOError("pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Status::IOError("pipe failed");
  }
  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError("fork failed: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(err[1], 2);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(err[1]);
  ::signal(SIGPIPE, SIG_IGN);
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = ::write(in[1], input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the command does not read its input: fine
    off += static_cast<size_t>(n);
  }
  ::close(in[1]);
  std::string errtext;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool timed_out = false;
  for (;;) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{err[0], POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[512];
    ssize_t n = ::read(err[0], buf, sizeof(buf));
    if (n <= 0) break;
    if (errtext.size() < 2048) errtext.append(buf, n);
  }
  ::close(err[0]);
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  while (!errtext.empty() && (errtext.back() == '\n' || errtext.back() == ' ')) errtext.pop_back();
  if (size_t nl = errtext.find('\n'); nl != std::string::npos) errtext = errtext.substr(0, nl);
  const std::string said = errtext.empty() ? "" : ": " + errtext;
  if (timed_out)
    return Status::IOError("'" + command + "' ran past " + std::to_string(timeout_ms) + " ms");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  if (WIFEXITED(status))
    return Status::IOError("'" + command + "' exited " + std::to_string(WEXITSTATUS(status)) +
                           said);
  return Status::IOError("'" + command + "' was killed by signal " +
                         std::to_string(WTERMSIG(status)) + said);
}

Result<std::unique_ptr<Router>> MakeRouter(const std::string& spec, const RouterOptions& o) {
  size_t colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (colon == std::string::npos || arg.empty())
    return Status::InvalidArgument("router '" + spec +
                                   "' is not file:PATH, exec:CMD, nginx:CONF or haproxy:SOCKET");
  if (kind == "file") {
    // Checked here, not on the first write: a folder that is not there will not appear by
    // itself, and retrying forever would only hide the typo.
    const std::filesystem::path folder = std::filesystem::path(arg).parent_path();
    std::error_code ec;
    if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
      return Status::NotFound("router '" + spec + "': folder " + folder.string() +
                              " does not exist");
    }
    return std::unique_ptr<Router>(new FileRouter(spec, arg));
  }
  if (kind == "exec") return std::unique_ptr<Router>(new ExecRouter(spec, arg, o.exec_timeout_ms));
  if (kind == "nginx") {
    if (o.nginx_backends.empty())
      return Status::InvalidArgument("router '" + spec + "' needs --nginx-backends FILE");
    return std::unique_ptr<Router>(new NginxRouter(spec, arg, o));
  }
  if (kind == "haproxy") {
    if (o.haproxy_backends.empty())
      return Status::InvalidArgument("router '" + spec + "' needs --haproxy-backends FILE");
    return MakeHaproxyRouter(spec, arg, o);
  }
  return Status::InvalidArgument("router kind '" + kind + "' is not file, exec, nginx or haproxy");
}

RouterSet::RouterSet(std::vector<std::unique_ptr<Router>> routers, ServerMetrics* metrics,
                     Logger log, Confirmed confirmed)
    : routers_(std::move(routers)),
      metrics_(metrics),
      log_(std::move(log)),
      confirmed_(std::move(confirmed)),
      applied_(routers_.size(), 0) {
  thread_ = std::thread([this] { Loop(); });
}

RouterSet::~RouterSet() { Stop(); }

void RouterSet::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> RouterSet::Specs() const {
  std::vector<std::string> out;
  for (const auto& r : routers_) out.push_back(r->spec());
  return out;
}

void RouterSet::Offer(const RoutingTable& table, uint64_t table_seq) {
  {
    std::lock_guard<std::mutex> l(mu_);
    // Offers race (the HTTP threads, the ledger watcher, the router thread's confirmations): a
    // table derived from an older state must never replace a newer one, or a rollback could be
    // undone by a late offer of the table before it.
    if (table_seq < offered_seq_) return;
    offered_seq_ = table_seq;
    if (desired_version_ != 0 && table == desired_) return;
    desired_ = table;
    desired_table_seq_ = table_seq;
    ++desired_version_;
  }
  cv_.notify_all();
}

void RouterSet::Recheck() {
  {
    std::lock_guard<std::mutex> l(mu_);
    recheck_ = true;
  }
  cv_.notify_all();
}

bool RouterSet::WaitInStep(int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, std::chrono::milliseconds(timeout_ms), [&] {
    return desired_version_ != 0 && std::all_of(applied_.begin(), applied_.end(),
                                                [&](uint64_t v) { return v == desired_version_; });
  });
}

void RouterSet::Loop() {
  using Clock = std::chrono::steady_clock;
  std::vector<int> backoff_ms(routers_.size(), 0);
  std::vector<Clock::time_point> retry_at(routers_.size(), Clock::time_point{});
  uint64_t seen = 0;
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (seen != desired_version_) {  // a newer table: every router tries it at once
      seen = desired_version_;
      std::fill(retry_at.begin(), retry_at.end(), Clock::time_point{});
    }
    // Sleep until a router is behind and its retry time has come.
    Clock::time_point wake = Clock::time_point::max();
    bool due = false;
    const auto now = Clock::now();
    for (size_t i = 0; i < routers_.size(); ++i) {
      if (desired_version_ == 0 || applied_[i] == desired_version_) continue;
      if (retry_at[i] <= now) due = true;
      wake = std::min(wake, retry_at[i]);
    }
    if (stop_) return;
    if (recheck_) {
      recheck_ = false;
      const RoutingTable table = desired_;
      const uint64_t version = desired_version_;
      for (size_t i = 0; i < routers_.size(); ++i) {
        if (version == 0 || applied_[i] != version) continue;
        l.unlock();
        Status s = routers_[i]->Confirm(table);
        if (!s.ok()) {
          log_("router " + routers_[i]->spec() + " no longer serves the table (" + s.message() +
               "); applying it again");
        }
        l.lock();
        if (!s.ok() && applied_[i] == version) {
          applied_[i] = 0;
          due = true;
        }
      }
    }
    if (!due) {
      if (wake == Clock::time_point::max()) {
        cv_.wait(l);
      } else {
        cv_.wait_until(l, wake);
      }
      continue;
    }
    const RoutingTable table = desired_;
    const uint64_t version = desired_version_, table_seq = desired_table_seq_;
    for (size_t i = 0; i < routers_.size(); ++i) {
      if (applied_[i] == version || retry_at[i] > Clock::now()) continue;
      l.unlock();
      // Applied, then read back: a router that cannot show it serves the table has not applied
      // it, and is retried like any failure.
      Status s = routers_[i]->Apply(table);
      if (s.ok()) s = routers_[i]->Confirm(table).Prefixed("confirming");
      if (s.ok() && confirmed_) {
        s = confirmed_(routers_[i]->spec(), table_seq, table)
                .Prefixed("recording its confirmation");
      }
      l.lock();
      metrics_->CountRouterApply(routers_[i]->spec(), s.ok());
      if (s.ok()) {
        applied_[i] = version;
        backoff_ms[i] = 0;
        retry_at[i] = Clock::time_point{};
      } else {
        backoff_ms[i] = std::min(backoff_ms[i] == 0 ? 100 : backoff_ms[i] * 2, 10'000);
        retry_at[i] = Clock::now() + std::chrono::milliseconds(backoff_ms[i]);
        l.unlock();
        log_("router " + routers_[i]->spec() + ": " + s.message() + " (retrying in " +
             std::to_string(backoff_ms[i]) + " ms)");
        l.lock();
      }
    }
    cv_.notify_all();
  }
}

}  // namespace dvs
