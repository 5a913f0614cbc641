// DVS_ASSERT: a check of an invariant that must never break, on in every build type.
//
// For cheap checks only (a comparison, a size): a failure means the program's own reasoning is
// wrong, not that an input was bad (inputs get a Status). It prints the condition and where,
// then aborts, so a broken invariant can never be written to the ledger.
#ifndef DVS_LEDGER_ASSERT_H_
#define DVS_LEDGER_ASSERT_H_

#include <cstdio>
#include <cstdlib>

#define DVS_ASSERT(cond)                                                                        \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "dvs: internal invariant broken at %s:%d: %s\n", __FILE__, __LINE__, \
                   #cond);                                                                      \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

#endif  // DVS_LEDGER_ASSERT_H_
