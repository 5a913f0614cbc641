// Versions and their order: SemVer 2.0 precedence, extended to one- and two-part numeric cores
// ("9.0" < "9.0.1" < "9.1" < "10"). Build metadata (after '+') is kept but ignored for order.
//
// Grammar: CORE ['-' PRERELEASE] ['+' BUILD], CORE = 1 to 3 numeric parts without leading zeros,
// PRERELEASE and BUILD = dot-separated non-empty identifiers of [0-9A-Za-z-]; numeric prerelease
// identifiers have no leading zeros.
#ifndef DVS_STATEMACHINE_VERSION_H_
#define DVS_STATEMACHINE_VERSION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/status.h"

namespace dvs {

struct Version {
  std::vector<uint64_t> core;           // 1 to 3 parts
  std::vector<std::string> prerelease;  // empty: a release
  std::string build;
};

// InvalidArgument naming the problem ("leading zero in '09'", "4 numeric parts") on bad input.
Result<Version> ParseVersion(std::string_view text);

// <0, 0, >0 by precedence. Missing core parts count as 0; on a tie the shorter core is first,
// so the order is total over distinct cores ("9.0" < "9.0.0"). Build metadata is ignored.
int CompareVersions(const Version& a, const Version& b);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_VERSION_H_
