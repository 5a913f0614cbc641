// libFuzzer entry point for dvs::fuzz::SnapshotRecord (see targets.h).
#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dvs::fuzz::SnapshotRecord(data, size);
  return 0;
}
