#include "ledger/postings.h"

#include "ledger/lmdb_util.h"

namespace dvs::postings {

namespace {

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The smallest key above every key that starts with `prefix`; "" when there is none.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

Status Malformed(std::string_view term, const std::string& why) {
  return Status::Corruption("derived postings of term '" + ToHex(term) + "': " + why +
                            "; run dvs reindex");
}

}  // namespace

Result<Chunk> DecodeChunk(std::string_view key, std::string_view value) {
  if (key.size() < 8) return Malformed(key, "a key shorter than a seq");
  Chunk c;
  c.term = key.substr(0, key.size() - 8);
  uint64_t seq = lmdb::ReadBigEndian64(key.substr(key.size() - 8));
  c.seqs.push_back(seq);
  size_t i = 0;
  while (i < value.size()) {
    uint64_t d = 0;
    int shift = 0;
    for (;;) {
      if (i == value.size() || shift > 63) return Malformed(c.term, "a truncated distance");
      const uint8_t b = static_cast<uint8_t>(value[i++]);
      d |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    if (d == 0 || d > UINT64_MAX - seq) return Malformed(c.term, "seqs that do not ascend");
    seq += d;
    c.seqs.push_back(seq);
    if (c.seqs.size() > kPostingsPerChunk) return Malformed(c.term, "an overfull chunk");
  }
  return c;
}

Status Add(WriteTxn& w, const std::string& db, std::string_view term, uint64_t seq) {
  const std::string end = std::string(term) + lmdb::BigEndian64(UINT64_MAX);
  DVS_ASSIGN_OR_RETURN(auto last, w.FloorDerived(db, end));
  if (last && last->first.size() == term.size() + 8 && last->first.starts_with(term)) {
    DVS_ASSIGN_OR_RETURN(Chunk c, DecodeChunk(last->first, last->second));
    if (seq <= c.seqs.back()) {
      return Status::InvalidArgument("posting " + std::to_string(seq) + " is not above " +
                                     std::to_string(c.seqs.back()));
    }
    if (c.seqs.size() < kPostingsPerChunk) {
      std::string value = std::move(last->second);
      AppendVarint(&value, seq - c.seqs.back());
      return w.PutDerived(db, last->first, value);
    }
  }
  return w.PutDerived(db, end.substr(0, term.size()) + lmdb::BigEndian64(seq), "");
}

Status Scan(const Log& log, const std::string& db, std::string_view term,
            const std::function<Status(uint64_t)>& fn) {
  uint64_t next = 0;  // every seq must be at least this
  return log.ScanDerived(db, term, PrefixEnd(std::string(term)),
                         [&](std::string_view key, std::string_view value) -> Status {
                           if (key.size() != term.size() + 8)
                             return Malformed(term, "a key of another length");
                           DVS_ASSIGN_OR_RETURN(Chunk c, DecodeChunk(key, value));
                           if (c.seqs.front() < next) return Malformed(term, "chunks that overlap");
                           for (uint64_t seq : c.seqs) DVS_RETURN_IF_ERROR(fn(seq));
                           next = c.seqs.back() + 1;
                           return Status::OK();
                         });
}

}  // namespace dvs::postings
