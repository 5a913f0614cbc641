#include "ledger/hash.h"

#include <sodium.h>

#include <cstring>

namespace dvs {

Hash Sha256(std::string_view data) {
  Hash out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return out;
}

Hash LeafHash(std::string_view leaf_bytes) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  const unsigned char prefix = 0x00;
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(leaf_bytes.data()),
                            leaf_bytes.size());
  Hash out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  unsigned char buf[1 + 2 * kHashSize];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), kHashSize);
  std::memcpy(buf + 1 + kHashSize, right.data(), kHashSize);
  Hash out;
  crypto_hash_sha256(out.data(), buf, sizeof(buf));
  return out;
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
