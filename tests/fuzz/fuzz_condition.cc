// libFuzzer entry point for dvs::fuzz::Condition (see targets.h).
#include "tests/fuzz/targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dvs::fuzz::Condition(data, size);
  return 0;
}
