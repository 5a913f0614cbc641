#include "ledger/entry_batch.h"

#include <cstdint>

namespace dvs {

void AppendToBatch(std::string* out, std::string_view entry) {
  const auto n = static_cast<uint32_t>(entry.size());
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out->append(entry);
}

std::string EncodeBatch(const std::vector<std::string>& entries) {
  std::string out;
  for (const std::string& e : entries) AppendToBatch(&out, e);
  return out;
}

Result<std::vector<std::string>> DecodeBatch(std::string_view value) {
  std::vector<std::string> out;
  while (!value.empty()) {
    if (value.size() < 4) return Status::Corruption("batch: a cut length");
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(value[i]);
    value.remove_prefix(4);
    if (n > value.size()) return Status::Corruption("batch: an entry runs past the end");
    out.emplace_back(value.substr(0, n));
    value.remove_prefix(n);
  }
  if (out.empty()) return Status::Corruption("batch: no entry");
  return out;
}

}  // namespace dvs
