// Internal: decoding one entry into the row people read (log, history, audit, events).
#ifndef DVS_API_SERVICE_ROWS_H_
#define DVS_API_SERVICE_ROWS_H_

#include "api/service/release_service.h"

namespace dvs {

// The row of entry `seq`: its kind, actor (named from `s`, the current state: key names are
// never reused), bundle, service and weights (from its audit record), a one-line detail, and for
// automatic decisions the observations cited.
Result<LogRow> RowOf(const class Log& log, const State& s, uint64_t seq, const Entry& e);

}  // namespace dvs

#endif  // DVS_API_SERVICE_ROWS_H_
