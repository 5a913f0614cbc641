#include "ledger/parallel.h"

#include <algorithm>
#include <thread>
#include <vector>

namespace dvs {

unsigned DefaultThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t, size_t)>& fn,
                 size_t min_per_thread) {
  size_t t =
      std::max<size_t>(1, std::min<size_t>(threads, n / std::max<size_t>(1, min_per_thread)));
  if (t <= 1) {
    if (n > 0) fn(0, n);
    return;
  }
  std::vector<std::thread> workers;
  size_t per = (n + t - 1) / t;
  for (size_t i = 1; i < t; ++i) {
    size_t b = i * per, e = std::min(n, b + per);
    if (b < e) workers.emplace_back(fn, b, e);
  }
  fn(0, std::min(n, per));
  for (auto& w : workers) w.join();
}

}  // namespace dvs
