#include "api/http/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>

#include "api/render/json.h"
#include "ledger/hash.h"

namespace dvs {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Result<HttpUrl> HttpUrl::Parse(std::string_view url) {
  const std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) {
    return Status::InvalidArgument("server URL '" + std::string(url) + "' must start with http://");
  }
  std::string_view rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  HttpUrl u;
  if (slash != std::string_view::npos) u.prefix = std::string(rest.substr(slash));
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  size_t colon = hostport.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == hostport.size()) {
    return Status::InvalidArgument("server URL '" + std::string(url) + "' needs HOST:PORT");
  }
  u.host = std::string(hostport.substr(0, colon));
  u.port = std::string(hostport.substr(colon + 1));
  if (!u.host.empty() && u.host.front() == '[' && u.host.back() == ']')
    u.host = u.host.substr(1, u.host.size() - 2);
  for (char c : u.port) {
    if (c < '0' || c > '9')
      return Status::InvalidArgument("server URL '" + std::string(url) + "': bad port");
  }
  return u;
}

struct HttpConnection::Impl {
  HttpUrl url;
  std::chrono::milliseconds timeout;
  size_t max_body = 0;
  net::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  Status Connect() {
    stream.emplace(io);
    buffer.clear();
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) return Status::IOError(url.ToString() + ": cannot resolve: " + ec.message());
    stream->expires_after(timeout);
    ec = Await([&](auto handler) { stream->async_connect(endpoints, handler); });
    if (ec) return Status::IOError(url.ToString() + ": cannot connect: " + Describe(ec));
    return Status::OK();
  }

  // Runs one asynchronous operation on the stream to completion, on this thread. Synchronous
  // calls on a beast::tcp_stream ignore its expiry; asynchronous ones end with a timeout error.
  template <class Start>
  beast::error_code Await(Start&& start) {
    beast::error_code out = net::error::would_block;
    start([&out](beast::error_code ec, auto&&...) { out = ec; });
    io.restart();
    io.run();
    return out;
  }

  std::string Describe(const beast::error_code& ec) const {
    if (ec == beast::error::timeout) {
      const int64_t ms = timeout.count();
      return "timed out: no answer within " +
             (ms < 10'000 ? std::to_string(ms) + " ms" : std::to_string(ms / 1000) + " s");
    }
    return ec.message();
  }

  http::request<http::string_body> Request(const std::string& method, const std::string& target,
                                           const std::string& body, const HttpHeaders& headers) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(url.prefix + target);
    req.version(11);
    req.set(http::field::host, url.host + ":" + url.port);
    req.set(http::field::user_agent, "dvs");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST") {
      // JSON unless the caller said otherwise (a CloudEvent is application/cloudevents+json).
      if (req[http::field::content_type].empty())
        req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    return req;
  }
};

HttpConnection::HttpConnection(HttpUrl url, int timeout_ms, size_t max_body)
    : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->timeout = std::chrono::milliseconds(timeout_ms);
  impl_->max_body = max_body;
}

HttpConnection::~HttpConnection() = default;

Result<HttpReply> HttpConnection::Call(const std::string& method, const std::string& target,
                                       const std::string& body, const HttpHeaders& headers) {
  Impl& m = *impl_;
  auto req = m.Request(method, target, body, headers);
  for (int attempt = 0;; ++attempt) {
    const bool fresh = !m.stream.has_value();
    if (fresh) DVS_RETURN_IF_ERROR(m.Connect());
    beast::error_code ec;
    m.stream->expires_after(m.timeout);  // the whole exchange, not each read
    ec = m.Await([&](auto handler) { http::async_write(*m.stream, req, handler); });
    http::response_parser<http::string_body> parser;
    parser.body_limit(m.max_body);
    // The header first: Beast (1.74) checks the body limit against Content-Length there, but a
    // single async_read of header and body together was seen to read past the limit.
    if (!ec) {
      ec = m.Await(
          [&](auto handler) { http::async_read_header(*m.stream, m.buffer, parser, handler); });
    }
    if (!ec) {
      ec = m.Await(
          [&](auto handler) { http::async_read(*m.stream, m.buffer, parser, handler); });
    }
    if (ec) {
      m.stream.reset();
      // A kept-alive connection the server closed in the meantime: try once on a new one.
      if (!fresh && attempt == 0 &&
          (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
           ec == net::error::broken_pipe || ec == net::error::eof)) {
        continue;
      }
      return Status::IOError(m.url.ToString() + ": " + method + " " + target + ": " +
                             m.Describe(ec));
    }
    auto res = parser.release();
    HttpReply reply;
    reply.status = static_cast<int>(res.result_int());
    reply.content_type = std::string(res[http::field::content_type]);
    reply.body = std::move(res.body());
    if (!res.keep_alive()) m.stream.reset();
    return reply;
  }
}

Result<int> HttpConnection::Stream(const std::string& target, const HttpHeaders& headers,
                                   const std::function<bool(std::string_view)>& on_data) {
  Impl& m = *impl_;
  m.stream.reset();
  DVS_RETURN_IF_ERROR(m.Connect());
  auto req = m.Request("GET", target, "", headers);
  beast::error_code ec;
  m.stream->expires_after(m.timeout);
  http::write(*m.stream, req, ec);
  if (ec) return Status::IOError(m.url.ToString() + ": GET " + target + ": " + ec.message());
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  m.stream->expires_never();
  http::read_header(*m.stream, m.buffer, parser, ec);
  if (ec) return Status::IOError(m.url.ToString() + ": GET " + target + ": " + ec.message());
  const int status = static_cast<int>(parser.get().result_int());
  char buf[8192];
  while (!parser.is_done()) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof(buf);
    http::read_some(*m.stream, m.buffer, parser, ec);  // returns as soon as some body came
    if (ec == http::error::need_buffer) ec = {};
    if (ec) break;
    size_t n = sizeof(buf) - parser.get().body().size;
    if (n > 0 && !on_data(std::string_view(buf, n))) break;
  }
  m.stream.reset();
  if (ec && ec != http::error::end_of_stream && ec != net::error::eof) {
    return Status::IOError(m.url.ToString() + ": GET " + target + ": " + ec.message());
  }
  return status;
}

Result<HttpReply> HttpCall(const HttpUrl& url, const std::string& method, const std::string& target,
                           const std::string& body, const HttpHeaders& headers, int timeout_ms) {
  HttpConnection c(url, timeout_ms);
  return c.Call(method, target, body, headers);
}

std::string SignedBodyJson(const SignedBody& b) {
  Json j;
  j.BeginObject().Key("body").String(ToBase64(b.body));
  j.Key("signer_key").String(ToBase64(b.signer.bytes()));
  j.Key("signature").String(ToBase64(b.signature)).EndObject();
  return j.str();
}

}  // namespace dvs
