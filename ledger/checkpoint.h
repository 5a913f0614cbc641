// Signed checkpoints: the log key commits to (origin, tree size, root hash) as a signed note in the
// c2sp.org tlog-checkpoint format, so that an auditor can pin a size and later prove that the log
// only grew (consistency proof) and that an entry is in it (inclusion proof).
//
//   irs-prod\n                                  origin: the ledger's name
//   1024\n                                      tree size
//   <base64 root hash>\n                        RFC 6962 root of the first `size` entries
//   \n
//   — <key name> <base64(key hash[4] || Ed25519 signature[64])>\n
//
// The signature covers the note text (the three lines, with their newlines) exactly, as the
// c2sp.org signed-note format defines, so that outside tools verify it; the note's own format and
// origin line are its domain separation (the one place dvs signs without its context prefix).
// key hash = first 4 bytes of SHA-256(key name || "\n" || 0x01 || 32-byte public key).
#ifndef DVS_LEDGER_CHECKPOINT_H_
#define DVS_LEDGER_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/limits.h"
#include "ledger/status.h"

namespace dvs {

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
};

struct NoteSignature {
  std::string key_name;
  uint32_t key_hash = 0;
  std::string signature;  // 64 bytes
};

struct SignedCheckpoint {
  Checkpoint checkpoint;
  std::string text;  // the signed note text
  std::vector<NoteSignature> signatures;
};

uint32_t NoteKeyHash(std::string_view key_name, const PublicKey& key);
// The note text of a checkpoint.
std::string CheckpointText(const Checkpoint& c);
// The whole signed note.
std::string SignCheckpoint(const Checkpoint& c, std::string_view key_name, const SecretKey& key);
// Parses a signed note. InvalidArgument naming the line and the problem on malformed input.
Result<SignedCheckpoint> ParseCheckpoint(std::string_view note);
// OK when one of the note's signatures is `key_name`'s by `key` and verifies; Refused otherwise.
Status VerifyCheckpoint(const SignedCheckpoint& c, std::string_view key_name, const PublicKey& key);

}  // namespace dvs

#endif  // DVS_LEDGER_CHECKPOINT_H_
