// dvs::Ledger: a release ledger embedded in a program (a pipeline, a deploy tool), with plain
// types only. It opens a ledger directory (what `dvs init` made), reads statuses, routes and the
// signed history, and appends the release transitions, each signed by a SigningKey loaded from a
// key file (what `dvs keygen` wrote). Everything `dvs` itself checks is checked here too: the
// same rules, the same refusals, the same bytes in the ledger.
//
// Errors: every call returns a Status or a Result (dvs/status.h) naming what was refused and why
// (which bundle, which rule, which key, which file). Nothing throws.
//
// Thread safety: a Ledger may be shared by threads; its writes are serialized (and committed in
// groups) internally. Several processes may open the same ledger at once, but one process opens a
// ledger directory at most once (an LMDB rule). A SigningKey is immutable and may be shared.
//
// Results are snapshots: a returned struct does not change when the ledger does.
#ifndef DVS_LEDGER_H_
#define DVS_LEDGER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dvs/bundle_status.h"
#include "dvs/status.h"

namespace dvs {

// A secret key, loaded from a key file, that signs writes. Which writes it may sign is the
// ledger's business: the roles granted to its public key (`dvs key grant`).
class SigningKey {
 public:
  // Asked for the passphrase of an encrypted key file, only when one is loaded.
  using PassphraseFn = std::function<Result<std::string>(const std::string& path)>;
  // Loads the secret key file at `path`. Errors name the file and the problem: missing, readable
  // by group or others (PermissionDenied, as ssh does), not a dvs secret key file, malformed. An
  // encrypted file asks `passphrase`, or when that is empty DVS_PASSPHRASE from the environment,
  // else a prompt on the terminal; a wrong passphrase is PermissionDenied naming the file.
  static Result<SigningKey> Load(const std::string& path, const PassphraseFn& passphrase = {});

  // The key's id: hex of the first 8 bytes of SHA-256(public key), as Row::actor_key shows it.
  std::string id() const;

  // Copies share the key. There is no move: a moved-from key would hold nothing, and a write
  // signed with it could not be refused by name; a "move" copies (cheaply).
  SigningKey(const SigningKey&) = default;
  SigningKey& operator=(const SigningKey&) = default;

 private:
  friend class Ledger;
  struct Rep;
  explicit SigningKey(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

struct LedgerOptions {
  // A key with the log role. When set, a write that leaves at least `checkpoint_every` entries
  // after the last checkpoint appends a signed checkpoint in the same transaction, so that
  // opening costs one state snapshot plus at most that many entries. Without one, opening replays
  // the whole ledger (a snapshot nobody signed for is never trusted).
  std::optional<SigningKey> log_key;
  uint64_t checkpoint_every = 1000;
};

class Ledger {
 public:
  // The log's head.
  struct Head {
    uint64_t size = 0;     // entries; the next entry's seq
    std::string hash_hex;  // the last entry's hash (hex); all zeros when empty
  };

  // One route of a service: who gets how much of its traffic.
  struct Route {
    std::string bundle, version;
    uint32_t weight = 0;  // %
    std::string role;     // "stable", "canary" or "warm"
  };

  // One entry decoded for people, as `dvs log`, `dvs history` and `dvs audit` show it.
  struct Row {
    uint64_t seq = 0;
    int64_t time_ms = 0;    // log time, unix milliseconds
    std::string kind;       // "package", "approve", "deploy", "observe", "rollback", ...
    std::string actor;      // the signer's key name at the time, or its key id if unknown
    std::string actor_key;  // the signer's key id
    std::string bundle, service, detail;
    bool automatic = false;  // a controller's decision
    // For automatic decisions: the observations it cites (seq, metrics).
    std::vector<std::pair<uint64_t, std::map<std::string, double>>> evidence;
    uint32_t weight_before = 0;  // the bundle's traffic % before and after the entry
    uint32_t weight_after = 0;
  };

  // Filters of Audit; empty fields do not filter. Combined, they all must hold.
  struct AuditFilter {
    std::string service, bundle;
    std::string type;                           // an entry kind ("deploy", ...)
    std::string actor;                          // a key name or key id
    std::optional<int64_t> since_ms, until_ms;  // inclusive, log time
    // Only the first `first` or the last `last` matches (0: all; not both), oldest first.
    size_t first = 0, last = 0;
  };

  // What a committed write looks like to its author.
  struct Receipt {
    uint64_t seq = 0;      // the entry's seq
    int64_t time_ms = 0;   // its log time, unix milliseconds
    std::string hash_hex;  // its hash (its Merkle leaf hash, hex)
    std::string kind;      // "deploy", "rollback", ...
    std::string bundle;    // the bundle it concerns
    // Its effect on that bundle: the state after ("canary", "rolled_back", ...) and the traffic %
    // before and after.
    std::string state;
    uint32_t weight_before = 0, weight_after = 0;
  };

  // Opens the ledger in `dir`: its state is rebuilt from the latest signed checkpoint and the
  // entries after it, every one checked. An error naming `dir` when it holds no ledger.
  static Result<std::unique_ptr<Ledger>> Open(const std::string& dir,
                                              const LedgerOptions& options = {});
  // Creates a ledger in `dir` named `name`, whose genesis entry `root` signs: `root` becomes the
  // key named "root", which grants keys their roles (`dvs key grant`). An error when `dir`
  // already holds a ledger.
  static Result<std::unique_ptr<Ledger>> Init(const std::string& dir, const SigningKey& root,
                                              const std::string& name,
                                              const LedgerOptions& options = {});
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // ---- reads: as of the ledger's head now (other processes may have appended) ----
  Result<Head> GetHead() const;
  Result<BundleStatus> StatusOfBundle(const std::string& bundle);
  // The service's bundles that carry traffic or are kept warm, stable first. NotFound naming an
  // unknown service.
  Result<std::vector<BundleStatus>> StatusOfService(const std::string& service);
  // Where the service's traffic goes now; empty when it has no routes.
  Result<std::vector<Route>> RoutesOf(const std::string& service);
  // Every service's routes, by service.
  Result<std::map<std::string, std::vector<Route>>> Routes();
  // The entries with from <= seq < to (none past the head).
  Result<std::vector<Row>> Log(uint64_t from, uint64_t to);
  // The entries that concern `service`, oldest first.
  Result<std::vector<Row>> History(const std::string& service);
  // The entries matching `filter`, oldest first, answered from the ledger's indexes.
  Result<std::vector<Row>> Audit(const AuditFilter& filter);

  // ---- writes: each signed by `key`, returned once committed (synced) ----
  // A refused write (a rule, a role, a malformed input) appends nothing.

  // Packages the manifest in `yaml` (the format of `dvs package`; `base_dir` resolves relative
  // artifact paths) and returns the bundle id. Packaging a version again with identical content
  // appends nothing and returns the same id; with other content it is refused.
  Result<std::string> PackageYaml(const SigningKey& key, std::string_view yaml,
                                  const std::string& base_dir);
  // The same for a manifest file (artifacts relative to its folder).
  Result<std::string> PackageFile(const SigningKey& key, const std::string& path);
  Result<Receipt> Approve(const SigningKey& key, const std::string& bundle);
  Result<Receipt> Reject(const SigningKey& key, const std::string& bundle,
                         const std::string& reason);
  // Starts a canary at `canary_pct` % (0: the manifest's), or makes the first bundle of a service
  // stable.
  Result<Receipt> Deploy(const SigningKey& key, const std::string& bundle, uint32_t canary_pct = 0);
  // Records metrics observed on `bundle` over `samples` requests.
  Result<Receipt> Observe(const SigningKey& key, const std::string& bundle,
                          const std::map<std::string, double>& metrics, uint64_t samples);
  // One step of the manifest's step_pct, or with `full` straight to stable.
  Result<Receipt> Promote(const SigningKey& key, const std::string& bundle, bool full = false);
  Result<Receipt> Pause(const SigningKey& key, const std::string& bundle,
                        const std::string& reason);
  Result<Receipt> Resume(const SigningKey& key, const std::string& bundle);
  Result<Receipt> Rollback(const SigningKey& key, const std::string& bundle,
                           const std::string& reason);
  Result<Receipt> Retire(const SigningKey& key, const std::string& bundle,
                         const std::string& reason);

 private:
  struct Rep;
  explicit Ledger(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace dvs

#endif  // DVS_LEDGER_H_
