#include "ledger/key_files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ledger/hash.h"
#include "ledger/limits.h"
#include "ledger/sodium_init.h"

namespace dvs {

namespace {

constexpr std::string_view kSecretHeader = "dvs-secret-key-v1 ed25519";
constexpr std::string_view kEncryptedHeader = "dvs-secret-key-v1 ed25519 encrypted";
constexpr size_t kSaltSize = crypto_pwhash_SALTBYTES;        // 16
constexpr size_t kNonceSize = crypto_secretbox_NONCEBYTES;   // 24
constexpr size_t kBoxSize = 32 + crypto_secretbox_MACBYTES;  // 48
constexpr size_t kEncryptedSize = kSaltSize + kNonceSize + kBoxSize;
constexpr std::string_view kPublicHeader = "dvs-public-key-v1 ed25519";

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

// True when `path` is a regular file whose first line is `header` (reads at most a key file).
bool FirstLineIs(const std::string& path, std::string_view header) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  char buf[64];
  ssize_t n = 0;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = ::read(fd, buf, sizeof(buf));
  ::close(fd);
  if (n <= 0) return false;
  std::string_view text(buf, static_cast<size_t>(n));
  return text.substr(0, text.find('\n')) == header;
}

struct KeyFileContent {
  std::string header;
  std::string raw;  // the decoded base64 body
  ~KeyFileContent() { sodium_memzero(raw.data(), raw.size()); }
};

// Reads a key file whose first line is one of `want` and decodes its base64 body.
Result<KeyFileContent> ReadKeyFile(const std::string& path,
                                   std::initializer_list<std::string_view> want,
                                   std::string_view other_header, const char* kind) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("key file " + path + " is not a regular file");
  }
  if (::stat(path.c_str(), &st) == 0 && st.st_size > static_cast<off_t>(kMaxKeyFileSize)) {
    return Status::InvalidArgument("key file " + path + " is larger than " +
                                   std::to_string(kMaxKeyFileSize) + " bytes: not a dvs key file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("key file " + path + " does not exist or cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t nl = text.find('\n');
  KeyFileContent out;
  out.header = text.substr(0, nl);
  if (out.header == other_header) {
    return Status::InvalidArgument("key file " + path +
                                   " holds the wrong kind of key: expected a " + kind + " key");
  }
  if (std::find(want.begin(), want.end(), out.header) == want.end()) {
    return Status::InvalidArgument("key file " + path + " is not a dvs " + std::string(kind) +
                                   " key file (first line is not '" + std::string(*want.begin()) +
                                   "')");
  }
  if (nl == std::string::npos) {
    return Status::InvalidArgument("key file " + path + " is truncated: no key after the header");
  }
  std::string body = text.substr(nl + 1);
  sodium_memzero(text.data(), text.size());
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  if (body.empty()) {
    return Status::InvalidArgument("key file " + path + " is truncated: no key after the header");
  }
  auto raw = FromBase64(body);
  sodium_memzero(body.data(), body.size());
  if (!raw) return Status::InvalidArgument("key file " + path + " holds malformed base64");
  out.raw = std::move(*raw);
  return out;
}

Status WrongLength(const std::string& path, size_t got, size_t want) {
  return Status::InvalidArgument("key file " + path + " holds " + std::to_string(got) +
                                 " key bytes, expected " + std::to_string(want) +
                                 " (truncated or not Ed25519)");
}

// Argon2id(passphrase, salt) -> 32-byte secretbox key, in sodium_malloc'd memory.
Result<unsigned char*> DeriveKey(const std::string& passphrase, const unsigned char* salt) {
  EnsureSodium();  // sodium_malloc before sodium_init is a misuse libsodium aborts on
  auto* key = static_cast<unsigned char*>(sodium_malloc(crypto_secretbox_KEYBYTES));
  if (key == nullptr) return Status::IOError("out of memory for a key");
  if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase.data(), passphrase.size(), salt,
                    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    sodium_free(key);
    return Status::IOError("Argon2id ran out of memory deriving the key");
  }
  return key;
}

}  // namespace

Result<std::string> PassphraseFromEnvironmentOrTerminal(const std::string& path) {
  if (const char* env = std::getenv("DVS_PASSPHRASE"); env != nullptr && *env != '\0')
    return std::string(env);
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) {
    return Status::PermissionDenied(
        "key file " + path + " is encrypted: set DVS_PASSPHRASE, or run on a terminal to be asked");
  }
  const std::string prompt = "passphrase for " + path + ": ";
  (void)!::write(tty, prompt.data(), prompt.size());
  termios old{};
  const bool is_term = tcgetattr(tty, &old) == 0;
  if (is_term) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  std::string pass;
  char ch;
  while (::read(tty, &ch, 1) == 1 && ch != '\n' && pass.size() < 1024) pass.push_back(ch);
  if (is_term) tcsetattr(tty, TCSAFLUSH, &old);
  (void)!::write(tty, "\n", 1);
  ::close(tty);
  if (pass.empty()) return Status::PermissionDenied("no passphrase given for key file " + path);
  return pass;
}

Status WriteKeyFiles(const SecretKey& key, const std::string& path, const std::string* passphrase) {
  EnsureSodium();
  const std::string pub_path = path + ".pub";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    return Status::IOError("key file " + path + " already exists; refusing to overwrite it");
  }
  if (::stat(pub_path.c_str(), &st) == 0) {
    return Status::IOError("key file " + pub_path + " already exists; refusing to overwrite it");
  }
  std::string secret;
  if (passphrase == nullptr) {
    secret = std::string(kSecretHeader) + "\n" + ToBase64(key.seed()) + "\n";
  } else {
    if (passphrase->empty())
      return Status::InvalidArgument("the passphrase for " + path + " is empty");
    std::string blob(kEncryptedSize, '\0');
    auto* b = reinterpret_cast<unsigned char*>(blob.data());
    randombytes_buf(b, kSaltSize + kNonceSize);
    DVS_ASSIGN_OR_RETURN(unsigned char* k, DeriveKey(*passphrase, b));
    crypto_secretbox_easy(b + kSaltSize + kNonceSize,
                          reinterpret_cast<const unsigned char*>(key.seed().data()), 32,
                          b + kSaltSize, k);
    sodium_free(k);
    secret = std::string(kEncryptedHeader) + "\n" + ToBase64(blob) + "\n";
  }
  Status s = WriteNewFile(path, secret, 0600);
  sodium_memzero(secret.data(), secret.size());
  DVS_RETURN_IF_ERROR(s);
  return WriteNewFile(pub_path,
                      std::string(kPublicHeader) + "\n" + ToBase64(key.public_key().bytes()) + "\n",
                      0644);
}

Result<SecretKey> LoadSecretKey(const std::string& path, const PassphraseFn& passphrase) {
  EnsureSodium();
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::NotFound("key file " + path + " does not exist");
  }
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("key file " + path + " is not a file");
  // Before the mode check: a .pub file is readable by design, and "chmod 600" is the wrong advice.
  if (FirstLineIs(path, kPublicHeader)) {
    const bool pub_suffix = path.size() > 4 && path.ends_with(".pub");
    return Status::InvalidArgument(path + " is a public key; signing needs the secret key " +
                                   (pub_suffix ? path.substr(0, path.size() - 4)
                                               : std::string("written beside it by keygen")));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::PermissionDenied("key file " + path + " is readable by group or others (mode " +
                                    mode + "); run: chmod 600 " + path);
  }
  DVS_ASSIGN_OR_RETURN(KeyFileContent c, ReadKeyFile(path, {kSecretHeader, kEncryptedHeader},
                                                     kPublicHeader, "secret"));
  if (c.header == kSecretHeader) {
    if (c.raw.size() != 32) return WrongLength(path, c.raw.size(), 32);
    return SecretKey::FromSeed(c.raw);
  }
  if (c.raw.size() != kEncryptedSize) return WrongLength(path, c.raw.size(), kEncryptedSize);
  DVS_ASSIGN_OR_RETURN(std::string pass,
                       passphrase ? passphrase(path) : PassphraseFromEnvironmentOrTerminal(path));
  const auto* b = reinterpret_cast<const unsigned char*>(c.raw.data());
  auto k = DeriveKey(pass, b);
  sodium_memzero(pass.data(), pass.size());
  if (!k.ok()) return k.status();
  auto* seed = static_cast<unsigned char*>(sodium_malloc(32));
  const int opened =
      crypto_secretbox_open_easy(seed, b + kSaltSize + kNonceSize, kBoxSize, b + kSaltSize, *k);
  sodium_free(*k);
  if (opened != 0) {
    sodium_free(seed);
    return Status::PermissionDenied("wrong passphrase for key file " + path +
                                    " (or the file was altered)");
  }
  auto key = SecretKey::FromSeed(std::string_view(reinterpret_cast<char*>(seed), 32));
  sodium_free(seed);
  return key;
}

Result<PublicKey> LoadPublicKey(const std::string& path) {
  DVS_ASSIGN_OR_RETURN(KeyFileContent c,
                       ReadKeyFile(path, {kPublicHeader}, kSecretHeader, "public"));
  if (c.raw.size() != 32) return WrongLength(path, c.raw.size(), 32);
  return PublicKey::FromBytes(c.raw);
}

}  // namespace dvs
