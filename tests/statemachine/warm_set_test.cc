// WarmSet answers "which bundles are warm at time T" through its index by end time; these hold
// that answer to the plain definition (every kept window with until > T), whatever the order of
// puts, replacements and erasures.
#include "statemachine/warm_set.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

namespace dvs {
namespace {

using Live = std::vector<std::pair<std::string, int64_t>>;

TEST(WarmSet, LiveAtIsTheWindowsNotYetEndedById) {
  WarmSet w;
  w.Put("b", 100);
  w.Put("a", 300);
  w.Put("c", 200);
  EXPECT_EQ(w.LiveAt(99), (Live{{"a", 300}, {"b", 100}, {"c", 200}}));
  EXPECT_EQ(w.LiveAt(100), (Live{{"a", 300}, {"c", 200}}));  // a window ends at its time
  EXPECT_EQ(w.LiveAt(299), (Live{{"a", 300}}));
  EXPECT_TRUE(w.LiveAt(300).empty());
  EXPECT_EQ(w.size(), 3u);  // ended windows are kept: the state (and its snapshot) holds them
}

TEST(WarmSet, APutReplacesTheWindowAndAnEraseForgetsIt) {
  WarmSet w;
  w.Put("a", 100);
  w.Put("a", 50);
  EXPECT_TRUE(w.LiveAt(60).empty()) << "the old window of a must not linger in the index";
  w.Put("a", 500);
  EXPECT_EQ(w.LiveAt(60), (Live{{"a", 500}}));
  w.Erase("a");
  w.Erase("never-there");
  EXPECT_TRUE(w.LiveAt(0).empty());
  EXPECT_EQ(w.size(), 0u);
}

RC_GTEST_PROP(WarmSetProperties, LiveAtAgreesWithAPlainMap, ()) {
  WarmSet w;
  std::map<std::string, int64_t> model;
  const auto ops = *rc::gen::container<std::vector<std::tuple<int, int, int64_t>>>(
      rc::gen::tuple(rc::gen::inRange(0, 3), rc::gen::inRange(0, 8), rc::gen::inRange<int64_t>(0, 50)));
  for (const auto& [op, n, t] : ops) {
    const std::string id = "b" + std::to_string(n);
    if (op == 0) {
      w.Erase(id);
      model.erase(id);
    } else {
      w.Put(id, t);
      model[id] = t;
    }
  }
  const int64_t now = *rc::gen::inRange<int64_t>(-1, 51);
  Live want;
  for (const auto& [id, until] : model)
    if (until > now) want.emplace_back(id, until);
  RC_ASSERT(w.LiveAt(now) == want);
  RC_ASSERT((std::map<std::string, int64_t>(w.begin(), w.end()) == model));
  WarmSet rebuilt;  // the same windows put in id order (as a snapshot decodes them) are equal
  for (const auto& [id, until] : model) rebuilt.Put(id, until);
  RC_ASSERT(rebuilt == w);
}

}  // namespace
}  // namespace dvs
