// A small synchronous HTTP/1.1 client (Boost.Beast) for talking to `dvs serve`: the command line's
// --server mode, the tests and the load benchmark all use it.
//
// Errors: IOError naming the server and what failed (resolve, connect, timeout, a malformed
// answer). An HTTP error status is not an error here: the caller reads HttpReply::status.
#ifndef DVS_API_HTTP_CLIENT_H_
#define DVS_API_HTTP_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/entry.h"
#include "ledger/status.h"

namespace dvs {

// http://HOST:PORT[/PREFIX]; https is not supported (put a TLS proxy in front).
struct HttpUrl {
  std::string host, port, prefix;
  static Result<HttpUrl> Parse(std::string_view url);
  std::string ToString() const { return "http://" + host + ":" + port + prefix; }
};

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One connection, kept alive across calls; reconnects once when the server closed it. An answer
// whose body exceeds `max_body` bytes is an error (IOError), read no further.
class HttpConnection {
 public:
  explicit HttpConnection(HttpUrl url, int timeout_ms = 30000, size_t max_body = size_t{256} << 20);
  ~HttpConnection();
  // `target` is the path and query, joined to the URL's prefix.
  Result<HttpReply> Call(const std::string& method, const std::string& target,
                         const std::string& body = "", const HttpHeaders& headers = {});
  // Sends a GET and hands the body to `on_data` piece by piece as it arrives (Server-Sent
  // Events); returns the status when the server ends the body or `on_data` returns false.
  Result<int> Stream(const std::string& target, const HttpHeaders& headers,
                     const std::function<bool(std::string_view)>& on_data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection.
Result<HttpReply> HttpCall(const HttpUrl& url, const std::string& method, const std::string& target,
                           const std::string& body = "", const HttpHeaders& headers = {},
                           int timeout_ms = 30000);

// A signed request as POST /v1/entries takes it: {"body","signer_key","signature"}, base64.
std::string SignedBodyJson(const SignedBody& b);

}  // namespace dvs

#endif  // DVS_API_HTTP_CLIENT_H_
