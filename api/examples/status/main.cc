// Opens a dvs ledger and prints the status of one service's bundles: the smallest program that
// links dvs as a library. Built against an installed dvs by its own CMake project (beside it):
//   cmake -S . -B build -DCMAKE_PREFIX_PATH=/usr/local && cmake --build build
//   ./build/dvs-status-example LEDGER_DIR SERVICE
#include <cstdio>

#include "dvs/ledger.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s LEDGER_DIR SERVICE\n", argv[0]);
    return 2;
  }
  auto ledger = dvs::Ledger::Open(argv[1]);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", ledger.status().ToString().c_str());
    return 1;
  }
  auto bundles = (*ledger)->StatusOfService(argv[2]);
  if (!bundles.ok()) {
    std::fprintf(stderr, "%s\n", bundles.status().ToString().c_str());
    return 1;
  }
  for (const dvs::BundleStatus& b : *bundles) {
    std::printf("%s %s %s %s %u%%\n", b.service.c_str(), b.version.c_str(), b.bundle.c_str(),
                b.state.c_str(), b.weight);
  }
  return 0;
}
