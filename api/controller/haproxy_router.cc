// haproxy:SOCKET: weights set over HAProxy's runtime API, with no reload.
//
// One apply is three exchanges on the admin socket: `get weight` of every server the table needs
// (so a missing server, a refusing socket or a socket without the admin level fails before any
// weight changes: HAProxy keeps the last good table), then `set weight` of each server whose
// weight differs (raised ones first, so a backend never has every server at 0 in between), and
// Confirm's `get weight` again, compared with the table.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "api/controller/routers.h"

namespace dvs {

namespace {

using Weights = std::map<std::string, uint32_t>;  // "BACKEND/SERVER" -> weight

// HAProxy names: letters, digits and - _ . : (its own rule for proxy and server names).
bool IsHaproxyName(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != ':')
      return false;
  }
  return true;
}

// "75 (initial 100)" -> 75; nullopt for anything else (an error message).
std::optional<uint32_t> ParseWeightAnswer(const std::string& answer) {
  size_t i = 0;
  uint32_t w = 0;
  while (i < answer.size() && std::isdigit(static_cast<unsigned char>(answer[i])) && i < 4) {
    w = w * 10 + static_cast<uint32_t>(answer[i] - '0');
    ++i;
  }
  if (i == 0 || answer.compare(i, 10, " (initial ") != 0) return std::nullopt;
  return w;
}

class HaproxyRouter : public Router {
 public:
  HaproxyRouter(std::string spec, std::string socket, RouterOptions o)
      : spec_(std::move(spec)), socket_(std::move(socket)), o_(std::move(o)) {}
  const std::string& spec() const override { return spec_; }

  Status Apply(const RoutingTable& table) override {
    DVS_ASSIGN_OR_RETURN(Weights want, Wanted(table));
    DVS_ASSIGN_OR_RETURN(Weights have, Read(want));
    std::vector<std::string> raise, lower;  // servers
    for (const auto& [server, w] : want) {
      if (have[server] != w) (w > have[server] ? raise : lower).push_back(server);
    }
    raise.insert(raise.end(), lower.begin(), lower.end());
    if (raise.empty()) return Status::OK();
    std::vector<std::string> sets;
    for (const std::string& server : raise) {
      sets.push_back("set weight " + server + " " + std::to_string(want[server]));
    }
    DVS_ASSIGN_OR_RETURN(auto answers, HaproxyExchange(socket_, sets, o_.haproxy_timeout_ms));
    for (size_t i = 0; i < answers.size(); ++i) {
      if (!answers[i].empty()) return Refusal(sets[i], raise[i], answers[i]);
    }
    return Status::OK();
  }

  Status Confirm(const RoutingTable& table) override {
    DVS_ASSIGN_OR_RETURN(Weights want, Wanted(table));
    DVS_ASSIGN_OR_RETURN(Weights have, Read(want));
    for (const auto& [server, w] : want) {
      if (have[server] != w) {
        return Status::IOError("haproxy " + socket_ + ": " + server + " has weight " +
                               std::to_string(have[server]) + ", not " + std::to_string(w));
      }
    }
    return Status::OK();
  }

 private:
  Result<Weights> Wanted(const RoutingTable& table) {
    std::ifstream in(o_.haproxy_backends);
    if (!in)
      return Status::NotFound("haproxy backends file " + o_.haproxy_backends + " is missing");
    std::stringstream ss;
    ss << in.rdbuf();
    return HaproxyWeights(table, ss.str());
  }

  // The current weight of every server in `servers`; an error before anything changes when one
  // is missing or the socket is not an admin socket.
  Result<Weights> Read(const Weights& servers) {
    std::vector<std::string> gets;
    for (const auto& [server, w] : servers) gets.push_back("get weight " + server);
    if (gets.empty()) return Weights{};
    DVS_ASSIGN_OR_RETURN(auto answers, HaproxyExchange(socket_, gets, o_.haproxy_timeout_ms));
    Weights have;
    size_t i = 0;
    for (const auto& [server, w] : servers) {
      auto weight = ParseWeightAnswer(answers[i]);
      if (!weight) return Refusal(gets[i], server, answers[i]);
      have[server] = *weight;
      ++i;
    }
    return have;
  }

  // HAProxy's answer to a command on `server` that failed, as one clear line.
  Status Refusal(const std::string& command, const std::string& server, std::string answer) {
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == ' ')) answer.pop_back();
    if (answer.find("Permission denied") != std::string::npos) {
      return Status::IOError("haproxy " + socket_ + " is not an admin socket (`" + command +
                             "` was denied; give it `stats socket ... level admin`)");
    }
    if (answer.find("No such server") != std::string::npos ||
        answer.find("No such backend") != std::string::npos) {
      return Status::NotFound("haproxy " + socket_ + " has no server " + server + " (" + answer +
                              "); add it to HAProxy's configuration or fix the backends file");
    }
    return Status::IOError("haproxy " + socket_ + ": `" + command + "` answered '" +
                           answer.substr(0, 200) + "'");
  }

  std::string spec_, socket_;
  RouterOptions o_;
};

}  // namespace

Result<std::unique_ptr<Router>> MakeHaproxyRouter(const std::string& spec,
                                                  const std::string& socket,
                                                  const RouterOptions& options) {
  if (socket.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status::InvalidArgument("router '" + spec + "': socket path is longer than " +
                                   std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
  }
  return std::unique_ptr<Router>(new HaproxyRouter(spec, socket, options));
}

Result<std::map<std::string, uint32_t>> HaproxyWeights(const RoutingTable& table,
                                                       const std::string& backends_yaml) {
  YAML::Node backends;
  try {
    backends = YAML::Load(backends_yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("haproxy backends: not YAML: " + std::string(e.what()));
  }
  auto bad = [](const std::string& why) {
    return Status::InvalidArgument(
        "haproxy backends: " + why +
        " (expected service: {backend: NAME, servers: {version or bundle id: SERVER}})");
  };
  if (!backends.IsMap()) return bad("not a mapping");
  Weights out;
  std::map<std::string, std::pair<std::string, YAML::Node>> services;  // backend, servers
  try {
    for (const auto& kv : backends) {
      const std::string service = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (!v.IsMap() || !v["backend"] || !v["backend"].IsScalar() || !v["servers"] ||
          !v["servers"].IsMap()) {
        return bad("service " + service + " needs backend and servers");
      }
      for (const auto& k : v) {
        const std::string key = k.first.as<std::string>();
        if (key != "backend" && key != "servers")
          return bad("service " + service + ": unknown key '" + key + "'");
      }
      const std::string backend = v["backend"].as<std::string>();
      if (!IsHaproxyName(backend)) return bad("backend '" + backend + "' is not an HAProxy name");
      for (const auto& srv : v["servers"]) {
        if (!srv.second.IsScalar()) return bad("service " + service + ": a server is not a name");
        const std::string server = srv.second.as<std::string>();
        if (!IsHaproxyName(server)) return bad("server '" + server + "' is not an HAProxy name");
        out[backend + "/" + server] = 0;  // every named server: nothing unless routed to
      }
      services[service] = {backend, v["servers"]};
    }
  } catch (const YAML::Exception& e) {
    return bad(e.what());
  }
  for (const auto& [service, routes] : table) {
    auto it = services.find(service);
    for (const Route& r : routes) {
      std::string server;
      if (it != services.end()) {
        for (const std::string& k : {r.bundle, r.version}) {
          if (it->second.second[k]) {
            server = it->second.first + "/" + it->second.second[k].as<std::string>();
            break;
          }
        }
      }
      if (server.empty()) {
        return Status::NotFound("haproxy backends: no server for " + service + " " + r.version +
                                " (" + r.bundle + ")");
      }
      out[server] += r.weight;
    }
  }
  return out;
}

Result<std::vector<std::string>> HaproxyExchange(const std::string& socket,
                                                 const std::vector<std::string>& commands,
                                                 int timeout_ms) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof(addr.sun_path))
    return Status::InvalidArgument("haproxy socket path " + socket + " is too long");
  std::memcpy(addr.sun_path, socket.data(), socket.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IOError("socket failed: " + std::string(std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Status::IOError("haproxy admin socket " + socket + " refused the connection (" +
                           std::strerror(errno) + "); is HAProxy running with `stats socket " +
                           socket + " level admin`?");
  }
  std::string request;
  for (const std::string& c : commands) request += (request.empty() ? "" : "; ") + c;
  request += "\n";
  for (size_t off = 0; off < request.size();) {
    ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return Status::IOError("haproxy admin socket " + socket + ": " + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  // HAProxy answers each command with its output and an empty line, then closes.
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          deadline - std::chrono::steady_clock::now())
                                          .count());
    if (left <= 0) {
      return Status::IOError("haproxy admin socket " + socket + " did not answer within " +
                             std::to_string(timeout_ms) + " ms");
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Status::IOError("haproxy admin socket " + socket + ": " + std::strerror(errno));
    if (n == 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (answer.size() > (1u << 20))
      return Status::IOError("haproxy admin socket " + socket + " answered too much");
  }
  // Each answer is its lines (none for a command that succeeded silently), then an empty line.
  std::vector<std::string> out;
  std::string current;
  size_t start = 0;
  while (out.size() < commands.size()) {
    size_t end = answer.find('\n', start);
    if (end == std::string::npos) {
      return Status::IOError("haproxy admin socket " + socket + " answered " +
                             std::to_string(out.size()) + " of " + std::to_string(commands.size()) +
                             " commands; is it HAProxy's stats socket?");
    }
    if (end == start) {
      out.push_back(std::move(current));
      current.clear();
    } else {
      current += answer.substr(start, end - start + 1);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace dvs
