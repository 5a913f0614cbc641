// Timing helpers for the benchmarks: wall-clock timing, percentiles, and the report table.
#ifndef DVS_TOOLS_BENCH_UTIL_H_
#define DVS_TOOLS_BENCH_UTIL_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace dvs::bench {

inline double NowSeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// p in [0, 100]. REQUIRES: !samples.empty(). Sorts samples.
inline double Percentile(std::vector<double>& samples, double p) {
  std::sort(samples.begin(), samples.end());
  size_t i = static_cast<size_t>(p / 100.0 * (samples.size() - 1) + 0.5);
  return samples[std::min(i, samples.size() - 1)];
}

// One line of the report: ours against its primitive, with the target ratio of DESIGN.md.
struct Row {
  std::string what;
  double ours;
  std::string unit;
  std::string primitive;
  double raw;
  bool lower_is_better;  // latency (ratio ours/raw must be <= target) vs rate (>= target)
  double target;         // <= 0: none
};

inline void PrintRow(const Row& r) {
  double ratio = r.ours / r.raw;
  if (r.target <= 0) {  // reported, with no target in DESIGN.md
    std::printf("%-34s %12.3f %-9s %-32s %12.3f  ratio %6.2f\n", r.what.c_str(), r.ours,
                r.unit.c_str(), r.primitive.c_str(), r.raw, ratio);
    return;
  }
  bool met = r.lower_is_better ? ratio <= r.target : ratio >= r.target;
  std::printf("%-34s %12.3f %-9s %-32s %12.3f  ratio %6.2f  target %s %.2f  %s\n", r.what.c_str(),
              r.ours, r.unit.c_str(), r.primitive.c_str(), r.raw, ratio,
              r.lower_is_better ? "<=" : ">=", r.target, met ? "met" : "MISSED");
}

}  // namespace dvs::bench

#endif  // DVS_TOOLS_BENCH_UTIL_H_
