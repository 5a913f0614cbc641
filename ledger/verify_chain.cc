#include "ledger/verify_chain.h"

#include <limits>
#include <vector>

namespace dvs {

namespace {

struct Stored {
  uint64_t key_seq;
  std::string bytes;
};

// What the parallel pass learns about one entry.
struct Checked {
  Result<Entry> entry = Status::Corruption("not decoded");
  Hash hash{};
  bool signature_ok = false;
};

// The stored nodes a leaf at `seq` completes: each perfect subtree of level >=
// kLowestStoredMerkleLevel that ends with it, lowest first.
void NodesCompletedBy(uint64_t seq, std::vector<std::pair<int, uint64_t>>* out) {
  for (int level = 1; seq & 1; ++level) {
    seq >>= 1;
    if (level >= kLowestStoredMerkleLevel) out->emplace_back(level, seq);
  }
}

class Verifier {
 public:
  Verifier(const Log& log, const VerifyChainOptions& opt, uint64_t total)
      : log_(log), opt_(opt), total_(total) {}

  // Checks one chunk; false once a problem is found.
  Result<bool> Process(const std::vector<Stored>& chunk) {
    std::vector<Checked> checked(chunk.size());
    ParallelFor(chunk.size(), opt_.threads, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) {
        checked[i].entry = Entry::Decode(chunk[i].bytes);
        checked[i].hash = LeafHash(chunk[i].bytes);
        checked[i].signature_ok =
            checked[i].entry.ok() && (!opt_.check_signatures || checked[i].entry->SignatureValid());
      }
    });
    std::vector<std::pair<int, uint64_t>> keys;
    std::vector<size_t> first_key(chunk.size() + 1);
    for (size_t i = 0; i < chunk.size(); ++i) {
      first_key[i] = keys.size();
      NodesCompletedBy(report_.entries + i, &keys);
    }
    first_key[chunk.size()] = keys.size();
    std::vector<std::optional<Hash>> stored;
    DVS_RETURN_IF_ERROR(log_.ReadNodes(keys, &stored));
    first_group_ = report_.entries / kLeafChecksPerRecord;
    DVS_RETURN_IF_ERROR(log_.ReadLeafChecks(
        first_group_,
        (report_.entries + chunk.size() + kLeafChecksPerRecord - 1) / kLeafChecksPerRecord,
        &leaf_checks_));

    for (size_t i = 0; i < chunk.size(); ++i) {
      std::string why = CheckOne(chunk[i], checked[i], stored.data() + first_key[i],
                                 first_key[i + 1] - first_key[i]);
      if (!why.empty()) {
        report_.problem = ChainProblem{report_.entries, why};
        return false;
      }
      ++report_.entries;
      report_.head_hash = checked[i].hash;
      prev_time_ = checked[i].entry->append_time_ms;
    }
    if (opt_.progress) opt_.progress(report_.entries, total_);
    return true;
  }

  ChainReport report() const { return report_; }

 private:
  // Returns why the entry at position report_.entries fails, or "" when it checks.
  std::string CheckOne(const Stored& s, const Checked& c, const std::optional<Hash>* nodes,
                       size_t node_count) {
    const uint64_t want = report_.entries;
    if (s.key_seq != want) {
      return "entry is missing (the next stored entry is seq " + std::to_string(s.key_seq) + ")";
    }
    if (!c.entry.ok()) return c.entry.status().message();
    const Entry& e = *c.entry;
    if (e.seq != want) {
      return "entry says seq " + std::to_string(e.seq) + " but is stored as seq " +
             std::to_string(want);
    }
    if (e.prev_hash != report_.head_hash) {
      return want == 0 ? "genesis prev_hash is not zero"
                       : "prev_hash does not match the hash of entry " + std::to_string(want - 1);
    }
    if (want > 0 && e.append_time_ms < prev_time_) {
      return "append time " + std::to_string(e.append_time_ms) +
             " is earlier than the previous entry's " + std::to_string(prev_time_);
    }
    const std::string& checks = leaf_checks_[want / kLeafChecksPerRecord - first_group_];
    const size_t at = (want % kLeafChecksPerRecord) * kLeafCheckBytes;
    if (checks.size() < at + kLeafCheckBytes) return "Merkle leaf check is missing";
    if (checks.compare(at, kLeafCheckBytes, AsBytes(c.hash).substr(0, kLeafCheckBytes)) != 0) {
      if (!c.signature_ok) {
        return "entry was altered after it was signed: its signature by key " + e.signer.Id() +
               " does not verify, and its bytes no longer match the Merkle leaf recorded when it "
               "was appended";
      }
      return "entry bytes do not match the Merkle leaf recorded when it was appended (the entry "
             "was replaced by another signed one, or that record was altered)";
    }
    if (!c.signature_ok) return "signature by key " + e.signer.Id() + " does not verify";
    // Recompute the perfect subtrees this leaf completes and compare with the stored nodes.
    Hash node = c.hash;
    size_t k = 0;  // the next stored node to compare
    int level = 0;
    for (uint64_t i = want; i & 1; i >>= 1) {
      node = NodeHash(frontier_.back(), node);
      frontier_.pop_back();
      if (++level < kLowestStoredMerkleLevel) continue;
      const std::optional<Hash>* stored = k < node_count ? &nodes[k++] : nullptr;
      if (stored == nullptr || !*stored || **stored != node) {
        return "Merkle node at level " + std::to_string(level) + " completed by this entry is " +
               (stored != nullptr && *stored ? "wrong" : "missing");
      }
    }
    frontier_.push_back(node);
    return "";
  }

  const Log& log_;
  const VerifyChainOptions& opt_;
  const uint64_t total_;
  ChainReport report_;
  int64_t prev_time_ = 0;
  std::vector<Hash> frontier_;  // roots of the perfect subtrees covering the checked prefix
  uint64_t first_group_ = 0;    // the leaf-check record of the chunk's first entry
  std::vector<std::string> leaf_checks_;  // the chunk's leaf-check records, from first_group_
};

}  // namespace

Result<ChainReport> VerifyChain(const Log& log, const VerifyChainOptions& options) {
  auto head = log.GetHead();
  Verifier v(log, options, head.ok() ? head->size : 0);
  std::vector<Stored> chunk;
  chunk.reserve(options.chunk);
  bool go_on = true;
  Status io;
  Status s = log.Scan(0, std::numeric_limits<uint64_t>::max(),
                      [&](uint64_t seq, std::string_view bytes) -> Status {
                        chunk.push_back(Stored{seq, std::string(bytes)});
                        if (chunk.size() < options.chunk) return Status::OK();
                        auto r = v.Process(chunk);
                        chunk.clear();
                        if (!r.ok()) io = r.status();
                        go_on = r.ok() && *r;
                        return go_on ? Status::OK() : Status::Refused("stop");
                      });
  if (!io.ok()) return io;
  if (go_on && !s.ok()) return s;
  if (go_on && !chunk.empty()) {
    auto r = v.Process(chunk);
    if (!r.ok()) return r.status();
  }
  return v.report();
}

}  // namespace dvs
