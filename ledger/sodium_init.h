// libsodium must be initialised before its first use (sodium_malloc before sodium_init is a misuse
// it aborts on). EnsureSodium is cheap after the first call and safe from any thread.
#ifndef DVS_LEDGER_SODIUM_INIT_H_
#define DVS_LEDGER_SODIUM_INIT_H_

#include <sodium.h>

namespace dvs {

inline void EnsureSodium() {
  static const int ok = sodium_init();
  (void)ok;  // 0 or 1 (already initialised); -1 cannot happen on Linux with getrandom.
}

}  // namespace dvs

#endif  // DVS_LEDGER_SODIUM_INIT_H_
