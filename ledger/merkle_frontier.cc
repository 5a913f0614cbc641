#include "ledger/merkle_frontier.h"

#include <bit>
#include <cstring>

namespace dvs {

void MerkleFrontier::Append(const Hash& leaf) {
  // The trailing one bits of size_ are the perfect subtrees this leaf completes, smallest last.
  Hash node = leaf;
  for (uint64_t carry = size_; carry & 1; carry >>= 1) {
    node = NodeHash(nodes_.back(), node);
    nodes_.pop_back();
  }
  nodes_.push_back(node);
  ++size_;
}

Hash MerkleFrontier::Root() const {
  if (nodes_.empty()) return EmptyRoot();
  Hash root = nodes_.back();
  for (size_t i = nodes_.size() - 1; i-- > 0;) root = NodeHash(nodes_[i], root);
  return root;
}

std::string MerkleFrontier::Encode() const {
  std::string out(8 + nodes_.size() * 32, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(size_ >> (56 - 8 * i));
  for (size_t i = 0; i < nodes_.size(); ++i) std::memcpy(&out[8 + 32 * i], nodes_[i].data(), 32);
  return out;
}

Result<MerkleFrontier> MerkleFrontier::Decode(std::string_view bytes) {
  if (bytes.size() < 8) return Status::Corruption("Merkle frontier is shorter than its size field");
  MerkleFrontier f;
  for (int i = 0; i < 8; ++i) f.size_ = f.size_ << 8 | static_cast<uint8_t>(bytes[i]);
  const size_t want = static_cast<size_t>(std::popcount(f.size_));
  if (bytes.size() != 8 + 32 * want) {
    return Status::Corruption("Merkle frontier of size " + std::to_string(f.size_) + " must hold " +
                              std::to_string(want) + " hashes");
  }
  f.nodes_.resize(want);
  for (size_t i = 0; i < want; ++i) std::memcpy(f.nodes_[i].data(), &bytes[8 + 32 * i], 32);
  return f;
}

}  // namespace dvs
