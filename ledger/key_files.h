// Key files: secret and public keys on disk, optionally protected by a passphrase. The I/O half of
// ledger/keys.h (which holds the format's description).
#ifndef DVS_LEDGER_KEY_FILES_H_
#define DVS_LEDGER_KEY_FILES_H_

#include <functional>
#include <string>

#include "ledger/keys.h"
#include "ledger/status.h"

namespace dvs {

// Writes `path` (the secret key, created with mode 0600) and `path + ".pub"`. With a passphrase
// the secret key file is encrypted with it. Refuses to overwrite an existing file. Returns IOError
// naming the file on failure.
Status WriteKeyFiles(const SecretKey& key, const std::string& path,
                     const std::string* passphrase = nullptr);

// Asked for the passphrase of an encrypted key file, only when one is loaded.
using PassphraseFn = std::function<Result<std::string>(const std::string& path)>;
// DVS_PASSPHRASE from the environment, else a prompt without echo on the terminal; an error
// naming both ways when there is neither.
Result<std::string> PassphraseFromEnvironmentOrTerminal(const std::string& path);

// Loads a secret key file. Errors name the file and the problem: missing, readable by group or
// others (PermissionDenied, as ssh does), not a dvs key file, a public key file, truncated or
// malformed base64, wrong length.
// An encrypted file asks `passphrase` (PassphraseFromEnvironmentOrTerminal when empty); a wrong
// passphrase is PermissionDenied naming the file.
Result<SecretKey> LoadSecretKey(const std::string& path, const PassphraseFn& passphrase = {});

// Loads a public key file; errors as for LoadSecretKey. A secret key file is refused.
Result<PublicKey> LoadPublicKey(const std::string& path);

}  // namespace dvs

#endif  // DVS_LEDGER_KEY_FILES_H_
