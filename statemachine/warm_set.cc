#include "statemachine/warm_set.h"

#include <algorithm>
#include <limits>

#include "ledger/assert.h"

namespace dvs {

void WarmSet::Put(const std::string& id, int64_t until_ms) {
  auto [it, added] = by_id_.try_emplace(id, until_ms);
  if (!added) {
    by_end_.erase({it->second, id});
    it->second = until_ms;
  }
  by_end_.insert({until_ms, id});
  DVS_ASSERT(by_end_.size() == by_id_.size());
}

void WarmSet::Erase(const std::string& id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_end_.erase({it->second, id});
  by_id_.erase(it);
  DVS_ASSERT(by_end_.size() == by_id_.size());
}

std::vector<std::pair<std::string, int64_t>> WarmSet::LiveAt(int64_t now_ms) const {
  std::vector<std::pair<std::string, int64_t>> out;
  if (now_ms == std::numeric_limits<int64_t>::max()) return out;
  // The first window with until > now_ms: (now_ms + 1, "") sorts before every id ending then.
  for (auto it = by_end_.lower_bound({now_ms + 1, std::string()}); it != by_end_.end(); ++it)
    out.emplace_back(it->second, it->first);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace dvs
