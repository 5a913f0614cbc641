// Every explicit limit of dvs, in one place. Bad input meets a clear error naming the limit, never
// unbounded memory. Each is enforced where the input arrives and tested in tests/limits_test.cc.
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
// Service, key, ledger, config and governance key names (statemachine/manifest_rules.h).
inline constexpr size_t kMaxNameLength = 64;
// A version string (statemachine/version.h).
inline constexpr size_t kMaxVersionLength = 64;
// A metric name (statemachine/condition.h).
inline constexpr size_t kMaxMetricNameLength = 64;
// code, model, config and governance values, artifact paths, reasons.
inline constexpr size_t kMaxFieldLength = 1024;
// One artifact file hashed into a manifest (dvs package, dvs verify-artifact). Only regular files
// are read at all: a device, FIFO or socket is refused before reading.
inline constexpr uint64_t kMaxArtifactSize = uint64_t{64} << 30;  // 64 GiB
// Entries in config, governance and an observation's metrics; artifacts; policy rules.
inline constexpr size_t kMaxMapEntries = 64;
// Conditions in promote_when or rollback_when.
inline constexpr size_t kMaxConditions = 16;
// A manifest or policy file, and an encoded manifest.
inline constexpr size_t kMaxManifestBytes = 64 * 1024;
// A transition's request id.
inline constexpr size_t kMaxRequestIdLength = 128;

// Entries in one batch submitted over HTTP (all applied in one transaction, or none).
inline constexpr size_t kMaxBatchEntries = 1000;

// A request body `dvs serve` accepts (a batch of base64 entries); larger: 413.
inline constexpr size_t kMaxHttpBody = 8u << 20;

// Request line plus headers `dvs serve` accepts; larger: 431.
inline constexpr size_t kMaxHttpHeader = 16u << 10;

}  // namespace dvs

#endif  // DVS_LEDGER_LIMITS_H_
