#include "ledger/merkle.h"

#include <algorithm>
#include <bit>

namespace dvs {

namespace {

bool IsPerfect(uint64_t begin, uint64_t end) {
  uint64_t n = end - begin;
  return std::has_single_bit(n) && begin % n == 0;
}

Status InclusionPath(const NodeSource& src, uint64_t m, uint64_t lo, uint64_t hi,
                     std::vector<Hash>* out) {
  if (hi - lo <= 1) return Status::OK();
  uint64_t k = LargestPowerOfTwoBelow(hi - lo);
  if (m < lo + k) {
    DVS_RETURN_IF_ERROR(InclusionPath(src, m, lo, lo + k, out));
    DVS_ASSIGN_OR_RETURN(Hash h, RangeHash(src, lo + k, hi));
    out->push_back(h);
  } else {
    DVS_RETURN_IF_ERROR(InclusionPath(src, m, lo + k, hi, out));
    DVS_ASSIGN_OR_RETURN(Hash h, RangeHash(src, lo, lo + k));
    out->push_back(h);
  }
  return Status::OK();
}

// SUBPROOF(m, D[lo:hi], b) of RFC 6962 section 2.1.2, with m counted from lo.
Status SubProof(const NodeSource& src, uint64_t m, uint64_t lo, uint64_t hi, bool whole,
                std::vector<Hash>* out) {
  uint64_t n = hi - lo;
  if (m == n) {
    if (!whole) {
      DVS_ASSIGN_OR_RETURN(Hash h, RangeHash(src, lo, hi));
      out->push_back(h);
    }
    return Status::OK();
  }
  uint64_t k = LargestPowerOfTwoBelow(n);
  if (m <= k) {
    DVS_RETURN_IF_ERROR(SubProof(src, m, lo, lo + k, whole, out));
    DVS_ASSIGN_OR_RETURN(Hash h, RangeHash(src, lo + k, hi));
    out->push_back(h);
  } else {
    DVS_RETURN_IF_ERROR(SubProof(src, m - k, lo + k, hi, false, out));
    DVS_ASSIGN_OR_RETURN(Hash h, RangeHash(src, lo, lo + k));
    out->push_back(h);
  }
  return Status::OK();
}

Result<std::vector<Hash>> ToHashes(const std::vector<std::string>& raw, const char* what) {
  std::vector<Hash> out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    auto h = HashFromBytes(raw[i]);
    if (!h) {
      return Status::Corruption(std::string(what) + " element " + std::to_string(i) + " is " +
                                std::to_string(raw[i].size()) + " bytes, expected 32");
    }
    out.push_back(*h);
  }
  return out;
}

}  // namespace

Result<Hash> RangeHash(const NodeSource& src, uint64_t begin, uint64_t end) {
  if (end <= begin) return Status::InvalidArgument("empty Merkle range");
  if (IsPerfect(begin, end)) {
    return src.Node(std::countr_zero(end - begin), begin / (end - begin));
  }
  uint64_t k = LargestPowerOfTwoBelow(end - begin);
  if (begin % k != 0) return Status::InvalidArgument("Merkle range is not a tree node");
  DVS_ASSIGN_OR_RETURN(Hash left, src.Node(std::countr_zero(k), begin / k));
  DVS_ASSIGN_OR_RETURN(Hash right, RangeHash(src, begin + k, end));
  return NodeHash(left, right);
}

Result<Hash> RootAt(const NodeSource& src, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return RangeHash(src, 0, size);
}

Result<std::vector<Hash>> InclusionProof(const NodeSource& src, uint64_t index, uint64_t size) {
  if (index >= size) {
    return Status::InvalidArgument("leaf " + std::to_string(index) + " is not in a tree of size " +
                                   std::to_string(size));
  }
  std::vector<Hash> out;
  DVS_RETURN_IF_ERROR(InclusionPath(src, index, 0, size, &out));
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(const NodeSource& src, uint64_t old_size,
                                           uint64_t new_size) {
  if (old_size == 0) {
    return Status::InvalidArgument("a consistency proof from the empty tree proves nothing");
  }
  if (old_size > new_size) {
    return Status::InvalidArgument("old size " + std::to_string(old_size) +
                                   " is larger than new size " + std::to_string(new_size));
  }
  std::vector<Hash> out;
  if (old_size == new_size) return out;
  DVS_RETURN_IF_ERROR(SubProof(src, old_size, 0, new_size, true, &out));
  return out;
}

Status VerifyInclusion(uint64_t index, uint64_t size, const std::string& leaf_hash,
                       const std::vector<std::string>& proof, const std::string& root) {
  if (index >= size) {
    return Status::Corruption("leaf index " + std::to_string(index) + " is not below tree size " +
                              std::to_string(size));
  }
  auto leaf = HashFromBytes(leaf_hash);
  if (!leaf) return Status::Corruption("leaf hash is not 32 bytes");
  auto want = HashFromBytes(root);
  if (!want) return Status::Corruption("root hash is not 32 bytes");
  DVS_ASSIGN_OR_RETURN(std::vector<Hash> path, ToHashes(proof, "inclusion proof"));
  uint64_t fn = index, sn = size - 1;
  Hash r = *leaf;
  for (const Hash& p : path) {
    if (sn == 0) return Status::Corruption("inclusion proof is longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Corruption("inclusion proof is shorter than the tree is deep");
  if (r != *want) return Status::Corruption("inclusion proof does not lead to the root");
  return Status::OK();
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, const std::string& old_root,
                         const std::string& new_root, const std::vector<std::string>& proof) {
  if (old_size == 0) {
    return Status::Corruption("a consistency proof from the empty tree proves nothing");
  }
  if (old_size > new_size) {
    return Status::Corruption("old size " + std::to_string(old_size) + " exceeds new size " +
                              std::to_string(new_size));
  }
  if (old_size == new_size) {  // the same tree: the roots must be the same value, byte for byte
    if (!proof.empty()) return Status::Corruption("equal sizes need an empty consistency proof");
    if (old_root != new_root) return Status::Corruption("equal sizes but the roots differ");
    return Status::OK();
  }
  auto first = HashFromBytes(old_root);
  auto second = HashFromBytes(new_root);
  if (!first) return Status::Corruption("old root is not 32 bytes");
  if (!second) return Status::Corruption("new root is not 32 bytes");
  DVS_ASSIGN_OR_RETURN(std::vector<Hash> path, ToHashes(proof, "consistency proof"));
  if (std::has_single_bit(old_size)) path.insert(path.begin(), *first);
  if (path.empty()) return Status::Corruption("consistency proof is empty");
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return Status::Corruption("consistency proof is too long");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Status::Corruption("consistency proof is too short");
  if (fr != *first) return Status::Corruption("consistency proof does not lead to the old root");
  if (sr != *second) return Status::Corruption("consistency proof does not lead to the new root");
  return Status::OK();
}

}  // namespace dvs
