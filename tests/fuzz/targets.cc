#include "tests/fuzz/targets.h"

#include <google/protobuf/stubs/logging.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "ledger/checkpoint.h"
#include "statemachine/condition.h"
#include "statemachine/invariants.h"
#include "statemachine/replay.h"
#include "statemachine/snapshot_digest.h"
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

namespace {

CompareOp Complement(CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return CompareOp::kGreaterEqual;
    case CompareOp::kLessEqual:
      return CompareOp::kGreater;
    case CompareOp::kGreater:
      return CompareOp::kLessEqual;
    case CompareOp::kGreaterEqual:
      return CompareOp::kLess;
    case CompareOp::kEqual:
      return CompareOp::kNotEqual;
    case CompareOp::kNotEqual:
      return CompareOp::kEqual;
  }
  return op;
}

}  // namespace

void Condition(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto c = ParseCondition(text);
  if (!c.ok()) return;
  // parse -> format -> parse gives the same condition back.
  const std::string formatted = FormatCondition(*c);
  auto again = ParseCondition(formatted);
  Check(again.ok());
  Check(again->metric == c->metric && again->op == c->op &&
        again->against_baseline == c->against_baseline && again->number == c->number);
  Check(FormatCondition(*again) == formatted);
  // Complementary operators give opposite answers wherever both sides are numbers; with a NaN
  // on either side every comparison but != is false.
  dvs::Condition complement = *c;  // (this function is named Condition too)
  complement.op = Complement(c->op);
  const double t = c->number;
  for (double base : {2.0, 0.0, -3.5, 1e308}) {
    const Metrics baseline = {{c->metric, base}};
    const double rhs = c->against_baseline ? base * t : t;
    for (double v : {rhs, std::nextafter(rhs, -INFINITY), std::nextafter(rhs, INFINITY), 0.0, 1.5,
                     -1e308, 1e308, std::nan("")}) {
      const Metrics observed = {{c->metric, v}};
      auto a = Evaluate(*c, observed, &baseline), b = Evaluate(complement, observed, &baseline);
      Check(a.has_value() && b.has_value());
      if (std::isnan(v) || std::isnan(rhs)) {
        Check(*a == (c->op == CompareOp::kNotEqual));
      } else {
        Check(*a != *b);
      }
    }
  }
  // What cannot be decided is not decided either way.
  Check(!Evaluate(*c, {}, nullptr).has_value());
  if (c->against_baseline) Check(!Evaluate(*c, {{c->metric, 1.5}}, nullptr).has_value());
}

void CheckpointNote(const uint8_t* data, size_t size) {
  static const SecretKey key = test::KeyFromNumber(77), other = test::KeyFromNumber(78);
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The bytes as a note: parsing and verifying never crash, and a note the fuzzer made up never
  // verifies with our key.
  if (auto c = ParseCheckpoint(text); c.ok()) {
    (void)VerifyCheckpoint(*c, "log", key.public_key());
    for (const auto& s : c->signatures) (void)VerifyCheckpoint(*c, s.key_name, key.public_key());
  }
  // A checkpoint made from the bytes and signed: it verifies with its key and name only, and no
  // one-byte change anywhere in the note verifies.
  Checkpoint cp;
  cp.origin = "irs-prod";
  for (size_t i = 0; i < size && i < 8; ++i) cp.size = (cp.size << 8) | data[i];
  cp.root = Sha256(text);
  const std::string note = SignCheckpoint(cp, "log", key);
  auto signed_note = ParseCheckpoint(note);
  Check(signed_note.ok());
  Check(VerifyCheckpoint(*signed_note, "log", key.public_key()).ok());
  Check(!VerifyCheckpoint(*signed_note, "log", other.public_key()).ok());
  Check(!VerifyCheckpoint(*signed_note, "log2", key.public_key()).ok());
  const uint8_t delta = size > 8 && data[8] != 0 ? data[8] : 0x01;
  for (size_t pos = 0; pos < note.size(); ++pos) {
    std::string changed = note;
    changed[pos] = static_cast<char>(changed[pos] ^ delta);
    auto c = ParseCheckpoint(changed);
    if (c.ok()) Check(!VerifyCheckpoint(*c, "log", key.public_key()).ok());
  }
}

void SnapshotRecord(const uint8_t* data, size_t size) {
  static google::protobuf::LogSilencer quiet;
  const std::string_view record(reinterpret_cast<const char*>(data), size);
  auto snap = DecodeSnapshot(record);
  if (!snap.ok()) return;
  (void)RecordStateDigest(record, *snap);  // any record: no crash, no over-read
  const Hash digest = StateDigest(snap->state);
  const MerkleFrontier* frontier = snap->frontier ? &*snap->frontier : nullptr;
  const std::string canonical = EncodeSnapshot(snap->state, snap->head_hash, frontier);
  auto again = DecodeSnapshot(canonical);
  Check(again.ok());
  Check(RecordStateDigest(canonical, *again) == digest);
  Check(StateDigest(again->state) == digest);
  Check(EncodeSnapshot(again->state, again->head_hash, frontier) == canonical);
}

}  // namespace dvs::fuzz
