// The assertion every Apply refusal test makes: refused, with a message naming the rule, and the
// state untouched.
#ifndef DVS_TESTS_STATEMACHINE_EXPECT_REFUSED_H_
#define DVS_TESTS_STATEMACHINE_EXPECT_REFUSED_H_

#include <gtest/gtest.h>

#include <string>

#include "statemachine/replay.h"
#include "tests/statemachine/harness.h"

namespace dvs::test {

inline void ExpectRefused(Harness& h, const SecretKey& key, const sm::Transition& t,
                          const std::string& want) {
  const std::string before = EncodeSnapshot(h.state, Hash{});
  Status s = h.Submit(key, t);
  ASSERT_FALSE(s.ok()) << "accepted, expected refusal containing: " << want;
  EXPECT_NE(s.message().find(want), std::string::npos) << s.ToString();
  EXPECT_EQ(EncodeSnapshot(h.state, Hash{}), before) << "a refused transition changed the state";
}

}  // namespace dvs::test

#endif  // DVS_TESTS_STATEMACHINE_EXPECT_REFUSED_H_
