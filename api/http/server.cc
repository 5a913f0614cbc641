#include "api/http/server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "api/controller/controller.h"
#include "api/http/http_api.h"
#include "api/http/http_limits.h"
#include "api/http/server_metrics.h"
#include "api/service/events.h"
#include "ledger/hash.h"

namespace dvs {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kKeepaliveEvery = std::chrono::seconds(15);
constexpr uint64_t kEventsPerWrite = 500;
// Writes in flight at once: each holds a thread only while its group commits.
constexpr int kWriterThreads = 64;

class Session;

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  ReleaseService& svc;
  ServeOptions o;
  ServerMetrics metrics;
  std::unique_ptr<HttpApi> api;
  std::unique_ptr<Controller> control;
  net::io_context io;
  // Writes (POST) block in ReleaseService::Commit until their group is synced; they run here so
  // that the I/O threads keep reading other clients' requests, which then join the same group
  // (one fsync for many writers) instead of waiting behind it.
  net::thread_pool writers{kWriterThreads};
  tcp::acceptor acceptor{io};
  net::steady_timer tick_timer{io};
  std::atomic<bool> stopping{false};
  std::thread watcher;
  std::mutex sessions_mu;
  std::list<std::weak_ptr<Session>> sessions;  // GUARDED_BY(sessions_mu)
  std::atomic<int> open_sessions{0};
  std::atomic<int> open_streams{0};

  Impl(ReleaseService& s, ServeOptions opts)
      : svc(s), o(std::move(opts)) {}

  void Log(const std::string& line) {
    if (o.log) {
      o.log(line);
    } else {
      std::fprintf(stderr, "dvs serve: %s\n", line.c_str());
    }
  }

  void Accept();
  // At the connection limit: closes the connection that has waited longest for a request header
  // (half-open or idle keep-alive), so that a new client is always served. False when every
  // connection is busy with a request or an event stream.
  bool EvictLongestIdle();
  void ScheduleTick();
  // After entries committed (by this server or another process): event streams wake up.
  void WakeStreams();
  void WatchLedger();
  void BeginStop();
  void ForEachSession(const std::function<void(const std::shared_ptr<Session>&)>& fn);
};

namespace {

// One client connection: requests one after another (keep-alive), or one event stream.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Server::Impl> srv)
      : stream_(std::move(socket)), srv_(std::move(srv)), timer_(stream_.get_executor()) {
    ++srv_->open_sessions;
  }
  ~Session() {
    --srv_->open_sessions;
    if (streaming_) {
      --srv_->open_streams;
      srv_->metrics.SetSubscribers(-1);
    }
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Read(); });
  }

  // From any thread: the ledger grew.
  void Notify() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->waiting_) self->timer_.cancel();
    });
  }

  // Steady-clock ns since this session began waiting for a request header; 0 while a request is
  // in flight, while streaming, or once chosen for eviction. Read by the acceptor (any thread).
  int64_t IdleSinceNs() const { return idle_since_ns_.load(std::memory_order_relaxed); }
  // Claims this session for eviction: true for exactly one caller while it is still idle.
  bool ClaimForEviction(int64_t seen) {
    return seen != 0 && idle_since_ns_.compare_exchange_strong(seen, 0);
  }
  // From any thread: close the connection if it is still waiting for a request header.
  void Evict() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_ && !self->streaming_) self->Close();
    });
  }

  // From any thread: the server is stopping. Idle connections and streams close now; a request
  // in flight is answered first.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->streaming_) {
        self->timer_.cancel();
        self->Close();
      } else if (!self->busy_) {
        self->Close();
      }
    });
  }

 private:
  void Read() {
    if (srv_->stopping) return Close();
    parser_.emplace();
    parser_->body_limit(kMaxHttpBody);
    parser_->header_limit(kMaxHttpHeader);
    busy_ = false;
    idle_since_ns_.store(std::chrono::steady_clock::now().time_since_epoch().count() | 1,
                         std::memory_order_relaxed);
    stream_.expires_after(std::chrono::milliseconds(srv_->o.idle_timeout_ms));
    // The header first: from then on the request is in flight, and a stopping server answers it.
    http::async_read_header(
        stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
          self->idle_since_ns_.store(0, std::memory_order_relaxed);
          if (ec) return self->OnRead(ec);
          self->busy_ = true;
          http::async_read(self->stream_, self->buffer_, *self->parser_,
                           [self](beast::error_code ec, size_t) { self->OnRead(ec); });
        });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset ||
        ec == net::error::eof || closed_) {
      return Close();  // gone, idle too long, or too slow to send a request: drop
    }
    busy_ = true;
    if (ec == http::error::body_limit) {
      return Answer(
          srv_->api->Error(413, "too_large",
                           "the request body exceeds " + std::to_string(kMaxHttpBody) + " bytes"),
          false);
    }
    if (ec == http::error::header_limit) {
      return Answer(srv_->api->Error(
                        431, "too_large",
                        "the request headers exceed " + std::to_string(kMaxHttpHeader) + " bytes"),
                    false);
    }
    if (ec) {
      return Answer(srv_->api->Error(400, "bad_http", "malformed HTTP request: " + ec.message()),
                    false);
    }
    auto req = parser_->release();
    ApiRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.body = std::move(req.body());
    r.last_event_id = std::string(req["Last-Event-ID"]);
    r.if_none_match = std::string(req[http::field::if_none_match]);
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (IsEventsPath(path) && r.method == "GET") return StartEvents(r);
    const bool keep_alive = req.keep_alive();
    if (r.method != "POST") {
      return Answer(srv_->api->Handle(r), keep_alive, /*head=*/r.method == "HEAD");
    }
    // The answer comes back to this session's strand; the work guard keeps Run from returning
    // while a write is still committing.
    net::post(srv_->writers, [self = shared_from_this(), r = std::move(r), keep_alive,
                              work = net::make_work_guard(srv_->io)]() mutable {
      ApiResponse res = self->srv_->api->Handle(r);
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res), keep_alive]() mutable {
                  self->Answer(std::move(res), keep_alive);
                });
    });
  }

  // `head`: the answer to a HEAD request, whose header says the length of the body a GET would
  // get, and which carries no body (RFC 9110 9.3.2): a body would be read as the next answer.
  void Answer(ApiResponse a, bool keep_alive, bool head = false) {
    srv_->metrics.CountRequest(a.status);
    auto res = std::make_shared<http::response<http::string_body>>();
    res->result(static_cast<unsigned>(a.status));
    res->version(11);
    res->set(http::field::server, "dvs");
    if (a.status != 304) res->set(http::field::content_type, a.content_type);
    res->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : a.headers) res->set(name, value);
    res->keep_alive(keep_alive && !srv_->stopping);
    if (head) {
      res->content_length(a.body.size());
    } else {
      res->body() = std::move(a.body);
      res->prepare_payload();
    }
    stream_.expires_after(std::chrono::milliseconds(srv_->o.idle_timeout_ms));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  // ---- Server-Sent Events ----

  void StartEvents(const ApiRequest& r) {
    auto q = HttpApi::ParseEvents(r);
    if (!q.ok()) return Answer(srv_->api->Failed(q.status()), false);
    if (auto behind = srv_->api->Behind(r.target)) return Answer(std::move(*behind), false);
    if (++srv_->open_streams > srv_->o.max_streams) {
      --srv_->open_streams;
      srv_->metrics.CountRefusal("too_many_streams");
      return Answer(srv_->api->Error(503, "too_many_streams",
                                     "this server already holds " +
                                         std::to_string(srv_->o.max_streams) +
                                         " event streams open (dvs serve --max-streams); "
                                         "retry later"),
                    false);
    }
    next_ = q->from;
    skip_ = q->skip;
    follow_ = q->follow;
    streaming_ = true;
    srv_->metrics.SetSubscribers(1);
    WatchForHangUp();
    srv_->metrics.CountRequest(200);
    // The body runs until the connection closes (no length, no chunking): what EventSource and
    // every HTTP/1.1 client read.
    Send(
        "HTTP/1.1 200 OK\r\nServer: dvs\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n"
        "retry: 1000\n\n");
  }

  // A subscriber sends nothing after its request, so the read completes only when it hangs up
  // (or misbehaves): the stream's slot is then freed at once, not at the next keepalive write.
  void WatchForHangUp() {
    stream_.socket().async_read_some(
        net::buffer(hangup_probe_),
        [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
  }

  void Send(std::string text) {
    if (closed_) return;
    auto buf = std::make_shared<std::string>(std::move(text));
    stream_.expires_after(std::chrono::milliseconds(srv_->o.idle_timeout_ms));
    net::async_write(stream_, net::buffer(*buf),
                     [self = shared_from_this(), buf](beast::error_code ec, size_t) {
                       if (ec) return self->Close();  // the subscriber went away
                       self->Pump();
                     });
  }

  // A write may complete in the same turn as the hang-up that closed the stream: once closed,
  // nothing is sent and no keepalive is armed, or the slot would stay taken until it fired.
  void Pump() {
    if (closed_) return;
    if (srv_->stopping) return Close();
    auto head = srv_->svc.LedgerHead();
    if (!head.ok()) return Close();
    if (next_ < head->size) {
      const uint64_t to = std::min(head->size, next_ + kEventsPerWrite);
      auto text = srv_->api->EventsText(next_, to, skip_);
      skip_ = 0;
      if (!text.ok()) {
        srv_->Log("events: " + text.status().ToString());
        return Close();
      }
      next_ = to;
      return Send(std::move(*text));
    }
    if (!follow_) return Close();
    waiting_ = true;
    timer_.expires_after(kKeepaliveEvery);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->waiting_ = false;
      if (self->closed_) return;
      if (ec == net::error::operation_aborted) return self->Pump();  // notified
      self->Send(": keepalive\n\n");  // also finds vanished subscribers
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Server::Impl> srv_;
  net::steady_timer timer_;
  bool busy_ = false, streaming_ = false, follow_ = true, waiting_ = false, closed_ = false;
  std::atomic<int64_t> idle_since_ns_{0};
  char hangup_probe_[1];
  uint64_t next_ = 0;
  size_t skip_ = 0;
};

}  // namespace

void Server::Impl::ForEachSession(const std::function<void(const std::shared_ptr<Session>&)>& fn) {
  std::lock_guard<std::mutex> l(sessions_mu);
  for (auto it = sessions.begin(); it != sessions.end();) {
    if (auto s = it->lock()) {
      fn(s);
      ++it;
    } else {
      it = sessions.erase(it);
    }
  }
}

bool Server::Impl::EvictLongestIdle() {
  std::shared_ptr<Session> oldest;
  int64_t oldest_since = 0;
  ForEachSession([&](const std::shared_ptr<Session>& s) {
    const int64_t since = s->IdleSinceNs();
    if (since != 0 && (oldest == nullptr || since < oldest_since)) {
      oldest = s;
      oldest_since = since;
    }
  });
  if (oldest == nullptr || !oldest->ClaimForEviction(oldest_since)) return false;
  oldest->Evict();
  metrics.CountRefusal("idle_connection_evicted");
  return true;
}

void Server::Impl::Accept() {
  acceptor.async_accept(
      net::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
        if (self->stopping || !self->acceptor.is_open()) return;
        if (!ec) {
          // Half-open or idle connections must not lock new clients out: at the limit, the one
          // idle longest makes room (closed on its strand; the count drops once it is gone).
          if (self->open_sessions >= self->o.max_connections && !self->EvictLongestIdle()) {
            beast::error_code ignored;
            socket.close(ignored);  // over the limit: refuse rather than starve the others
            self->metrics.CountRefusal("too_many_connections");
          } else {
            auto s = std::make_shared<Session>(std::move(socket), self);
            {
              std::lock_guard<std::mutex> l(self->sessions_mu);
              self->sessions.push_back(s);
            }
            s->Start();
          }
        }
        self->Accept();
      });
}

void Server::Impl::ScheduleTick() {
  tick_timer.expires_after(std::chrono::milliseconds(o.tick_ms));
  tick_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->stopping) return;
    self->control->OnTimer();
    self->ScheduleTick();
  });
}

void Server::Impl::WakeStreams() {
  ForEachSession([](const std::shared_ptr<Session>& s) { s->Notify(); });
}

void Server::Impl::WatchLedger() {
  auto w = LedgerWatcher::Watch(svc.dir());
  if (!w.ok()) {
    Log("cannot watch the ledger for other writers: " + w.status().ToString());
    return;
  }
  auto size = [&]() -> Result<uint64_t> {
    DVS_ASSIGN_OR_RETURN(Head h, svc.LedgerHead());
    return h.size;
  };
  uint64_t known = 0;
  if (auto s = size(); s.ok()) known = *s;
  while (!stopping) {
    auto grown = (*w)->WaitBeyond(known, size, 200);
    if (!grown.ok()) {
      Log("watching the ledger: " + grown.status().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    if (*grown > known) {
      known = *grown;
      control->OnLedgerGrew();
    }
  }
}

void Server::Impl::BeginStop() {
  if (stopping.exchange(true)) return;
  net::post(io, [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->tick_timer.cancel();
    self->ForEachSession([](const std::shared_ptr<Session>& s) { s->Shutdown(); });
  });
}

namespace {
RouterOptions RouterOptionsOf(const ServeOptions& options) {
  RouterOptions ro;
  ro.nginx_backends = options.nginx_backends;
  ro.nginx_reload = options.nginx_reload;
  ro.haproxy_backends = options.haproxy_backends;
  return ro;
}
}  // namespace

Status Server::CheckOptions(const ServeOptions& options) {
  beast::error_code ec;
  std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  auto addr = net::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("'" + options.host + "' is not an IP address");
  if (!addr.is_loopback() && !options.allow_remote) {
    return Status::InvalidArgument(
        "refusing to listen on " + options.host +
        ": not a loopback address. The API has no TLS and trusts signatures, not connections; "
        "pass --allow-remote to serve other hosts (behind a TLS proxy)");
  }
  if (options.tick_ms <= 0) return Status::InvalidArgument("the tick must be positive");
  if (options.threads < 1 || options.threads > 64)
    return Status::InvalidArgument("threads must be 1..64");
  if (options.idle_timeout_ms < 1)
    return Status::InvalidArgument("the idle timeout must be positive");
  if (options.max_connections < 1)
    return Status::InvalidArgument("max_connections must be positive");
  for (const std::string& spec : options.routers) {
    DVS_RETURN_IF_ERROR(MakeRouter(spec, RouterOptionsOf(options)).status());
  }
  return Status::OK();
}

Result<std::unique_ptr<Server>> Server::Start(ReleaseService& svc, const SecretKey* controller,
                                              const ServeOptions& options) {
  DVS_RETURN_IF_ERROR(CheckOptions(options));
  auto impl = std::make_shared<Impl>(svc, options);
  beast::error_code ec;
  const auto addr =
      net::ip::make_address(options.host == "localhost" ? "127.0.0.1" : options.host, ec);

  std::vector<std::unique_ptr<Router>> routers;
  const RouterOptions ro = RouterOptionsOf(options);
  for (const std::string& spec : options.routers) {
    DVS_ASSIGN_OR_RETURN(auto r, MakeRouter(spec, ro));
    routers.push_back(std::move(r));
  }

  tcp::endpoint ep(addr, options.port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + options.host + ":" + std::to_string(options.port) +
                           ": " + ec.message());
  }

  Impl* raw = impl.get();
  impl->control = std::make_unique<Controller>(
      svc, controller, &impl->metrics, std::move(routers),
      [raw](const std::string& l) { raw->Log(l); }, [raw] { raw->WakeStreams(); });
  if (options.leads) impl->control->SetLeadership(options.leads);
  HttpApi::Hooks hooks;
  hooks.cluster = options.cluster_status;
  hooks.committed = [raw](std::vector<Receipt>& receipts) { raw->control->OnCommitted(receipts); };
  if (controller != nullptr) {
    hooks.tick = [raw](const std::vector<std::string>& services) {
      return raw->control->Evaluate(services);
    };
  }
  if (!options.notify.empty() && controller == nullptr) {
    return Status::InvalidArgument("--notify needs --controller-key: notifications are signed");
  }
  for (const std::string& spec : options.notify) {
    const std::string cursor =
        svc.dir() + "/notify-" + ToHex(Sha256(spec)).substr(0, 16) + ".cursor";
    DVS_ASSIGN_OR_RETURN(auto n, Notifier::Make(spec, svc, *controller, cursor,
                                                [raw](const std::string& l) { raw->Log(l); }));
    impl->control->AddNotifier(std::move(n));
  }
  impl->api = std::make_unique<HttpApi>(svc, impl->metrics, std::move(hooks));
  impl->control->OfferRoutes();  // level-triggered: whatever the routers held, they get the table now
  if (options.observer != nullptr) impl->control->StartAnalysis(options.observer);
  std::unique_ptr<Server> server(new Server());
  server->impl_ = std::move(impl);
  return server;
}

Server::~Server() {
  if (impl_ == nullptr) return;
  impl_->stopping = true;
  if (impl_->watcher.joinable()) impl_->watcher.join();
  impl_->control.reset();
}

uint16_t Server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::Stop() { impl_->BeginStop(); }

void Server::Run(bool handle_signals) {
  Impl& m = *impl_;
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(m.io, SIGTERM, SIGINT);
    signals->async_wait([&m](beast::error_code ec, int sig) {
      if (ec) return;
      m.Log(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
            ": finishing in-flight requests");
      m.BeginStop();
    });
  }
  m.Accept();
  m.ScheduleTick();
  m.watcher = std::thread([&m] { m.WatchLedger(); });
  std::vector<std::thread> threads;
  for (int i = 1; i < m.o.threads; ++i) threads.emplace_back([&m] { m.io.run(); });
  // The signal set keeps the loop alive; once stopping, drop it so that run() can return.
  net::steady_timer reaper(m.io);
  std::function<void()> reap = [&] {
    reaper.expires_after(std::chrono::milliseconds(50));
    reaper.async_wait([&](beast::error_code) {
      if (m.stopping) {
        if (signals) signals->cancel();
        return;
      }
      reap();
    });
  };
  reap();
  m.io.run();
  for (auto& t : threads) t.join();
  m.writers.join();
  m.stopping = true;
  if (m.watcher.joinable()) m.watcher.join();
  m.control->Stop(2000);  // let a decision just committed reach the routers
}

}  // namespace dvs
