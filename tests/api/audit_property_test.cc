// Indexed audit queries equal a brute-force scan over every entry, on random ledgers: random
// histories of the state machine are replayed into a real ledger at their own log times, then
// random combinations of filters are asked both ways.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "api/service/release_service.h"
#include "statemachine/apply.h"
#include "statemachine/manifest_rules.h"
#include "tests/statemachine/random_history.h"

namespace dvs {
namespace {

// What an entry is about, worked out from the entries alone with a fresh replay (not from the
// derived audit records the queries read).
struct Fact {
  uint64_t seq;
  int64_t time_ms;
  std::string kind, actor_name, actor_key, bundle, service;
};

std::vector<Fact> BruteForceFacts(const std::vector<Entry>& entries) {
  State s;
  std::vector<Fact> out;
  for (const Entry& e : entries) {
    sm::Transition t = *ParseTransition(e.body);
    Fact f{e.seq, e.append_time_ms, TransitionName(t), "", e.signer.Id(), BundleOfTransition(t),
           ""};
    if (t.has_package()) {
      sm::Manifest m;
      m.ParseFromString(t.package().manifest());
      f.bundle = BundleId(m, Sha256(t.package().manifest()));
      f.service = m.name();
    } else if (const Bundle* b = s.FindBundle(f.bundle)) {
      f.service = b->service;
    }
    EXPECT_TRUE(ApplyEntry(&s, e).ok());
    out.push_back(f);
  }
  for (Fact& f : out) {  // names are forever, so the final registry names every signer
    for (const auto& [name, k] : s.keys) {
      if (k.key.Id() == f.actor_key) f.actor_name = name;
    }
  }
  return out;
}

RC_GTEST_PROP(AuditProperties, IndexedQueriesEqualABruteForceScan, ()) {
  test::World w;
  const auto steps = *test::GenHistory();
  for (const test::Step& st :
       steps) {  // the history, without per-step checks (statemachine_test has them)
    w.h.now += st.advance_ms;
    if (st.kind == 12) {
      for (const char* svc : {"alpha", "beta"}) {
        auto it = w.h.state.services.find(svc);
        if (it != w.h.state.services.end() && it->second.canary) w.h.Tick(svc, false);
      }
    } else {
      const sm::Transition t = w.Make(st.kind, st.a, st.b);
      // A repackage of identical content: the service answers the entry that holds it and
      // appends nothing (release_service.h), so the history must not hold it either.
      if (t.has_package()) {
        const Bundle* b = w.h.state.FindBundle(BundleConcerned(t));
        if (b != nullptr && b->digest == Sha256(t.package().manifest())) continue;
      }
      (void)w.h.Submit(w.Signer(st.kind, st.signer), t);
    }
  }
  // Replay into a real ledger, each entry at its own log time.
  test::TempDir dir;
  int64_t next_time = 0;
  ServiceOptions opt;
  opt.log.clock = [&] { return next_time; };
  std::unique_ptr<ReleaseService> svc;
  for (const Entry& e : w.h.log) {
    next_time = e.append_time_ms;
    if (!svc) {
      auto log = Log::Create(dir.Sub("ledger"), {});
      RC_ASSERT(log.ok());
      log->reset();
      auto opened = ReleaseService::Open(dir.Sub("ledger"), opt);
      RC_ASSERT(opened.ok());
      svc = std::move(*opened);
    }
    auto r = svc->SubmitSigned(SignedBody{e.body, e.signer, e.signature});
    RC_ASSERT(r.ok());
  }
  // The facts come from the ledger's own entries, which must be the history's.
  std::vector<Entry> stored;
  RC_ASSERT(svc->log()
                .Scan(0, UINT64_MAX,
                      [&](uint64_t, std::string_view raw) {
                        DVS_ASSIGN_OR_RETURN(Entry e, Entry::Decode(raw));
                        stored.push_back(std::move(e));
                        return Status::OK();
                      })
                .ok());
  RC_ASSERT(stored.size() == w.h.log.size());
  const std::vector<Fact> facts = BruteForceFacts(stored);
  std::vector<std::string> bundles = {"", "nothing"};
  for (const Fact& f : facts) {
    if (!f.bundle.empty()) bundles.push_back(f.bundle);
  }
  const int64_t t0 = stored.front().append_time_ms, t1 = stored.back().append_time_ms;
  auto sometimes = [] {
    return *rc::gen::inRange(0, 3) == 0;
  };  // each filter in a third of queries
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    AuditQuery q;
    if (sometimes()) q.service = *rc::gen::element<std::string>("alpha", "beta", "gamma");
    if (sometimes()) {
      q.type = *rc::gen::element<std::string>("deploy", "observe", "ramp", "rollback", "package",
                                              "grant_key");
    }
    if (sometimes()) {
      q.actor = *rc::gen::element<std::string>("root", "publisher", "controller",
                                               w.h.observer.public_key().Id());
    }
    if (sometimes()) q.bundle = *rc::gen::elementOf(bundles);
    if (sometimes()) q.since_ms = *rc::gen::inRange<int64_t>(t0 - 10, t1 + 10);
    if (sometimes()) q.until_ms = *rc::gen::inRange<int64_t>(t0 - 10, t1 + 10);
    std::vector<uint64_t> want;
    for (const Fact& f : facts) {
      if ((q.service.empty() || f.service == q.service) && (q.type.empty() || f.kind == q.type) &&
          (q.bundle.empty() || f.bundle == q.bundle) &&
          (q.actor.empty() || f.actor_name == q.actor || f.actor_key == q.actor) &&
          (!q.since_ms || f.time_ms >= *q.since_ms) && (!q.until_ms || f.time_ms <= *q.until_ms)) {
        want.push_back(f.seq);
      }
    }
    auto rows = svc->Audit(q);
    if (q.since_ms && q.until_ms && *q.since_ms > *q.until_ms) {
      // An empty window is a mistake, named, not an empty answer.
      RC_ASSERT(!rows.ok() && rows.status().IsInvalidArgument());
      continue;
    }
    // A name the ledger never held is named as unknown, not answered with no rows: a service
    // or bundle no entry concerns, a key never granted.
    auto concerned = [&](auto field, const std::string& name) {
      return std::any_of(facts.begin(), facts.end(), [&](const Fact& f) { return f.*field == name; });
    };
    const bool granted =
        q.actor.empty() || w.h.state.keys.count(q.actor) > 0 ||
        std::any_of(w.h.state.keys.begin(), w.h.state.keys.end(),
                    [&](const auto& k) { return k.second.key.Id() == q.actor; });
    if ((!q.service.empty() && !concerned(&Fact::service, q.service)) ||
        (!q.bundle.empty() && !concerned(&Fact::bundle, q.bundle)) || !granted) {
      RC_ASSERT(!rows.ok() && rows.status().IsNotFound());
      continue;
    }
    RC_ASSERT(rows.ok());
    std::vector<uint64_t> got;
    for (const LogRow& r : *rows) got.push_back(r.seq);
    RC_ASSERT(got == want);
    answered += !want.empty();
  }
  RC_TAG(answered == 0   ? "no query had answers"
         : answered < 10 ? "1-9 of 20 queries had answers"
                         : "10+ of 20 queries had answers");
}

}  // namespace
}  // namespace dvs
