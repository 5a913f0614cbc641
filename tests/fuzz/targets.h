// Fuzz targets, as plain functions: libFuzzer drives them in the fuzz build (build-fuzz/, clang),
// and corpus_test.cc replays every committed corpus and regression input through them in the
// ordinary builds. Each returns normally on any input; a crash or sanitizer report is the bug.
#ifndef DVS_TESTS_FUZZ_TARGETS_H_
#define DVS_TESTS_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>

namespace dvs::fuzz {

// The bytes as a stored entry (Decode), and as a transition body applied to a live ledger state
// with a canary in flight, signed by each role in turn. Checks that a refusal changes nothing and
// that an accepted entry keeps every invariant.
void EntryAndApply(const uint8_t* data, size_t size);
// The bytes as manifest YAML and as policy YAML.
void ManifestYaml(const uint8_t* data, size_t size);
// The bytes as a ramp-policy condition: parse -> format -> parse round-trips, and complementary
// operators (< and >=, <= and >, == and !=) give opposite answers on any values where both sides
// are numbers (with NaN, only != holds).
void Condition(const uint8_t* data, size_t size);
// The bytes as a signed checkpoint note, verified against a fixed key (never crashes); and a
// checkpoint derived from the bytes and signed, which verifies only with its own key and name, and
// fails after any one-byte change of the note.
void CheckpointNote(const uint8_t* data, size_t size);
// The bytes as a snapshot record, which anyone with file access can edit: decoding never crashes;
// a decoded state digests the same from its record and from itself once re-encoded, and decodes
// from that encoding to a state of the same digest (what opening a ledger relies on).
void SnapshotRecord(const uint8_t* data, size_t size);
// The bytes as an HTTP request to dvs serve: parsed as the server parses, then handled by the API
// against a live ledger (http_target.cc).
void HttpRequest(const uint8_t* data, size_t size);

}  // namespace dvs::fuzz

#endif  // DVS_TESTS_FUZZ_TARGETS_H_
