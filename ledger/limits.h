// The ledger's explicit limits. Bad input meets a clear error naming the limit, never unbounded
// memory. Each is enforced where the input arrives and tested in tests/limits_test.cc; the release
// limits are in statemachine/limits.h, the server's in api/http/http_limits.h.
// Raising one is safe for existing ledgers; lowering one may refuse entries a ledger already holds.
#ifndef DVS_LEDGER_LIMITS_H_
#define DVS_LEDGER_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace dvs {

// One signed transition body (ledger/entry.h: SignedBody::Check).
inline constexpr size_t kMaxBodySize = 1 << 20;
// A key file (ledger/keys.h).
inline constexpr size_t kMaxKeyFileSize = 4096;
// A signed checkpoint note (ledger/checkpoint.h).
inline constexpr size_t kMaxCheckpointSize = 16 * 1024;
}  // namespace dvs

#endif  // DVS_LEDGER_LIMITS_H_
