// The analysis semantics of DecideAnalysis (statemachine/analysis.h, decide.h) and the Apply rules
// for measured observations and automatic pauses: unit tests per rule, and RapidCheck properties
// over random sequences of measurement rounds, through Apply with a harness.
#include "statemachine/analysis.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

using K = Decision::Kind;

// The seed's thresholds with an analysis section measuring error_rate and latency_ms.
sm::Manifest Analyzed(const std::string& version, uint32_t failure_limit = 0,
                      uint32_t error_limit = 4, uint32_t inconclusive_limit = 3) {
  sm::Manifest m = test::Manifest("svc", version);
  m.mutable_rollout()->set_interval_ms(0);
  m.mutable_rollout()->set_min_samples(10);
  sm::Analysis* a = m.mutable_analysis();
  a->set_interval_ms(1000);
  a->set_failure_limit(failure_limit);
  a->set_consecutive_error_limit(error_limit);
  a->set_inconclusive_limit(inconclusive_limit);
  for (const char* name : {"error_rate", "latency_ms"}) {
    sm::AnalysisMetric* am = a->add_metrics();
    am->set_name(name);
    am->mutable_source()->set_provider("prometheus");
    am->mutable_source()->set_address("http://127.0.0.1:9090");
    am->mutable_source()->set_query(std::string("q_") + name);
    am->mutable_source()->set_timeout_ms(1000);
  }
  a->mutable_samples()->set_provider("prometheus");
  a->mutable_samples()->set_address("http://127.0.0.1:9090");
  a->mutable_samples()->set_query("q_samples");
  a->mutable_samples()->set_timeout_ms(1000);
  return m;
}

enum class Round { kHealthy, kFailing, kEmpty, kUnreachable, kBetween, kFewSamples };

sm::Measurement Measured(const std::string& metric, sm::Measurement::Outcome o) {
  sm::Measurement m;
  m.set_metric(metric);
  m.set_provider("prometheus");
  m.set_address("http://127.0.0.1:9090");
  m.set_query("q_" + metric);
  m.set_start_ms(1);
  m.set_end_ms(1);
  if (o != sm::Measurement::OUTCOME_ERROR) m.set_answer_sha256(std::string(32, 'a'));
  m.set_outcome(o);
  if (o == sm::Measurement::OUTCOME_NO_DATA)
    m.set_detail("empty vector: the query matched no series");
  if (o == sm::Measurement::OUTCOME_ERROR) m.set_detail("unreachable: Connection refused");
  return m;
}

// The Observe a round of this kind yields.
sm::Transition RoundOf(const std::string& bundle, Round r) {
  sm::Transition t;
  sm::Observe* o = t.mutable_observe();
  o->set_bundle(bundle);
  const auto outcome = r == Round::kEmpty         ? sm::Measurement::OUTCOME_NO_DATA
                       : r == Round::kUnreachable ? sm::Measurement::OUTCOME_ERROR
                                                  : sm::Measurement::OUTCOME_VALUE;
  for (const char* name : {"error_rate", "latency_ms"}) {
    *o->add_measurements() = Measured(name, outcome);
    if (outcome != sm::Measurement::OUTCOME_VALUE) continue;
    double v = std::string(name) == "error_rate" ? 0.01 : 100;
    if (r == Round::kFailing && v < 1) v = 5;    // error_rate > 1
    if (r == Round::kBetween && v < 1) v = 0.5;  // neither < 0.1 nor > 1
    (*o->mutable_metrics())[name] = v;
  }
  *o->mutable_samples_measurement() = Measured("samples", sm::Measurement::OUTCOME_VALUE);
  o->set_samples(r == Round::kFewSamples ? 3 : 500);
  return t;
}

Observation Obs(Round r) {
  sm::Transition t = RoundOf("b", r);
  Observation o;
  o.samples = t.observe().samples();
  for (const auto& [k, v] : t.observe().metrics()) o.metrics[k] = v;
  o.measurements.assign(t.observe().measurements().begin(), t.observe().measurements().end());
  o.samples_source = t.observe().samples_measurement();
  return o;
}

class DecideAnalysisTest : public ::testing::Test {
 protected:
  Decision On(const sm::Manifest& m, std::vector<Round> rounds) {
    std::vector<Observation> obs;
    for (Round r : rounds) obs.push_back(Obs(r));
    return DecideAnalysis(m, rollout, obs, nullptr, 1000);
  }
  Rollout rollout{"b", 5, false, 0, {}};
};

TEST_F(DecideAnalysisTest, EachRoundIsJudgedSuccessfulFailedInconclusiveOrError) {
  const sm::Manifest m = Analyzed("1.0");
  EXPECT_EQ(JudgeRound(m, Obs(Round::kHealthy), nullptr).verdict, Verdict::kSuccessful);
  EXPECT_EQ(JudgeRound(m, Obs(Round::kFailing), nullptr).verdict, Verdict::kFailed);
  EXPECT_EQ(JudgeRound(m, Obs(Round::kUnreachable), nullptr).verdict, Verdict::kError);
  RoundVerdict empty = JudgeRound(m, Obs(Round::kEmpty), nullptr);
  EXPECT_EQ(empty.verdict, Verdict::kInconclusive);
  EXPECT_EQ(empty.reason,
            "error_rate: no data from prometheus http://127.0.0.1:9090 query 'q_error_rate': "
            "empty vector: the query matched no series");
  RoundVerdict between = JudgeRound(m, Obs(Round::kBetween), nullptr);
  EXPECT_EQ(between.verdict, Verdict::kInconclusive);
  EXPECT_NE(between.reason.find("'error_rate < 0.1' does not hold"), std::string::npos);
  RoundVerdict few = JudgeRound(m, Obs(Round::kFewSamples), nullptr);
  EXPECT_EQ(few.verdict, Verdict::kInconclusive);
  EXPECT_EQ(few.reason, "3 of 10 samples needed");
}

TEST_F(DecideAnalysisTest, TheFirstFailureRollsBackByDefaultAndFailureLimitAllowsMore) {
  Decision d = On(Analyzed("1.0"), {Round::kHealthy, Round::kFailing});
  EXPECT_EQ(d.kind, K::kRollback);
  EXPECT_NE(d.reason.find("1 failed measurement(s), failure_limit 0: rollback_when "
                          "'error_rate > 1' holds: error_rate = 5 from prometheus"),
            std::string::npos)
      << d.reason;
  EXPECT_EQ(On(Analyzed("1.0", 1), {Round::kFailing, Round::kHealthy}).kind, K::kStep);
  EXPECT_EQ(On(Analyzed("1.0", 1), {Round::kFailing, Round::kFailing}).kind, K::kRollback);
}

TEST_F(DecideAnalysisTest, ErrorsRollBackOnlyWhenMoreThanTheLimitComeInARow) {
  const sm::Manifest m = Analyzed("1.0", 0, 2);
  EXPECT_EQ(On(m, {Round::kUnreachable, Round::kUnreachable}).kind, K::kHold);
  EXPECT_EQ(On(m, {Round::kUnreachable, Round::kUnreachable, Round::kHealthy, Round::kUnreachable,
                   Round::kUnreachable})
                .kind,
            K::kHold);  // a success in between resets the count; never a step on an error
  Decision d = On(m, {Round::kUnreachable, Round::kUnreachable, Round::kUnreachable});
  EXPECT_EQ(d.kind, K::kRollback);
  EXPECT_NE(d.reason.find("3 measurement errors in a row, consecutive_error_limit 2: error_rate: "
                          "error from prometheus http://127.0.0.1:9090 query 'q_error_rate': "
                          "unreachable"),
            std::string::npos)
      << d.reason;
}

TEST_F(DecideAnalysisTest, InconclusiveRoundsPauseForAHumanPastTheLimit) {
  const sm::Manifest m = Analyzed("1.0", 0, 4, 1);
  EXPECT_EQ(On(m, {Round::kEmpty}).kind, K::kHold);
  Decision d = On(m, {Round::kEmpty, Round::kBetween});
  EXPECT_EQ(d.kind, K::kPause);
  EXPECT_NE(d.reason.find("2 inconclusive measurements, inconclusive_limit 1: "),
            std::string::npos);
}

TEST_F(DecideAnalysisTest, NeverPromotedOrSteppedUnmeasuredOrOnAnUnsuccessfulLatestRound) {
  const sm::Manifest m = Analyzed("1.0");
  rollout.weight = 100;
  Decision none = On(m, {});
  EXPECT_EQ(none.kind, K::kHold);
  EXPECT_NE(none.reason.find("not measured"), std::string::npos);
  EXPECT_EQ(On(m, {Round::kHealthy, Round::kUnreachable}).kind, K::kHold);
  EXPECT_EQ(On(m, {Round::kHealthy, Round::kEmpty}).kind, K::kHold);
  EXPECT_EQ(On(m, {Round::kUnreachable, Round::kHealthy}).kind, K::kPromote);
}

TEST_F(DecideAnalysisTest, StepsWaitForTheIntervalButRollbacksDoNot) {
  sm::Manifest m = Analyzed("1.0");
  m.mutable_rollout()->set_interval_ms(60'000);
  std::vector<Observation> healthy = {Obs(Round::kHealthy)}, failing = {Obs(Round::kFailing)};
  Decision early = DecideAnalysis(m, rollout, healthy, nullptr, 59'999);
  EXPECT_EQ(early.kind, K::kHold);
  EXPECT_NE(early.reason.find("next step allowed in 1 ms"), std::string::npos) << early.reason;
  EXPECT_EQ(DecideAnalysis(m, rollout, healthy, nullptr, 60'000).kind, K::kStep);
  EXPECT_EQ(DecideAnalysis(m, rollout, failing, nullptr, 1).kind, K::kRollback);
  rollout.paused = true;
  EXPECT_EQ(DecideAnalysis(m, rollout, failing, nullptr, 60'000).kind, K::kHold);
}

TEST_F(DecideAnalysisTest, ADryRunMetricIsJudgedButNeverDecides) {
  sm::Manifest m = Analyzed("1.0");
  m.mutable_analysis()->mutable_metrics(0)->set_dry_run(true);  // error_rate
  RoundVerdict v = JudgeRound(m, Obs(Round::kFailing), nullptr);
  EXPECT_EQ(v.verdict, Verdict::kSuccessful);
  EXPECT_EQ(v.metrics[0].verdict, Verdict::kFailed);
  EXPECT_TRUE(v.metrics[0].dry_run);
  EXPECT_EQ(On(m, {Round::kFailing}).kind, K::kStep);
}

// Through Apply: measured rounds of a canary, the controller's decisions on them.
class AnalysisApply : public ::testing::Test {
 protected:
  void SetUp() override {
    h.Bootstrap();
    h.Release("svc", "0.9");
    auto id = h.Package(Analyzed("1.0", 0, 4, 1));
    test::Harness::Must(id.status());
    canary = *id;
    test::Harness::Must(h.Approve(canary));
    test::Harness::Must(h.Deploy(canary));
  }
  Status Round(Round r) { return h.Submit(h.observer, RoundOf(canary, r)); }
  test::Harness h;
  std::string canary;
};

TEST_F(AnalysisApply, TheControllerPausesOnInconclusiveEvidenceAndAResumeStartsAfresh) {
  ASSERT_TRUE(Round(Round::kEmpty).ok());
  ASSERT_TRUE(Round(Round::kEmpty).ok());
  EXPECT_EQ(h.Tick("svc").kind, K::kPause);
  EXPECT_EQ(h.state.bundles.at(canary).state, BundleState::kPaused);
  EXPECT_TRUE(h.state.services.at("svc").canary->pending.empty());
  sm::Transition resume;
  resume.mutable_resume()->set_bundle(canary);
  ASSERT_TRUE(h.Submit(h.admin, resume).ok());
  ASSERT_TRUE(Round(Round::kHealthy).ok());
  EXPECT_EQ(h.Tick("svc").kind, K::kStep);
}

TEST_F(AnalysisApply, APauseCitingEvidenceMustBeTheControllersAndThePolicysOwn) {
  ASSERT_TRUE(Round(Round::kEmpty).ok());
  ASSERT_TRUE(Round(Round::kEmpty).ok());
  const Service& svc = h.state.services.at("svc");
  Decision d = DecideForService(h.state, svc, h.now);
  sm::Transition t = *ControllerTransition(svc, d);
  const State before = h.state;
  Status by_admin = h.Submit(h.admin, t);
  EXPECT_FALSE(by_admin.ok());
  EXPECT_NE(by_admin.message().find("controller"), std::string::npos) << by_admin.ToString();
  sm::Transition lying = t;
  lying.mutable_pause()->set_reason("looked bad");
  Status forged = h.Submit(h.controller, lying);
  EXPECT_NE(forged.message().find("an automatic pause's reason must be the policy's own"),
            std::string::npos)
      << forged.ToString();
  EXPECT_EQ(h.state.size, before.size);
  ASSERT_TRUE(Round(Round::kHealthy).ok());  // now the evidence no longer warrants a pause
  Status stale = h.Submit(h.controller, t);
  EXPECT_FALSE(stale.ok());
}

TEST_F(AnalysisApply, AMeasuredObservationMustSayWhereEachValueCameFrom) {
  const State before = h.state;
  auto refused = [&](sm::Transition t, const std::string& why) {
    Status s = h.Submit(h.observer, t);
    EXPECT_FALSE(s.ok()) << why;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.ToString();
  };
  sm::Transition t = RoundOf(canary, Round::kHealthy);
  (*t.mutable_observe()->mutable_metrics())["extra"] = 1;
  refused(t, "metric extra has no measurement saying where it came from");
  t = RoundOf(canary, Round::kHealthy);
  t.mutable_observe()->mutable_metrics()->erase("latency_ms");
  refused(t, "measurement of latency_ms has outcome value but no value");
  t = RoundOf(canary, Round::kHealthy);
  t.mutable_observe()->mutable_measurements(0)->set_answer_sha256("short");
  refused(t, "answer_sha256 is not 32 bytes");
  t = RoundOf(canary, Round::kUnreachable);
  t.mutable_observe()->mutable_measurements(0)->set_detail("");
  refused(t, "has no value and does not say why");
  t = RoundOf(canary, Round::kHealthy);
  t.mutable_observe()->mutable_measurements(0)->set_query("q\x1b[2J");
  refused(t, "query");
  t = RoundOf(canary, Round::kHealthy);
  *t.mutable_observe()->add_measurements() = t.observe().measurements(0);
  refused(t, "appears twice");
  EXPECT_EQ(h.state.size, before.size);
  // Every provider failed: no value at all, and still a valid round (an error) with samples 0.
  t = RoundOf(canary, Round::kUnreachable);
  t.mutable_observe()->set_samples(0);
  EXPECT_TRUE(h.Submit(h.observer, t).ok());
}

// Properties over random rounds through Apply and the controller, with random limits.
RC_GTEST_PROP(AnalysisProperties, OnlyASuccessfulLatestRoundStepsOrPromotesAndTheLimitsHold, ()) {
  const auto failure_limit = *rc::gen::inRange<uint32_t>(0, 3);
  const auto error_limit = *rc::gen::inRange<uint32_t>(0, 4);
  const auto inconclusive_limit = *rc::gen::inRange<uint32_t>(0, 4);
  const auto rounds = *rc::gen::container<std::vector<int>>(*rc::gen::inRange<size_t>(1, 40),
                                                            rc::gen::inRange(0, 7));  // 6: a tick
  test::Harness h;
  h.Bootstrap();
  h.Release("svc", "0.9");
  auto id = h.Package(Analyzed("1.0", failure_limit, error_limit, inconclusive_limit));
  RC_ASSERT(id.ok());
  test::Harness::Must(h.Approve(*id));
  test::Harness::Must(h.Deploy(*id));
  bool ever_successful = false;
  for (int r : rounds) {
    const Service& svc = h.state.services.at("svc");
    if (!svc.canary) break;
    if (r < 6) {
      if (svc.canary->paused) continue;
      test::Harness::Must(h.Submit(h.observer, RoundOf(*id, static_cast<Round>(r))));
      ever_successful = ever_successful || static_cast<Round>(r) == Round::kHealthy;
      continue;
    }
    const std::vector<Observation> pending = svc.canary->pending;
    const bool paused = svc.canary->paused;
    const sm::Manifest& m = h.state.bundles.at(*id).manifest;
    uint32_t failed = 0, in_a_row = 0, inconclusive = 0;
    Verdict latest = Verdict::kInconclusive;
    for (const Observation& o : pending) {
      latest = JudgeRound(m, o, nullptr).verdict;
      failed += latest == Verdict::kFailed;
      in_a_row = latest == Verdict::kError ? in_a_row + 1 : 0;
      inconclusive += latest == Verdict::kInconclusive;
    }
    const Decision d = h.Tick("svc");
    if (paused) {
      RC_ASSERT(d.kind == K::kHold);
      continue;
    }
    const bool rollback = failed > failure_limit || in_a_row > error_limit;
    RC_ASSERT((d.kind == K::kRollback) == rollback);
    if (!rollback) RC_ASSERT((d.kind == K::kPause) == (inconclusive > inconclusive_limit));
    if (d.kind == K::kStep || d.kind == K::kPromote) {
      RC_ASSERT(!pending.empty());
      RC_ASSERT(latest == Verdict::kSuccessful);
    }
  }
  // A canary with only errors, no data or failures is never stepped or promoted.
  if (!ever_successful) {
    const Bundle& b = h.state.bundles.at(*id);
    RC_ASSERT(b.state != BundleState::kStable);
    RC_ASSERT(h.state.WeightOf(b) <= 5u);
  }
  // And the whole history replays to the same state.
  State replayed;
  for (const Entry& e : h.log) test::Harness::Must(ApplyEntry(&replayed, e));
  RC_ASSERT(replayed.bundles.at(*id).state == h.state.bundles.at(*id).state);
}

}  // namespace
}  // namespace dvs
