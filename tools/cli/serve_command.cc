// dvs serve: the release controller as a long-running process (api/http/server.h).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "api/cluster/cluster.h"
#include "api/http/server.h"
#include "api/manifest/manifest.h"
#include "ledger/key_files.h"
#include "statemachine/roles.h"
#include "tools/cli/cli.h"
#include "tools/cli/serve_config.h"
#include "tools/cli/serve_lock.h"

namespace dvs::cli {

namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:8080", controller_key, observer_key, log_key, tick = "1s",
              nginx_backends, nginx_reload = "nginx -s reload", haproxy_backends, cluster,
              node_name, lease_ttl = "10s", advertise_url, compact_every = "1m";
  std::vector<std::string> routers, notify;
  bool allow_remote = false;
  int threads = 2;
  int idle_timeout_s = 30;
  int max_streams = 256;
  uint64_t checkpoint_every = 1000;
  bool checkpoint_every_given = false;  // --checkpoint-every on the command line or in --config
  // The cluster flags given (command line or --config): each makes sense only with --cluster.
  std::vector<std::string> cluster_flags_given;
};

// A leader that dies is replaced only once its lease runs out: a longer lease is an outage.
constexpr int64_t kMaxLeaseTtlMs = 300'000;

int Serve(const Globals& g, const ServeArgs& a) {
  if (!g.server.empty()) return Usage("serve: --server makes no sense here; serve opens --ledger");
  if (a.checkpoint_every_given && a.log_key.empty() && std::getenv("DVS_LOG_KEY") == nullptr) {
    return Usage(
        "serve: --checkpoint-every needs --log-key (or $DVS_LOG_KEY): checkpoints are signed by "
        "the log key, and without one none is written");
  }
  ServeOptions o;
  // ADDR:PORT is a server URL's authority: the client's parser splits it the same way.
  auto listen = HttpUrl::Parse("http://" + a.listen);
  if (!listen.ok() || !listen->prefix.empty())
    return Usage("serve: --listen '" + a.listen + "' is not ADDR:PORT");
  if (listen->port.size() > 5 || std::stoul(listen->port) > 65535)
    return Usage("serve: --listen '" + a.listen + "': port must be 0..65535");
  o.host = listen->host;
  o.port = static_cast<uint16_t>(std::stoul(listen->port));
  auto tick = ParseDuration(a.tick);
  if (!tick.ok()) return Usage("serve: --tick " + tick.status().message());
  if (*tick <= 0) return Usage("serve: --tick " + a.tick + " must be positive");
  o.tick_ms = *tick;
  o.allow_remote = a.allow_remote;
  o.routers = a.routers;
  o.nginx_backends = a.nginx_backends;
  o.nginx_reload = a.nginx_reload;
  o.haproxy_backends = a.haproxy_backends;
  o.notify = a.notify;
  o.threads = a.threads;
  o.idle_timeout_ms = a.idle_timeout_s * 1000;
  o.max_streams = a.max_streams;
  // Every argument is checked before the lock below: a usage error is named as such even while
  // another server holds this ledger.
  if (Status c = Server::CheckOptions(o); !c.ok()) {
    return c.IsInvalidArgument() ? Usage("serve: " + c.message()) : Fail("serve", c);
  }

  std::optional<SecretKey> controller;
  if (!a.controller_key.empty()) {
    auto k = LoadSecretKey(a.controller_key);
    if (!k.ok()) return Fail("serve", k.status().Prefixed("--controller-key"));
    controller.emplace(std::move(*k));
  }
  if (a.cluster.empty() && !a.cluster_flags_given.empty())
    return Usage("serve: " + a.cluster_flags_given.front() + " makes sense only with --cluster");
  ClusterOptions co;
  if (!a.cluster.empty()) {
    if (Status st = ParseClusterUrl(a.cluster, &co); !st.ok())
      return Usage("serve: " + st.message());
    if (!a.lease_ttl.empty() && a.lease_ttl.find_first_not_of("0123456789") == std::string::npos)
      return Usage("serve: --lease-ttl " + a.lease_ttl + " needs a unit: " + a.lease_ttl + "s");
    auto ttl = ParseDuration(a.lease_ttl);
    if (!ttl.ok() || *ttl < 1000 || *ttl % 1000 != 0 || *ttl > kMaxLeaseTtlMs)
      return Usage("serve: --lease-ttl " + a.lease_ttl +
                   " must be whole seconds from 1s to 300s (a dead leader is replaced only when "
                   "its lease runs out)");
    co.lease_ttl_s = static_cast<int>(*ttl / 1000);
    co.node = a.node_name.empty() ? o.host + ":" + std::to_string(o.port) : a.node_name;
    if (o.port == 0 && a.node_name.empty())
      return Usage(
          "serve: --cluster with --listen port 0 needs --node-name (nodes tell each "
          "other apart by name)");
    if (a.compact_every == "0") {  // never, with or without a unit
      co.compact_every_ms = 0;
    } else {
      auto every = ParseDuration(a.compact_every);
      if (!every.ok()) return Usage("serve: --compact-every " + every.status().message());
      if (*every != 0 && (*every < 100 || *every > 86'400'000))
        return Usage("serve: --compact-every " + a.compact_every +
                     " must be between 100ms and 24h, or 0 (never)");
      co.compact_every_ms = static_cast<int>(*every);
    }
    if (!a.advertise_url.empty()) {
      auto u = HttpUrl::Parse(a.advertise_url);
      if (!u.ok() || a.advertise_url.rfind("http://", 0) != 0)
        return Usage("serve: --advertise-url '" + a.advertise_url +
                     "' is not http://HOST:PORT[/PREFIX] (the URL peers reach this node at)");
    } else if (o.host == "0.0.0.0" || o.host == "::" || o.host.empty()) {
      return Usage("serve: --cluster with --listen " + a.listen +
                   " needs --advertise-url http://HOST:PORT: peers fetch history from this node "
                   "and cannot reach it at " +
                   a.listen);
    }
    co.log = [](const std::string& line) { std::fprintf(stderr, "dvs serve: %s\n", line.c_str()); };
    // Compaction keeps the log from a signed checkpoint on; this node signs none without a log
    // key. Only a warning: another node (the leader) may hold one.
    const bool compact_given = std::find(a.cluster_flags_given.begin(), a.cluster_flags_given.end(),
                                         "--compact-every") != a.cluster_flags_given.end();
    if (compact_given && co.compact_every_ms > 0 && a.log_key.empty() &&
        std::getenv("DVS_LOG_KEY") == nullptr) {
      co.log(
          "warning: --compact-every without --log-key: this node writes no checkpoint, and "
          "etcd is compacted only up to a checkpoint some node with a log key wrote");
    }
    co.ledger_dir = g.ledger;
    if (!a.advertise_url.empty()) {
      co.url = a.advertise_url;
    } else if (o.port != 0) {
      const std::string h = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
      co.url = "http://" + h + ":" + std::to_string(o.port);
    }
    if (controller) co.fenced_signer = controller->public_key();
  }
  auto svc = OpenLedger(g, a.log_key, a.checkpoint_every, /*replica=*/!a.cluster.empty());
  if (!svc.ok()) return Fail("serve", svc.status());
  // Before anything acts on the ledger's behalf (routers, notifiers, the controller); held until
  // the process exits.
  auto lock = ServeLock::Acquire(g.ledger);
  if (!lock.ok()) return Fail("serve", lock.status());
  std::unique_ptr<ClusterNode> cluster;
  if (!a.cluster.empty()) {
    auto node = ClusterNode::Start(**svc, co);
    if (!node.ok()) return Fail("serve", node.status());
    cluster = std::move(*node);
    ClusterNode* c = cluster.get();
    o.leads = [c] { return c->Leads(); };
    o.cluster_status = [c] { return c->StatusJson(); };
  }
  if (!a.log_key.empty()) {
    auto k = LoadSecretKey(a.log_key);
    auto state = (*svc)->Current();
    if (!k.ok() || !state.ok()) return Fail("serve", !k.ok() ? k.status() : state.status());
    Status role =
        (*state)->RequireRole(k->public_key(), Role::kLog, "--log-key " + k->public_key().Id());
    if (!role.ok()) return Fail("serve", role);
  }
  if (controller) {
    auto state = (*svc)->Current();
    if (!state.ok()) return Fail("serve", state.status());
    Status role = (*state)->RequireRole(controller->public_key(), Role::kController,
                                        "--controller-key " + controller->public_key().Id());
    if (!role.ok()) return Fail("serve", role);
  }
  std::optional<SecretKey> observer;
  if (!a.observer_key.empty()) {
    auto k = LoadSecretKey(a.observer_key);
    if (!k.ok()) return Fail("serve", k.status().Prefixed("--observer-key"));
    auto state = (*svc)->Current();
    if (!state.ok()) return Fail("serve", state.status());
    Status role = (*state)->RequireRole(k->public_key(), Role::kObserver,
                                        "--observer-key " + k->public_key().Id());
    if (!role.ok()) return Fail("serve", role);
    observer.emplace(std::move(*k));
    o.observer = &*observer;
  }
  auto server = Server::Start(**svc, controller ? &*controller : nullptr, o);
  if (!server.ok()) {
    return server.status().IsInvalidArgument() ? Usage("serve: " + server.status().message())
                                               : Fail("serve", server.status());
  }
  auto head = (*svc)->LedgerHead();
  const std::string shown = o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host;
  // Peers fetch history from it: advertised once it listens (its port is known only now).
  if (cluster) {
    cluster->Advertise(!a.advertise_url.empty()
                           ? a.advertise_url
                           : "http://" + shown + ":" + std::to_string((*server)->port()));
  }
  std::printf("dvs serve: listening on http://%s:%u (ledger %s, %llu entries, controller %s)\n",
              shown.c_str(), (*server)->port(), g.ledger.c_str(),
              static_cast<unsigned long long>(head.ok() ? head->size : 0),
              controller ? controller->public_key().Id().c_str() : "off");
  std::fflush(stdout);
  (*server)->Run(/*handle_signals=*/true);
  server->reset();
  if (cluster) cluster->Stop();  // resigns: another node leads at once
  std::printf("dvs serve: stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Globals& g) {
  static ServeArgs a;
  auto* serve = app.add_subcommand(
      "serve", "The release controller: HTTP API, automatic ramp and rollback, events, routers");
  serve->add_option("--listen", a.listen, "ADDR:PORT (default 127.0.0.1:8080; port 0: any)");
  serve->add_option("--controller-key", a.controller_key,
                    "key with the controller role; without it nothing is decided automatically");
  serve->add_option("--observer-key", a.observer_key,
                    "key with the observer role: measure each canary's manifest analysis: metrics "
                    "(prometheus, web, exec) every analysis interval and sign each round");
  serve->add_option("--log-key", a.log_key,
                    "key with the log role: append a signed checkpoint every 1,000 entries, so "
                    "the state survives restarts without a full replay (default $DVS_LOG_KEY)");
  auto* checkpoint_every =
      WholeNumber(serve->add_option("--checkpoint-every", a.checkpoint_every,
                                    "entries between two checkpoints; needs --log-key (default "
                                    "1000)"),
                  1, 1'000'000'000);
  serve->add_option("--tick", a.tick, "controller period (default 1s)");
  serve->add_option("--cluster", a.cluster,
                    "etcd://HOST:PORT[,HOST:PORT...]/PREFIX: high availability, etcd as the log "
                    "of record and --ledger its replica; one node leads and decides");
  // Other nodes print the leader's name in their logs and /v1/cluster: letters, digits and
  // . _ : - only, so a name can never forge a log line.
  auto* node_name =
      serve
          ->add_option("--node-name", a.node_name,
                       "with --cluster: this node's name, 1..64 of A-Z a-z 0-9 . _ : - (default: "
                       "the --listen address)")
          ->check(CLI::Validator(
              [](std::string& v) -> std::string {
                if (v.empty() || v.size() > 64)
                  return "'" + v.substr(0, 64) + "' must be 1..64 characters";
                for (unsigned char c : v) {
                  if (!std::isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-')
                    return "must be letters, digits and . _ : - only";
                }
                return "";
              },
              "NAME"));
  auto* lease_ttl = serve->add_option(
      "--lease-ttl", a.lease_ttl,
      "with --cluster: the leader's lease, whole seconds, 1s..300s (default 10s): a dead "
      "leader is replaced only when it runs out");
  auto* advertise_url =
      serve->add_option("--advertise-url", a.advertise_url,
                        "with --cluster: this node's URL as the other nodes reach it (default: "
                        "http://<--listen>; needed when listening on 0.0.0.0 or ::); a node that "
                        "joins fetches the history etcd no longer holds from a peer there");
  auto* compact_every =
      serve->add_option("--compact-every", a.compact_every,
                        "with --cluster: how often the leader deletes from etcd the entries every "
                        "live node holds and a signed checkpoint covers (needs --log-key on the "
                        "nodes; default 1m; 0 or 0s: never, etcd then holds the whole log)");
  serve->add_option("--router", a.routers,
                    "file:PATH | exec:CMD | nginx:CONF | haproxy:SOCKET (repeatable)");
  serve->add_option("--nginx-backends", a.nginx_backends,
                    "YAML: service: {version or bundle id: HOST:PORT}, for nginx: routers");
  serve->add_option("--nginx-reload", a.nginx_reload,
                    "command that reloads nginx (default: nginx -s reload)");
  serve->add_option("--haproxy-backends", a.haproxy_backends,
                    "YAML: service: {backend: NAME, servers: {version or bundle id: SERVER}}, "
                    "for haproxy: routers");
  serve->add_option("--notify", a.notify,
                    "webhook:URL | exec:CMD: every deploy event as a CloudEvent signed by the "
                    "controller key, at least once (repeatable)");
  serve->add_flag("--allow-remote", a.allow_remote,
                  "listen on a non-loopback address (no TLS: put a proxy in front)");
  WholeNumber(serve->add_option("--threads", a.threads, "HTTP threads, 1..64 (default 2)"), 1, 64);
  WholeNumber(
      serve->add_option("--idle-timeout", a.idle_timeout_s,
                        "seconds a client has to send a whole request, 1..3600 (default 30)"),
      1, 3600);
  WholeNumber(serve->add_option("--max-streams", a.max_streams,
                                "event streams (GET /v1/events) open at once, 1..1000; more are "
                                "refused with 503 (default 256)"),
              1, 1000);
  // CLI11 reads config files for the top-level command only: --config belongs to `dvs` (so
  // `dvs serve --config F` reaches it) and its items name serve's options.
  app.set_config("--config", "",
                 "dvs serve: a YAML file whose keys are serve's flags without -- (listen: ..., "
                 "router: [...]); a flag on the command line overrides its key");
  app.config_formatter(std::make_shared<YamlServeConfig>(serve));
  serve->footer(
      "Clients sign their own requests (dvs --server URL CMD --key FILE); the server holds only\n"
      "the controller key. SIGTERM finishes in-flight requests, then exits 0. One server per\n"
      "ledger: a second one is refused, naming the first one's pid (DIR/serve.lock).\n"
      "--config FILE: YAML whose keys are these flags without -- (listen: 127.0.0.1:8080,\n"
      "router: [file:/run/dvs/routes.json]); a flag on the command line overrides its key.\n"
      "Example:\n  dvs serve --listen 127.0.0.1:8080 --controller-key keys/controller.key \\\n"
      "    --router file:/run/dvs/routes.json --router nginx:/etc/nginx/conf.d/dvs.conf \\\n"
      "    --nginx-backends backends.yaml");
  serve->callback([&g, checkpoint_every, node_name, lease_ttl, advertise_url, compact_every] {
    a.checkpoint_every_given = checkpoint_every->count() > 0;
    a.cluster_flags_given.clear();
    for (const CLI::Option* f : {node_name, lease_ttl, advertise_url, compact_every}) {
      if (f->count() > 0) a.cluster_flags_given.push_back(f->get_name());
    }
    g.exit_code = Serve(g, a);
  });
}

}  // namespace dvs::cli
