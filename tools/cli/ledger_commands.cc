// state --at, events, checkpoint, proof, reindex: the ledger as auditors use it.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "api/service/events.h"
#include "ledger/checkpoint.h"
#include "ledger/files.h"
#include "ledger/limits.h"
#include "tools/cli/cli.h"

namespace dvs::cli {

namespace {

struct LedgerArgs {
  std::string at, out, key, checkpoint;
  uint64_t from = 0, seq = 0, old_size = 0, new_size = 0, size = 0;
  bool follow = false;
};

Result<std::string> ReadFile(const std::string& path) {
  return ReadRegularFile(path, kMaxCheckpointSize);
}

int StateAt(const Globals& g, const LedgerArgs& a) {
  return PrintQuery(g, "state", Query::StateAt(a.at), OutputFormat(g));
}

// One JSON object per line, flushed as each arrives (a pipe reader sees it at once).
int Events(const Globals& g, const LedgerArgs& a) {
  auto client = OpenClient(g);
  if (!client.ok()) return Fail("events", client.status());
  Status st = (*client)->Events(a.from, a.follow, [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    return true;
  });
  return st.ok() ? kExitOk : Fail("events", st);
}

int CheckpointCmd(const Globals& g, const LedgerArgs& a) {
  if (int e = LocalOnly(g, "checkpoint")) return e;
  auto key = LoadSigningKey(a.key);
  if (!key.ok()) return KeyFail("checkpoint", key.status());
  // A refused --out must leave the ledger as it was: checked before the append.
  if (!a.out.empty()) {
    if (Status w = CheckReplaceable(a.out); !w.ok()) return Fail("checkpoint", w);
  }
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("checkpoint", svc.status());
  // The checkpoint is first appended to the log itself (so the ledger carries its own signed
  // tree heads), then handed out as a note over the same, trusted root.
  auto receipt = (*svc)->AppendCheckpoint(*key);
  if (!receipt.ok()) return Fail("checkpoint", receipt.status());
  auto state = (*svc)->Current();
  if (!state.ok()) return Fail("checkpoint", state.status());
  const KeyRecord* k = (*state)->KeyOf(key->public_key());
  Checkpoint cp;
  cp.origin = (*state)->ledger_name;
  cp.size = (*state)->size;
  auto root = (*svc)->TrustedRoot(cp.size);
  if (!root.ok()) return Fail("checkpoint", root.status());
  // The derived nodes must agree before anything is signed over them: proofs come from them.
  auto derived = (*svc)->DerivedRoot(cp.size);
  if (!derived.ok() || *derived != *root) {
    return Fail("checkpoint",
                Status::Corruption("the derived Merkle nodes disagree with the entries (root of " +
                                   std::to_string(cp.size) +
                                   " entries); nothing signed over them: run dvs reindex, and "
                                   "dvs-verify to see which node"));
  }
  cp.root = *root;
  const std::string note = SignCheckpoint(cp, k->name, *key);
  if (!a.out.empty()) {
    if (Status w = ReplaceRegularFile(a.out, note); !w.ok()) return Fail("checkpoint", w);
  }
  if (g.json) {
    Json j;
    j.BeginObject().Key("origin").String(cp.origin).Key("size").Uint(cp.size);
    j.Key("root").String(ToBase64(AsBytes(cp.root))).Key("seq").Uint(receipt->seq);
    if (a.out.empty()) {
      j.Key("note").String(note);
    } else {
      j.Key("out").String(a.out);
    }
    j.EndObject();
    std::printf("%s\n", j.str().c_str());
  } else if (a.out.empty()) {
    std::printf("%s", note.c_str());
  } else {
    std::printf("checkpoint of %llu entries written to %s\n",
                static_cast<unsigned long long>(cp.size), a.out.c_str());
  }
  return kExitOk;
}

void HashList(Json& j, const std::vector<Hash>& hs) {
  j.BeginArray();
  for (const Hash& h : hs) j.String(ToBase64(AsBytes(h)));
  j.EndArray();
}

int ProofInclusion(const Globals& g, const LedgerArgs& a) {
  if (int e = LocalOnly(g, "proof")) return e;
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("proof inclusion", svc.status());
  auto head = (*svc)->LedgerHead();
  if (!head.ok()) return Fail("proof inclusion", head.status());
  uint64_t size = head->size;
  if (a.size != 0) {
    if (a.size > head->size) {
      return Fail(
          "proof inclusion",
          Status::InvalidArgument("--size " + std::to_string(a.size) + " is beyond the ledger's " +
                                  std::to_string(head->size) + " entries"));
    }
    size = a.size;
  }
  if (!a.checkpoint.empty()) {
    auto text = ReadFile(a.checkpoint);
    if (!text.ok()) return Fail("proof inclusion", text.status());
    auto cp = ParseCheckpoint(*text);
    if (!cp.ok()) return Fail("proof inclusion", cp.status().Prefixed(a.checkpoint));
    size = cp->checkpoint.size;
    auto root = (*svc)->TrustedRoot(size);
    if (!root.ok()) return Fail("proof inclusion", root.status());
    if (*root != cp->checkpoint.root) {
      return Fail("proof inclusion",
                  Status::Corruption("this ledger's root at size " + std::to_string(size) +
                                     " differs from " + a.checkpoint));
    }
  }
  auto p = (*svc)->ProveInclusion(a.seq, size);
  if (!p.ok()) return Fail("proof inclusion", p.status());
  const Hash* root = &p->root;
  const Hash* leaf = &p->leaf;
  const std::vector<Hash>* proof = &p->proof;
  Json j;
  j.BeginObject().Key("leafIdx").Uint(a.seq).Key("treeSize").Uint(size);
  j.Key("root").String(ToBase64(AsBytes(*root))).Key("leafHash").String(ToBase64(AsBytes(*leaf)));
  j.Key("proof");
  HashList(j, *proof);
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
  return kExitOk;
}

int ProofConsistency(const Globals& g, const LedgerArgs& a) {
  if (int e = LocalOnly(g, "proof")) return e;
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("proof consistency", svc.status());
  auto p = (*svc)->ProveConsistency(a.old_size, a.new_size);
  if (!p.ok()) return Fail("proof consistency", p.status());
  const Hash* r1 = &p->old_root;
  const Hash* r2 = &p->new_root;
  const std::vector<Hash>* proof = &p->proof;
  Json j;
  j.BeginObject().Key("size1").Uint(a.old_size).Key("size2").Uint(a.new_size);
  j.Key("root1")
      .String(ToBase64(AsBytes(*r1)))
      .Key("root2")
      .String(ToBase64(AsBytes(*r2)))
      .Key("proof");
  HashList(j, *proof);
  j.EndObject();
  std::printf("%s\n", j.str().c_str());
  return kExitOk;
}

int Reindex(const Globals& g) {
  if (int e = LocalOnly(g, "reindex")) return e;
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("reindex", svc.status());
  Status s = (*svc)->Reindex();
  if (!s.ok()) return Fail("reindex", s);
  auto head = (*svc)->LedgerHead();
  if (!head.ok()) return Fail("reindex", head.status());
  if (g.json) {
    Json j;
    j.BeginObject().Key("entries").Uint(head->size).Key("rebuilt").Bool(true).EndObject();
    std::printf("%s\n", j.str().c_str());
    return kExitOk;
  }
  std::printf("audit records and indexes rebuilt from %llu entries\n",
              static_cast<unsigned long long>(head->size));
  return kExitOk;
}

}  // namespace

void AddLedgerCommands(CLI::App& app, Globals& g) {
  static LedgerArgs a;

  auto* state = app.add_subcommand(
      "state", "Time travel: the routing table and bundle states as of a seq or a time");
  state
      ->add_option("--at", a.at,
                   "a seq (a plain number; that entry included), an RFC 3339 time, or @ and unix "
                   "milliseconds")
      ->required();
  AddJsonOption(state, &g);
  state->footer(
      "Examples:\n  dvs state --at 2026-04-15T02:10:00Z\n  dvs state --at 120\n  dvs state --at "
      "@1776219000000");
  state->callback([&] { g.exit_code = StateAt(g, a); });

  auto* events =
      app.add_subcommand("events", "Committed transitions as events, one JSON object per line");
  WholeNumber(events->add_option("--from", a.from, "first seq (default 0)"), 0, kMaxSeq);
  events->add_flag("--follow", a.follow, "keep waiting for new entries, from any process");
  AddJsonAlways(events);
  events->footer("Example:\n  dvs events --from 120 --follow");
  events->callback([&] { g.exit_code = Events(g, a); });

  auto* checkpoint = app.add_subcommand(
      "checkpoint", "Sign the log's (origin, size, root) as a c2sp.org tlog-checkpoint (log role)");
  checkpoint->add_option("--out", a.out, "write the signed note to FILE (default: stdout)");
  AddKeyOption(checkpoint, &a.key);
  AddJsonOption(checkpoint, &g,
                "print {origin, size, root, seq} and the note (or the file written) as JSON");
  checkpoint->footer("Example:\n  dvs checkpoint --out q3.checkpoint --key keys/log.key");
  checkpoint->callback([&] { g.exit_code = CheckpointCmd(g, a); });

  auto* proof =
      app.add_subcommand("proof", "RFC 6962 Merkle proofs, as JSON an outside tool can check");
  proof->require_subcommand(1);
  auto* inclusion = proof->add_subcommand("inclusion", "Prove that entry SEQ is in the log");
  WholeNumber(inclusion->add_option("seq", a.seq, "the entry"), 0, kMaxSeq)->required();
  inclusion->add_option("--checkpoint", a.checkpoint,
                        "prove against this checkpoint's size and root");
  WholeNumber(inclusion->add_option("--size", a.size,
                                    "prove in the tree of the first N entries (default: all)"),
              1, kMaxSeq);
  AddJsonAlways(inclusion);
  inclusion->footer(
      "Prints {leafIdx, treeSize, root, leafHash, proof}, hashes in base64 (RFC 6962 /\n"
      "RFC 9162, leaf hash = SHA-256(0x00 || entry bytes)).\nExample:\n  dvs proof inclusion 32 "
      "--checkpoint q3.checkpoint");
  inclusion->callback([&] { g.exit_code = ProofInclusion(g, a); });
  auto* consistency = proof->add_subcommand(
      "consistency", "Prove that the log of size NEW extends the log of size OLD");
  WholeNumber(consistency->add_option("old", a.old_size, "the older size (at least 1)"), 0, kMaxSeq)
      ->required();
  WholeNumber(consistency->add_option("new", a.new_size, "the newer size"), 1, kMaxSeq)->required();
  AddJsonAlways(consistency);
  consistency->footer(
      "Prints {size1, size2, root1, root2, proof}, hashes in base64.\nExample:\n  dvs proof "
      "consistency 1024 2048");
  consistency->callback([&] { g.exit_code = ProofConsistency(g, a); });

  auto* reindex =
      app.add_subcommand("reindex", "Rebuild the audit records and indexes from the entries alone");
  AddJsonOption(reindex, &g, "print {entries, rebuilt} as JSON");
  reindex->footer("Example:\n  dvs reindex --ledger ./var/ledger");
  reindex->callback([&] { g.exit_code = Reindex(g); });
}

}  // namespace dvs::cli
