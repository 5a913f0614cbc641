#include "tests/fuzz/targets.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdlib>
#include <string>

#include "dvs/manifest.h"
#include "ledger/checkpoint.h"
#include "statemachine/condition.h"
#include "statemachine/invariants.h"
#include "statemachine/replay.h"
#include "tests/statemachine/harness.h"

namespace dvs::fuzz {

namespace {

// A ledger state with keys for every role, a stable bundle and a canary with pending evidence.
struct Live {
  test::Harness h;
  std::string snapshot;
  Live() {
    h.Bootstrap();
    h.Release("svc", "1.0");
    std::string canary = h.Release("svc", "2.0");
    (void)h.Observe(canary, 0.01, 100);
    snapshot = EncodeSnapshot(h.state, Hash{});
  }
};

void Check(bool ok) {
  if (!ok) std::abort();  // a broken property is a crash the fuzzer reports
}

}  // namespace

void EntryAndApply(const uint8_t* data, size_t size) {
  static google::protobuf::LogSilencer quiet;
  static Live live;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  (void)Entry::Decode(bytes);
  const SecretKey* signers[] = {&live.h.root,  &live.h.governance, &live.h.publisher,
                                &live.h.admin, &live.h.observer,   &live.h.controller};
  for (const SecretKey* key : signers) {
    State s = live.h.state;
    Entry e;
    e.seq = s.size;
    e.append_time_ms = s.last_time_ms + 60'000;
    e.body = bytes;
    e.signer = key->public_key();
    Status st = ApplyEntry(&s, e);
    if (st.ok()) {
      Check(CheckInvariants(s).ok());
    } else {
      Check(EncodeSnapshot(s, Hash{}) == live.snapshot);
    }
  }
}

void ManifestYaml(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto m = ParseManifest(text, "/nonexistent-fuzz-dir");
  if (m.ok()) Check(ValidateManifest(*m).ok());
  (void)ParsePolicy(text);
}

void Condition(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = ParseCondition(text);
  if (!c.ok()) return;
  Metrics observed = {{c->metric, 1.5}}, baseline = {{c->metric, 2.0}};
  (void)Evaluate(*c, observed, &baseline);
  (void)Evaluate(*c, observed, nullptr);
  (void)Evaluate(*c, {}, nullptr);
}

void CheckpointNote(const uint8_t* data, size_t size) {
  static const SecretKey key = test::KeyFromNumber(77);
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = ParseCheckpoint(text);
  if (!c.ok()) return;
  (void)VerifyCheckpoint(*c, "log", key.public_key());
  for (const auto& s : c->signatures) (void)VerifyCheckpoint(*c, s.key_name, key.public_key());
}

}  // namespace dvs::fuzz
