// ParallelFor: split [0, n) into contiguous slices, one per thread, and wait for all of them.
// Used to check signatures across cores (batched append, replay, verification).
#ifndef DVS_LEDGER_PARALLEL_H_
#define DVS_LEDGER_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace dvs {

// The number of threads to use by default: the machine's hardware concurrency, at least 1.
unsigned DefaultThreads();

// Calls fn(begin, end) on disjoint slices covering [0, n), on up to `threads` threads (the
// calling thread is one of them). Slices below `min_per_thread` items are not split further.
// fn must be safe to run concurrently on disjoint slices.
void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t, size_t)>& fn,
                 size_t min_per_thread = 64);

}  // namespace dvs

#endif  // DVS_LEDGER_PARALLEL_H_
