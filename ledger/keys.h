// Ed25519 keys and domain-separated signatures. Pure: no file or terminal I/O (key files are
// ledger/key_files.h).
//
// Every signature dvs makes or checks covers `context || message`, where the context is a fixed
// string naming what is signed (kEntryBodyContext for transition bodies). A signature made for one
// purpose therefore never verifies for another.
//
// Key files are text: a header line naming the format and kind, then the key in base64.
//   secret: "dvs-secret-key-v1 ed25519\n<base64 of the 32-byte seed>\n"   (mode 0600)
//   or, protected by a passphrase:
//           "dvs-secret-key-v1 ed25519 encrypted\n<base64 of salt[16] || nonce[24] ||
//            secretbox(seed)[48]>\n"  (key = Argon2id(passphrase, salt), libsodium's interactive
//           limits; XSalsa20-Poly1305)
//   public: "dvs-public-key-v1 ed25519\n<base64 of the 32-byte public key>\n"
// Part of the persistent format: do not change.
//
// Thread safety: keys are immutable after construction; Sign and Verify may run concurrently.
#ifndef DVS_LEDGER_KEYS_H_
#define DVS_LEDGER_KEYS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/status.h"

namespace dvs {

inline constexpr std::string_view kEntryBodyContext = "dvs/v1 entry body\n";
inline constexpr size_t kPublicKeySize = 32;
inline constexpr size_t kSignatureSize = 64;

class PublicKey {
 public:
  PublicKey() = default;  // all zero: never valid for a signature
  // REQUIRES: bytes.size() == kPublicKeySize, else returns InvalidArgument.
  static Result<PublicKey> FromBytes(std::string_view bytes);

  std::string_view bytes() const {
    return {reinterpret_cast<const char*>(key_.data()), key_.size()};
  }
  // A short, stable name for the key: hex of the first 8 bytes of SHA-256(public key).
  std::string Id() const;
  // True when `signature` is this key's Ed25519 signature over context || message.
  bool Verify(std::string_view context, std::string_view message, std::string_view signature) const;

  bool operator==(const PublicKey& o) const { return key_ == o.key_; }
  bool operator<(const PublicKey& o) const { return key_ < o.key_; }

 private:
  std::array<uint8_t, kPublicKeySize> key_{};
};

// The secret half. Movable, not copyable; the secret bytes are wiped on destruction.
class SecretKey {
 public:
  static SecretKey Generate();
  // Derives the key pair from a 32-byte seed; InvalidArgument on another length.
  static Result<SecretKey> FromSeed(std::string_view seed);

  SecretKey(SecretKey&& o) noexcept;
  SecretKey& operator=(SecretKey&& o) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();  // the secret bytes live in sodium_malloc'd memory, wiped when freed

  const PublicKey& public_key() const { return public_; }
  // Returns the 64-byte Ed25519 signature over context || message.
  std::string Sign(std::string_view context, std::string_view message) const;
  // The 32-byte seed. Handle with care: anyone holding it can sign as this key.
  std::string_view seed() const { return {reinterpret_cast<const char*>(secret_), 32}; }

 private:
  SecretKey();
  unsigned char* secret_ = nullptr;  // 64 bytes, libsodium layout: seed || public key
  PublicKey public_;
};

}  // namespace dvs

#endif  // DVS_LEDGER_KEYS_H_
