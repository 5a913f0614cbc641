// DVS_ASSERT, which Result<T> uses (the definition: ledger/assert.h).
//
// In the source tree this header forwards to ledger/assert.h; `cmake --install` installs that file
// itself under this name (cmake/install.cmake).
#ifndef DVS_ASSERT_H_
#define DVS_ASSERT_H_

#include "ledger/assert.h"

#endif  // DVS_ASSERT_H_
