#include "ledger/keys.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ledger/hash.h"
#include "ledger/limits.h"

namespace dvs {

namespace {

constexpr std::string_view kSecretHeader = "dvs-secret-key-v1 ed25519";
constexpr std::string_view kPublicHeader = "dvs-public-key-v1 ed25519";

void EnsureSodium() {
  static const int ok = sodium_init();
  (void)ok;  // 0 or 1 (already initialised); -1 cannot happen on Linux with getrandom.
}

std::string Concat(std::string_view a, std::string_view b) {
  std::string m;
  m.reserve(a.size() + b.size());
  m.append(a).append(b);
  return m;
}

Status WriteNewFile(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Status::IOError("cannot create key file " + path + ": " + std::strerror(errno));
  }
  ::fchmod(fd, mode);  // umask must not widen or narrow what we promised
  ssize_t n = ::write(fd, content.data(), content.size());
  int sync_rc = ::fsync(fd);
  ::close(fd);
  if (n != static_cast<ssize_t>(content.size()) || sync_rc != 0) {
    return Status::IOError("cannot write key file " + path);
  }
  return Status::OK();
}

// Reads a key file and returns the decoded key bytes after checking its header.
Result<std::string> ReadKeyFile(const std::string& path, std::string_view want_header,
                                std::string_view other_header, const char* kind) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && st.st_size > static_cast<off_t>(kMaxKeyFileSize)) {
    return Status::InvalidArgument("key file " + path + " is larger than " +
                                   std::to_string(kMaxKeyFileSize) + " bytes: not a dvs key file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("key file " + path + " does not exist or cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  size_t nl = text.find('\n');
  std::string header = text.substr(0, nl);
  if (header == other_header) {
    return Status::InvalidArgument("key file " + path +
                                   " holds the wrong kind of key: expected a " + kind + " key");
  }
  if (header != want_header) {
    return Status::InvalidArgument("key file " + path + " is not a dvs " + std::string(kind) +
                                   " key file (first line is not '" + std::string(want_header) +
                                   "')");
  }
  if (nl == std::string::npos) {
    return Status::InvalidArgument("key file " + path + " is truncated: no key after the header");
  }
  std::string body = text.substr(nl + 1);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (body.empty()) {
    return Status::InvalidArgument("key file " + path + " is truncated: no key after the header");
  }
  auto raw = FromBase64(body);
  if (!raw) return Status::InvalidArgument("key file " + path + " holds malformed base64");
  if (raw->size() != 32) {
    return Status::InvalidArgument("key file " + path + " holds " + std::to_string(raw->size()) +
                                   " key bytes, expected 32 (truncated or not Ed25519)");
  }
  return *raw;
}

}  // namespace

Result<PublicKey> PublicKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kPublicKeySize) {
    return Status::InvalidArgument("public key must be 32 bytes, got " +
                                   std::to_string(bytes.size()));
  }
  PublicKey k;
  std::memcpy(k.key_.data(), bytes.data(), kPublicKeySize);
  return k;
}

std::string PublicKey::Id() const { return ToHex(AsBytes(Sha256(bytes())).substr(0, 8)); }

bool PublicKey::Verify(std::string_view context, std::string_view message,
                       std::string_view signature) const {
  EnsureSodium();
  if (signature.size() != kSignatureSize) return false;
  std::string m = Concat(context, message);
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(m.data()), m.size(),
                                     key_.data()) == 0;
}

SecretKey SecretKey::Generate() {
  EnsureSodium();
  unsigned char seed[32];
  randombytes_buf(seed, sizeof(seed));
  auto k = FromSeed(std::string_view(reinterpret_cast<char*>(seed), sizeof(seed)));
  sodium_memzero(seed, sizeof(seed));
  return std::move(k).value();
}

Result<SecretKey> SecretKey::FromSeed(std::string_view seed) {
  EnsureSodium();
  if (seed.size() != 32) return Status::InvalidArgument("key seed must be 32 bytes");
  SecretKey k;
  unsigned char pk[kPublicKeySize];
  crypto_sign_seed_keypair(pk, k.secret_.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  k.public_ =
      PublicKey::FromBytes(std::string_view(reinterpret_cast<char*>(pk), sizeof(pk))).value();
  return k;
}

SecretKey::SecretKey(SecretKey&& o) noexcept : secret_(o.secret_), public_(o.public_) { o.Wipe(); }

SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
  if (this != &o) {
    secret_ = o.secret_;
    public_ = o.public_;
    o.Wipe();
  }
  return *this;
}

SecretKey::~SecretKey() { Wipe(); }

void SecretKey::Wipe() { sodium_memzero(secret_.data(), secret_.size()); }

std::string SecretKey::Sign(std::string_view context, std::string_view message) const {
  std::string m = Concat(context, message);
  std::string sig(kSignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(m.data()), m.size(), secret_.data());
  return sig;
}

Status WriteKeyFiles(const SecretKey& key, const std::string& path) {
  const std::string pub_path = path + ".pub";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    return Status::IOError("key file " + path + " already exists; refusing to overwrite it");
  }
  if (::stat(pub_path.c_str(), &st) == 0) {
    return Status::IOError("key file " + pub_path + " already exists; refusing to overwrite it");
  }
  std::string secret = std::string(kSecretHeader) + "\n" + ToBase64(key.seed()) + "\n";
  Status s = WriteNewFile(path, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  DVS_RETURN_IF_ERROR(s);
  return WriteNewFile(pub_path,
                      std::string(kPublicHeader) + "\n" + ToBase64(key.public_key().bytes()) + "\n",
                      0644);
}

Result<SecretKey> LoadSecretKey(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("key file " + path + " does not exist");
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("key file " + path + " is not a file");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied("key file " + path + " is readable by group or others (mode " +
                                    mode + "); run: chmod 600 " + path);
  }
  DVS_ASSIGN_OR_RETURN(std::string seed, ReadKeyFile(path, kSecretHeader, kPublicHeader, "secret"));
  auto key = SecretKey::FromSeed(seed);
  sodium_memzero(seed.data(), seed.size());
  return key;
}

Result<PublicKey> LoadPublicKey(const std::string& path) {
  DVS_ASSIGN_OR_RETURN(std::string raw, ReadKeyFile(path, kPublicHeader, kSecretHeader, "public"));
  return PublicKey::FromBytes(raw);
}

}  // namespace dvs
