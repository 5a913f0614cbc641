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

// The nodes a leaf at `seq` records: the leaf itself, then each perfect subtree it completes.
void NodesCompletedBy(uint64_t seq, std::vector<std::pair<int, uint64_t>>* out) {
  out->emplace_back(0, seq);
  for (int level = 1; seq & 1; ++level) {
    seq >>= 1;
    out->emplace_back(level, seq);
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

    for (size_t i = 0; i < chunk.size(); ++i) {
      std::string why =
          CheckOne(chunk[i], checked[i], &stored[first_key[i]], first_key[i + 1] - first_key[i]);
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
    if (!nodes[0]) return "Merkle leaf is missing";
    if (*nodes[0] != c.hash) return "entry bytes do not match the recorded Merkle leaf hash";
    if (!c.signature_ok) return "signature by key " + e.signer.Id() + " does not verify";
    // Recompute the perfect subtrees this leaf completes and compare with the stored nodes.
    Hash node = c.hash;
    for (size_t k = 1; k < node_count; ++k) {
      node = NodeHash(frontier_.back(), node);
      frontier_.pop_back();
      if (!nodes[k] || *nodes[k] != node) {
        return "Merkle node at level " + std::to_string(k) + " completed by this entry is " +
               (nodes[k] ? "wrong" : "missing");
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
