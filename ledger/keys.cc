#include "ledger/keys.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "ledger/hash.h"
#include "ledger/sodium_init.h"

namespace dvs {

namespace {

std::string Concat(std::string_view a, std::string_view b) {
  std::string m;
  m.reserve(a.size() + b.size());
  m.append(a).append(b);
  return m;
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
  crypto_sign_seed_keypair(pk, k.secret_, reinterpret_cast<const unsigned char*>(seed.data()));
  k.public_ =
      PublicKey::FromBytes(std::string_view(reinterpret_cast<char*>(pk), sizeof(pk))).value();
  return k;
}

SecretKey::SecretKey() {
  EnsureSodium();
  secret_ = static_cast<unsigned char*>(sodium_malloc(64));  // guarded pages, not swapped
  if (secret_ == nullptr) std::abort();
  sodium_memzero(secret_, 64);
}

SecretKey::SecretKey(SecretKey&& o) noexcept : secret_(o.secret_), public_(o.public_) {
  o.secret_ = nullptr;
}

SecretKey& SecretKey::operator=(SecretKey&& o) noexcept {
  if (this != &o) {
    std::swap(secret_, o.secret_);
    public_ = o.public_;
  }
  return *this;
}

SecretKey::~SecretKey() {
  if (secret_ != nullptr) sodium_free(secret_);  // zeroes the memory first
}

std::string SecretKey::Sign(std::string_view context, std::string_view message) const {
  std::string m = Concat(context, message);
  std::string sig(kSignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(m.data()), m.size(), secret_);
  return sig;
}

}  // namespace dvs
