#include "api/cluster/bootstrap.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "api/http/http_client.h"
#include "api/http/http_limits.h"
#include "ledger/entry_batch.h"
#include "ledger/hash.h"

namespace dvs::cluster {

namespace {

// Entries handed to AppendReplicated at once (one local transaction each).
constexpr size_t kAppendChunk = 1000;
// Entries asked of a peer at once (its answer is capped at 10,000 and 4 MiB, http_limits.h).
constexpr uint64_t kFetchChunk = 10000;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using Spool = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

PeerBootstrap::PeerBootstrap(ReleaseService& svc, NodeRegistry& registry, int timeout_ms,
                             Logger log)
    : svc_(svc), registry_(registry), timeout_ms_(timeout_ms), log_(std::move(log)) {}

Status PeerBootstrap::FetchTo(uint64_t floor, const Hash& floor_hash) {
  auto nodes = registry_.Nodes();
  std::string tried;
  if (nodes.ok()) {
    for (const NodeRecord& n : *nodes) {
      if (n.name == registry_.node()) continue;
      if (!n.valid) {
        tried += (tried.empty() ? "" : "; ") + n.name + ": its record in etcd does not parse";
        continue;
      }
      Status st = FetchFrom(n.url, floor, floor_hash);
      if (st.ok()) {
        log_("bootstrap: fetched the entries below " + std::to_string(floor) + " from " + n.name +
             " (" + n.url + ")");
        return st;
      }
      log_("bootstrap: refused " + n.name + ": " + st.message());
      tried += (tried.empty() ? "" : "; ") + n.name + ": " + st.message();
    }
  } else {
    tried = "the node list: " + nodes.status().message();
  }
  return Status::Unavailable(
      "cluster: etcd holds the log from entry " + std::to_string(floor) +
      " on only (older entries were compacted), and no peer could supply the ones before it (" +
      (tried.empty() ? "no other node is advertised" : tried) + ")");
}

Status PeerBootstrap::FetchFrom(const std::string& url, uint64_t floor, const Hash& floor_hash) {
  auto base = HttpUrl::Parse(url);
  if (!base.ok()) return base.status().Prefixed("peer " + url);
  DVS_ASSIGN_OR_RETURN(Head head, svc_.LedgerHead());
  if (head.size >= floor) return Status::OK();
  const std::string peer = "peer " + url;
  Spool spool(std::tmpfile());
  if (!spool) return Status::IOError("bootstrap: cannot create a temporary file to spool into");
  // Fetch and check the chain, spooling each entry.
  // An honest answer is at most kMaxFetchBytes plus one entry (an entry is under a request's
  // size): more is a hostile peer, cut off before it fills memory.
  HttpConnection conn(*base, timeout_ms_, kMaxFetchBytes + kMaxHttpBody);
  uint64_t seq = head.size;
  Hash prev = head.hash;
  while (seq < floor) {
    const uint64_t want = std::min(kFetchChunk, floor - seq);
    auto reply = conn.Call(
        "GET", "/v1/entries?from=" + std::to_string(seq) + "&limit=" + std::to_string(want));
    if (!reply.ok()) return reply.status().Prefixed(peer);
    if (reply->status != 200) {
      return Status::Refused(peer + " answered HTTP " + std::to_string(reply->status) +
                             " for entries from " + std::to_string(seq) + ": " +
                             reply->body.substr(0, 200));
    }
    if (reply->body.empty()) {
      return Status::Refused(peer + " holds no entry " + std::to_string(seq) +
                             " (etcd's floor is " + std::to_string(floor) + ")");
    }
    auto entries = DecodeBatch(reply->body);
    if (!entries.ok()) return entries.status().Prefixed(peer);
    if (entries->size() > want) {
      return Status::Refused(peer + " answered " + std::to_string(entries->size()) +
                             " entries where " + std::to_string(want) + " were asked");
    }
    for (const std::string& raw : *entries) {
      const std::string at = peer + ": entry " + std::to_string(seq);
      auto e = Entry::Decode(raw);
      if (!e.ok()) return e.status().Prefixed(at);
      if (e->seq != seq) return Status::Refused(at + " says it is entry " + std::to_string(e->seq));
      if (seq > 0 && e->prev_hash != prev) {
        return Status::Refused(at + " does not chain onto entry " + std::to_string(seq - 1) +
                               ": altered or out of order");
      }
      prev = LeafHash(raw);
      const uint32_t n = static_cast<uint32_t>(raw.size());
      if (std::fwrite(&n, sizeof(n), 1, spool.get()) != 1 ||
          std::fwrite(raw.data(), 1, raw.size(), spool.get()) != raw.size()) {
        return Status::IOError("bootstrap: cannot write the temporary spool file");
      }
      ++seq;
    }
  }
  if (prev != floor_hash) {
    return Status::Refused(peer + ": its entries up to " + std::to_string(floor - 1) +
                           " are not the cluster's (entry " + std::to_string(floor - 1) +
                           " hashes to " + ToHex(prev) + ", etcd's floor says " +
                           ToHex(floor_hash) + "): altered, or another history");
  }
  // Every spooled entry is the cluster's: append them through the checks of every append.
  std::rewind(spool.get());
  uint64_t first = head.size;
  std::vector<std::string> chunk;
  for (uint64_t s = head.size; s < floor; ++s) {
    uint32_t n = 0;
    std::string raw;
    if (std::fread(&n, sizeof(n), 1, spool.get()) == 1) {
      raw.resize(n);
      if (std::fread(raw.data(), 1, n, spool.get()) != n) n = UINT32_MAX;
    } else {
      n = UINT32_MAX;
    }
    if (n == UINT32_MAX) return Status::IOError("bootstrap: cannot read the temporary spool file");
    chunk.push_back(std::move(raw));
    if (chunk.size() == kAppendChunk || s + 1 == floor) {
      auto appended = svc_.AppendReplicated(first, chunk);
      if (!appended.ok()) return appended.status().Prefixed("bootstrap from " + peer);
      first += chunk.size();
      chunk.clear();
    }
  }
  return Status::OK();
}

}  // namespace dvs::cluster
