// Files the user names: only ever regular files, read or written.
//
// A path the user gives may name a symbolic link, a device (/dev/stdout, /dev/zero), a FIFO or a
// directory. Replacing such an entry, or writing through a link, damages something that is not
// ours; reading one may never end or block forever. So each is refused with the path and what it
// is named.
#ifndef DVS_LEDGER_FILES_H_
#define DVS_LEDGER_FILES_H_

#include <sys/types.h>

#include <string>

#include "ledger/status.h"

namespace dvs {

// OK when `path` does not exist or is a regular file (lstat: a link is not followed), in a folder
// that exists and takes writes (IOError / PermissionDenied naming it otherwise); else the
// InvalidArgument ReplaceRegularFile would return. For callers that must refuse before doing
// anything else (dvs checkpoint appends to the log before it writes --out).
Status CheckReplaceable(const std::string& path);

// Replaces `path` with a regular file holding `data` (mode `mode`), atomically: readers see the
// old file or the new one, never a torn one (a temporary file beside it, fsync, rename). `path`
// must not exist or be a regular file; a symbolic link or any other kind of file is refused
// (InvalidArgument naming the path and its kind) and left untouched. IOError naming the file when
// the system fails.
Status ReplaceRegularFile(const std::string& path, const std::string& data, mode_t mode = 0644);

// The contents of `path`, which must be a regular file (links to one are followed) of at most
// `max_bytes`. Opening never blocks (O_NONBLOCK: a FIFO is refused, not waited on). NotFound when
// it does not exist; InvalidArgument naming the path when it is not a regular file or is larger.
Result<std::string> ReadRegularFile(const std::string& path, size_t max_bytes);

}  // namespace dvs

#endif  // DVS_LEDGER_FILES_H_
