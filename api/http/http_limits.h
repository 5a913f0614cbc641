// What `dvs serve` accepts on the wire: a bigger request meets a clear HTTP error, never unbounded
// memory. Tested in tests/limits_test.cc and by the HTTP fuzzer.
#ifndef DVS_API_HTTP_HTTP_LIMITS_H_
#define DVS_API_HTTP_HTTP_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace dvs {

// Entries in one batch submitted over HTTP (all applied in one transaction, or none).
inline constexpr size_t kMaxBatchEntries = 1000;

// A request body `dvs serve` accepts (a batch of base64 entries); larger: 413.
inline constexpr size_t kMaxHttpBody = 8u << 20;

// Request line plus headers `dvs serve` accepts; larger: 431.
inline constexpr size_t kMaxHttpHeader = 16u << 10;

// Rows `GET /v1/audit?first=N` or `?last=N` answers at most (the dashboard asks 200 and 500).
inline constexpr uint64_t kMaxAuditRows = 10000;

// GET /v1/entries (a peer's raw entries, for a node that bootstraps) answers at most this many
// entries, and stops adding entries once its body holds this many bytes (but always answers at
// least one).
inline constexpr uint64_t kMaxFetchEntries = 10000;
inline constexpr size_t kMaxFetchBytes = 4u << 20;

}  // namespace dvs

#endif  // DVS_API_HTTP_HTTP_LIMITS_H_
