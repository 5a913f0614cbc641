#include "ledger/hash.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>
#include <initializer_list>

#include "ledger/assert.h"

namespace dvs {

namespace {

const EVP_MD* Sha256Md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    DVS_ASSERT(m != nullptr);  // libcrypto without SHA-256 cannot run dvs at all
    return m;
  }();
  return md;
}

// One context per thread, reused: allocating one per hash costs a third of a small hash.
EVP_MD_CTX* ThreadCtx() {
  struct Owned {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Owned() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Owned owned;
  DVS_ASSERT(owned.ctx != nullptr);
  return owned.ctx;
}

// SHA-256 of the concatenation of `parts`.
Hash Sha256Of(std::initializer_list<std::string_view> parts) {
  EVP_MD_CTX* ctx = ThreadCtx();
  DVS_ASSERT(EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) == 1);
  for (std::string_view p : parts) DVS_ASSERT(EVP_DigestUpdate(ctx, p.data(), p.size()) == 1);
  Hash out;
  unsigned int n = 0;
  DVS_ASSERT(EVP_DigestFinal_ex(ctx, out.data(), &n) == 1 && n == kHashSize);
  return out;
}

}  // namespace

Hash Sha256(std::string_view data) { return Sha256Of({data}); }

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  DVS_ASSERT(ctx_ != nullptr &&
             EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), Sha256Md(), nullptr) == 1);
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::Update(std::string_view data) {
  DVS_ASSERT(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) == 1);
}

Hash Sha256Stream::Final() {
  Hash out;
  unsigned int n = 0;
  DVS_ASSERT(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &n) == 1 &&
             n == kHashSize);
  return out;
}

Hash LeafHash(std::string_view leaf_bytes) { return Sha256Of({std::string_view("\0", 1), leaf_bytes}); }

Hash NodeHash(const Hash& left, const Hash& right) {
  return Sha256Of({"\x01", AsBytes(left), AsBytes(right)});
}

Hash EmptyRoot() { return Sha256(""); }

std::array<uint8_t, 16> Digest128(std::string_view data) {
  std::array<uint8_t, 16> d;
  crypto_generichash(d.data(), d.size(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return d;
}

std::optional<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != kHashSize) return std::nullopt;
  Hash h;
  std::memcpy(h.data(), bytes.data(), kHashSize);
  return h;
}

std::string ToHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::optional<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size()) {
    return std::nullopt;
  }
  return out;
}

std::string ToBase64(std::string_view bytes) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::optional<std::string> FromBase64(std::string_view b64) {
  std::string out(b64.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != b64.data() + b64.size()) {
    return std::nullopt;
  }
  out.resize(len);
  // Only the canonical encoding: libsodium's decoder maps some bytes outside the alphabet (0x96
  // for '/', found by fuzz_checkpoint_note) to alphabet values, so a note with one byte changed
  // in its signature still parsed and verified.
  if (ToBase64(out) != b64) return std::nullopt;
  return out;
}

}  // namespace dvs
