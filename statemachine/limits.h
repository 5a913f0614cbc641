// The release rules' explicit limits: names, versions, fields, manifests, conditions, request ids.
// Each is enforced where the input arrives and tested in tests/limits_test.cc. Raising one is safe
// for existing ledgers; lowering one may refuse entries a ledger already holds.
#ifndef DVS_STATEMACHINE_LIMITS_H_
#define DVS_STATEMACHINE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace dvs {

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

}  // namespace dvs

#endif  // DVS_STATEMACHINE_LIMITS_H_
