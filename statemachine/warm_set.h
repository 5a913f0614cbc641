// WarmSet: a service's superseded bundles kept warm, each until a log time (the manifest's
// warm_for after it was superseded). A promotion adds one; rolling back to it or retiring it
// removes it; a window that ended is not removed (the state, and so the snapshots checkpoints
// sign, keep it: replay must give the same state whichever time it runs at).
//
// So a long-lived service accumulates one entry per release. Everything asked per entry or per
// write, the routing table above all, asks only for the bundles still warm at a time: LiveAt finds
// them through an index by end time, without walking the windows that ended. The index is derived
// from the entries by id and is not part of equality or of the snapshot.
#ifndef DVS_STATEMACHINE_WARM_SET_H_
#define DVS_STATEMACHINE_WARM_SET_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dvs {

class WarmSet {
 public:
  using Map = std::map<std::string, int64_t>;

  // Keeps `id` warm until log time `until_ms` (replacing an earlier window of the same id).
  void Put(const std::string& id, int64_t until_ms);
  void Erase(const std::string& id);

  // Every id with its window, ended or not, by id: what the snapshot stores.
  Map::const_iterator begin() const { return by_id_.begin(); }
  Map::const_iterator end() const { return by_id_.end(); }
  size_t size() const { return by_id_.size(); }

  // The ids whose window has not ended at `now_ms` (until > now_ms), by id. Costs the number of
  // those, not the number ever kept.
  std::vector<std::pair<std::string, int64_t>> LiveAt(int64_t now_ms) const;

  bool operator==(const WarmSet& o) const { return by_id_ == o.by_id_; }

 private:
  Map by_id_;
  std::set<std::pair<int64_t, std::string>> by_end_;  // (until, id) for every entry of by_id_
};

}  // namespace dvs

#endif  // DVS_STATEMACHINE_WARM_SET_H_
