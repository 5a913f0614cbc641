// The manifest the benchmarks release: tax_calc at a given major version, default policy.
#ifndef DVS_TOOLS_BENCH_MANIFEST_H_
#define DVS_TOOLS_BENCH_MANIFEST_H_

#include <string>

#include "statemachine/transition.pb.h"

namespace dvs::bench {

inline sm::Manifest BenchManifest(int version) {
  sm::Manifest m;
  m.set_name("tax_calc");
  m.set_version(std::to_string(version) + ".0");
  m.set_code("registry.gov/tax_calc:" + m.version());
  (*m.mutable_governance())["license"] = "Apache-2.0";
  m.set_canary_pct(5);
  auto* r = m.mutable_rollout();
  r->set_step_pct(20);
  r->set_min_samples(100);
  r->add_promote_when("error_rate < 0.1");
  r->add_rollback_when("error_rate > 1");
  return m;
}

}  // namespace dvs::bench

#endif  // DVS_TOOLS_BENCH_MANIFEST_H_
