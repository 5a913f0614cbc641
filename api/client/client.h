// One client, two transports: what the command line does to a ledger, written once. A local
// client opens the ledger in this process (ReleaseService); a remote one talks to `dvs serve`
// over HTTP. Both answer a read (api/service/queries.h) and a signed transition with the same
// bytes, so `--server URL` is a choice of implementation, not a fork in every command.
//
// Errors: a remote server's refusal keeps its HTTP meaning (400 InvalidArgument, 404 NotFound,
// 401/403 Forbidden, any other Refused), with a message that starts "server answered CODE: " and
// quotes the server's own message.
#ifndef DVS_API_CLIENT_H_
#define DVS_API_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/render/render.h"
#include "api/service/queries.h"
#include "api/service/release_service.h"

namespace dvs {

class Client {
 public:
  virtual ~Client() = default;
  // A read, rendered in `f`; text tables wrap to `width` (0: no wrapping; a server ignores it).
  virtual Result<std::string> Read(const Query& q, Format f, size_t width) = 0;
  // Commits one signed transition and answers its receipt, rendered in `f`.
  virtual Result<std::string> Submit(const SignedBody& body, Format f) = 0;
  // Packages `m` signed by `key` and answers, in `f`, the receipt of the entry that holds the
  // bundle; as text, the bundle id alone on a line (what scripts capture). Content already
  // packaged answers the entry that packaged it, `"appended":false` (both transports: a retried
  // `dvs package` is not an error).
  virtual Result<std::string> Package(const SecretKey& key, const sm::Manifest& m, Format f) = 0;
  // One controller evaluation of `services` (every service when empty), rendered in `f`. Local:
  // decided and signed with `controller`, which must not be null; remote: the server's own
  // controller decides and `controller` is not used.
  virtual Result<std::string> Tick(const std::vector<std::string>& services,
                                   const SecretKey* controller, Format f) = 0;
  // A step (or, with `full`, the whole way) by hand. Remote: the step is computed from the
  // bundle's status just read; a stale read is refused by the rules, never applied twice.
  virtual Result<std::string> Promote(const SecretKey& key, const std::string& bundle, bool full,
                                      Format f) = 0;
  // Hands every event from seq `from` on to `line` (one JSON object each, as `dvs events`
  // prints), in order, each once. With `follow`, waits for more until `line` returns false (a
  // remote stream that drops is resumed from the last whole event); without, returns at the head.
  virtual Status Events(uint64_t from, bool follow,
                        const std::function<bool(const std::string&)>& line) = 0;
  // Returns the ledger's size once it exceeds `known`, or after about `timeout_ms` with the size
  // last seen. Local: woken by the ledger file's writes (any process); remote: the server's
  // /healthz, read every 200 ms.
  virtual Result<uint64_t> WaitBeyond(uint64_t known, int timeout_ms) = 0;
  // The local ledger, or null for a remote client (for commands that exist only locally).
  virtual ReleaseService* local() { return nullptr; }
};

// A client over a ledger this process opened; it owns `svc`.
std::unique_ptr<Client> LocalClient(std::unique_ptr<ReleaseService> svc);
// A client of the `dvs serve` at `url` ("http://127.0.0.1:8080"); InvalidArgument naming a
// malformed URL. Nothing is sent until the first call. A server that does not answer within
// `timeout_ms` (connect, send, or the whole answer) is an IOError saying so. With `min_seq`,
// reads are answered only by a server whose ledger holds entry `min_seq` (a cluster replica may
// lag the node a write went through): while it does not, the read is retried until
// `timeout_ms`, then refused with the server's "behind" answer.
Result<std::unique_ptr<Client>> RemoteClient(const std::string& url, int timeout_ms = 30'000,
                                             std::optional<uint64_t> min_seq = std::nullopt);

struct HttpReply;
// A server's error reply (status >= 400) as the Status described above.
Status RefusalOf(const HttpReply& reply);

}  // namespace dvs

#endif  // DVS_API_CLIENT_H_
