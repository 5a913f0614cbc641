// Status and Result<T>: errors as values (the definition and its contract: ledger/status.h).
//
// In the source tree this header forwards to ledger/status.h, so that there is one definition and
// ledger/ never includes api/. `cmake --install` installs ledger/status.h itself under this name
// (cmake/install.cmake), so an installed program sees the same type.
#ifndef DVS_STATUS_H_
#define DVS_STATUS_H_

#include "ledger/status.h"

#endif  // DVS_STATUS_H_
