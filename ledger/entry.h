// The ledger entry: what an actor submits (SignedBody) and what the log stores (Entry).
//
// Encoding and decoding live here so that the log, the verifier and the tools agree on one
// definition of a well-formed entry.
#ifndef DVS_LEDGER_ENTRY_H_
#define DVS_LEDGER_ENTRY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/limits.h"
#include "ledger/status.h"

namespace dvs {

// A body signed by its author, not yet placed in the log.
struct SignedBody {
  std::string body;  // the exact bytes signed
  PublicKey signer;
  std::string signature;  // kSignatureSize bytes

  // Signs `body` with `key` under kEntryBodyContext.
  static SignedBody Sign(const SecretKey& key, std::string body);
  // OK when the signature verifies; Refused naming the signer's key id otherwise, or
  // InvalidArgument when the body exceeds kMaxBodySize.
  Status Check() const;
};

// A decoded entry as the log stores it.
struct Entry {
  uint64_t seq = 0;
  Hash prev_hash{};
  int64_t append_time_ms = 0;
  std::string body;
  PublicKey signer;
  std::string signature;

  // The exact bytes stored in the log (and hashed).
  std::string Encode() const;
  // Parses stored bytes. Corruption when they are not a well-formed Entry: unparseable, unknown
  // fields, or a hash, key or signature field of the wrong length. The message names the field.
  static Result<Entry> Decode(std::string_view bytes);
  // True when `signature` is signer's signature over kEntryBodyContext || body.
  bool SignatureValid() const { return signer.Verify(kEntryBodyContext, body, signature); }
};

}  // namespace dvs

#endif  // DVS_LEDGER_ENTRY_H_
