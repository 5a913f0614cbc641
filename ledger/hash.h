// SHA-256 and the RFC 6962 hashing rules shared by the hash chain and the Merkle tree.
//
// SHA-256 is OpenSSL's libcrypto, which uses the CPU's SHA extensions where it has them: 2.5x
// libsodium's speed on a typical entry (400 bytes) and 5x on large inputs, measured on the
// 2-core CI machine. Every entry is hashed at least once on every path, so this is the one place
// the choice of library shows. Signatures and BLAKE2b stay with libsodium.
//
// hash(entry) = SHA-256(0x00 || stored entry bytes) is both the chain link (the next entry's
// prev_hash) and the Merkle leaf hash; interior nodes are SHA-256(0x01 || left || right).
// Part of the persistent format: do not change.
#ifndef DVS_LEDGER_HASH_H_
#define DVS_LEDGER_HASH_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dvs {

inline constexpr size_t kHashSize = 32;
using Hash = std::array<uint8_t, kHashSize>;

Hash Sha256(std::string_view data);
// SHA-256 over data given in pieces (a file read in blocks). Final() once; not copyable.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view data);
  Hash Final();

 private:
  void* ctx_;  // EVP_MD_CTX
};
Hash LeafHash(std::string_view leaf_bytes);
Hash NodeHash(const Hash& left, const Hash& right);
// BLAKE2b with a 16-byte output: a compact digest for sets of identifiers (not for the chain).
std::array<uint8_t, 16> Digest128(std::string_view data);

// The root of the empty tree: SHA-256 of nothing.
Hash EmptyRoot();

// Views a hash as bytes without copying; valid while `h` lives.
inline std::string_view AsBytes(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}
// nullopt unless `bytes` is exactly kHashSize long.
std::optional<Hash> HashFromBytes(std::string_view bytes);

std::string ToHex(std::string_view bytes);
inline std::string ToHex(const Hash& h) { return ToHex(AsBytes(h)); }
// nullopt on odd length or a non-hex character.
std::optional<std::string> FromHex(std::string_view hex);

// Standard padded base64 (RFC 4648 section 4).
std::string ToBase64(std::string_view bytes);
// nullopt on any character outside the alphabet or bad padding.
std::optional<std::string> FromBase64(std::string_view b64);

}  // namespace dvs

#endif  // DVS_LEDGER_HASH_H_
