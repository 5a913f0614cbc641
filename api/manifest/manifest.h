// Manifests and governance policies in YAML.
//
// A manifest (see README.md for the full format):
//   name: tax_calc
//   version: "9.0"
//   code: registry.gov/tax_calc:9.0
//   model: s3://models/tax_v9.onnx
//   config: {brackets: "2024"}
//   governance: {license: Apache-2.0, ethics_review: passed, fedramp: moderate}
//   canary_pct: 5
//   rollout: {step_pct: 20, interval: 60s, min_samples: 100, warm_for: 30m,
//             promote_when: ["error_rate < 0.1"], rollback_when: ["error_rate > 1"]}
//   artifacts: [build/tax_calc.tar]      # local files, hashed (SHA-256) into the manifest
// Omitted rollout fields and canary_pct take DESIGN.md's defaults, so the stored manifest is
// explicit. Everything a user can get wrong is refused before anything is signed, with the key
// and the problem named: unknown or duplicate keys, wrong types, missing name or version, invalid
// names or versions, canary_pct outside 1..100, malformed conditions, durations without units,
// oversized fields, unreadable artifacts.
#ifndef DVS_API_MANIFEST_H_
#define DVS_API_MANIFEST_H_

#include <string>
#include <string_view>

#include "ledger/status.h"
#include "statemachine/limits.h"
#include "statemachine/transition.pb.h"

namespace dvs {

// Parses manifest text. `base_dir` resolves relative artifact paths. InvalidArgument naming the
// key and the problem on any error.
Result<sm::Manifest> ParseManifest(std::string_view yaml, const std::string& base_dir);
// Reads and parses a manifest file; errors are prefixed with the file name.
Result<sm::Manifest> LoadManifest(const std::string& path);

// A governance policy:
//   allowed_licenses: [Apache-2.0, MIT]
//   required_reviews: [ethics_review]          # each must be "passed" in the manifest
//   required_tags: {fedramp: [moderate, high], ato: ~} # present, and one of these; ~: any value
// Every key is optional; a key given with an empty list ([]) is refused (InvalidArgument naming
// it), since in the signed policy an empty list would allow anything.
Result<sm::GovernancePolicy> ParsePolicy(std::string_view yaml);
Result<sm::GovernancePolicy> LoadPolicy(const std::string& path);

// "250ms", "60s", "30m", "2h" -> milliseconds. InvalidArgument naming the text otherwise.
Result<int64_t> ParseDuration(std::string_view text);

// SHA-256 of a regular file's contents, streamed. IOError naming the file when it cannot be read;
// InvalidArgument naming it when it is not a regular file (device, FIFO, ...) or is larger than
// kMaxArtifactSize (ledger/limits.h).
Result<std::string> Sha256File(const std::string& path, uint64_t* size);

}  // namespace dvs

#endif  // DVS_API_MANIFEST_H_
