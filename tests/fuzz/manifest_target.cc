// The manifest_yaml target: apart from targets.cc because it needs the library (dvs_api), which
// the statemachine and ledger targets do not (their fuzz builds stay small).
#include <cstdlib>
#include <string>

#include "api/manifest/manifest.h"
#include "statemachine/manifest_rules.h"
#include "tests/fuzz/targets.h"

namespace dvs::fuzz {

void ManifestYaml(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto m = ParseManifest(text, "/nonexistent-fuzz-dir");
  if (m.ok() && !ValidateManifest(*m).ok()) std::abort();  // parsed means valid
  (void)ParsePolicy(text);
}

}  // namespace dvs::fuzz
