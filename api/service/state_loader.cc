#include "api/service/state_loader.h"

#include "ledger/lmdb_util.h"
#include "statemachine/replay.h"
#include "statemachine/snapshot_digest.h"

namespace dvs {

namespace {

Status Bad(uint64_t size, const std::string& why) {
  return Status::Corruption("snapshot at size " + std::to_string(size) + ": " + why);
}

}  // namespace

std::string EncodeTip(const TrustedTip& tip) {
  return EncodeSnapshot(tip.state, tip.head_hash, &tip.frontier);
}

Result<TrustedTip> CheckSnapshot(uint64_t size, std::string_view record, const RawReader& read,
                                 Hash* state_digest) {
  if (size == 0) return Bad(size, "a snapshot of no entries is never needed");
  auto snap = DecodeSnapshot(record);
  if (!snap.ok()) return Bad(size, snap.status().message());
  if (snap->state.size != size) {
    return Bad(size, "it holds the state of " + std::to_string(snap->state.size) + " entries");
  }
  if (!snap->frontier || snap->frontier->size() != size) {
    return Bad(size, "its Merkle frontier is missing or of another size");
  }
  // The commitment: entry `size` must be a Checkpoint of exactly this state and frontier.
  auto raw = read(size);
  if (!raw.ok())
    return Bad(size, "no checkpoint entry at seq " + std::to_string(size) + " commits to it");
  auto e = Entry::Decode(*raw);
  if (!e.ok()) return Bad(size, "entry " + std::to_string(size) + " does not decode");
  auto t = ParseTransition(e->body);
  if (!t.ok() || !t->has_checkpoint() || t->checkpoint().size() != size) {
    return Bad(size, "entry " + std::to_string(size) + " is not a checkpoint of it");
  }
  if (!e->SignatureValid()) return Bad(size, "the checkpoint entry's signature is invalid");
  const KeyRecord* signer = snap->state.KeyOf(e->signer);
  if (signer == nullptr || signer->revoked || !Has(signer->roles, Role::kLog)) {
    return Bad(size, "the checkpoint's signer holds no log role in that state");
  }
  // From the record's bytes; a record in any other form than EncodeSnapshot's (an older
  // encoder's) gets the state encoded again before it is refused.
  Hash digest = RecordStateDigest(record, *snap);
  if (t->checkpoint().state_digest() != AsBytes(digest)) digest = StateDigest(snap->state);
  if (t->checkpoint().state_digest() != AsBytes(digest)) {
    return Bad(size, "its state is not the one the checkpoint commits to");
  }
  if (state_digest != nullptr) *state_digest = digest;
  if (t->checkpoint().root() != AsBytes(snap->frontier->Root())) {
    return Bad(size, "its Merkle frontier is not the one the checkpoint commits to");
  }
  // The head hash comes from the entries, never from the record.
  auto last = read(size - 1);
  if (!last.ok()) return last.status();
  TrustedTip tip{std::move(snap->state), std::move(*snap->frontier), LeafHash(*last)};
  return tip;
}

Status Advance(TrustedTip* tip, uint64_t to, const RawReader& read,
               const std::function<Status(const Entry&, const Applied&)>& each,
               const Hash* start_digest) {
  Applied applied;
  applied.details = each != nullptr;  // only the callback reads them
  const uint64_t start = tip->state.size;
  for (uint64_t seq = start; seq < to; ++seq) {
    DVS_ASSIGN_OR_RETURN(std::string raw, read(seq));
    auto e = Entry::Decode(raw);
    if (!e.ok()) return e.status().Prefixed("entry " + std::to_string(seq));
    if (e->seq != seq) {
      return Status::Corruption("entry stored at seq " + std::to_string(seq) + " says seq " +
                                std::to_string(e->seq));
    }
    if (e->prev_hash != tip->head_hash) {
      return Status::Corruption("entry " + std::to_string(seq) +
                                " does not link to the hash of the entry before it");
    }
    const Hash* known = seq == start ? start_digest : nullptr;  // the state it was derived on
    Status st = ApplyEntry(&tip->state, *e, &applied, known);
    if (!st.ok()) return st.Prefixed("replaying seq " + std::to_string(seq));
    if (applied.kind == sm::Transition::kCheckpoint &&
        applied.checkpoint_root != AsBytes(tip->frontier.Root())) {
      return Status::Corruption("checkpoint at seq " + std::to_string(seq) +
                                " commits to a Merkle root the entries before it do not have");
    }
    tip->head_hash = LeafHash(raw);
    tip->frontier.Append(tip->head_hash);
    if (each) DVS_RETURN_IF_ERROR(each(*e, applied));
  }
  return Status::OK();
}

Status PutSnapshot(WriteTxn& w, uint64_t size, std::string_view record) {
  if (size > 0) {
    DVS_ASSIGN_OR_RETURN(auto before, w.FloorDerived(kSnapshotsDb, lmdb::BigEndian64(size - 1)));
    if (before && before->first.size() == 8 &&
        lmdb::ReadBigEndian64(before->first) / kSnapshotSpan == size / kSnapshotSpan) {
      DVS_RETURN_IF_ERROR(w.DeleteDerived(kSnapshotsDb, before->first));
    }
  }
  return w.PutDerived(kSnapshotsDb, lmdb::BigEndian64(size), record);
}

Result<TrustedTip> LoadTip(const Log& log, uint64_t size, LoadReport* report) {
  DVS_ASSIGN_OR_RETURN(Head head, log.GetHead());
  if (size > head.size) {
    return Status::NotFound("the ledger holds " + std::to_string(head.size) + " entries, not " +
                            std::to_string(size));
  }
  RawReader read = [&](uint64_t seq) { return log.GetRaw(seq); };
  TrustedTip tip;
  Hash digest{};
  bool have_digest = false;  // StateDigest(tip.state), when a snapshot's check derived it
  LoadReport local;
  if (report == nullptr) report = &local;
  // The newest snapshot below `size` (its checkpoint entry, at seq = its size, must exist), then
  // older ones; a few tries bound the work an attacker can make us do with junk records.
  std::string below = lmdb::BigEndian64(size < head.size ? size : head.size - 1);
  for (int tries = 0; size > 0 && tries < 8; ++tries) {
    DVS_ASSIGN_OR_RETURN(auto rec, log.FloorDerived(kSnapshotsDb, below));
    if (!rec) break;
    const uint64_t at = rec->first.size() == 8 ? lmdb::ReadBigEndian64(rec->first) : 0;
    auto checked = CheckSnapshot(at, rec->second, read, &digest);
    if (checked.ok()) {
      tip = std::move(*checked);
      have_digest = true;
      report->snapshot_size = at;
      break;
    }
    report->rejected.push_back(checked.status().message());
    if (at == 0) break;
    below = lmdb::BigEndian64(at - 1);
  }
  DVS_RETURN_IF_ERROR(Advance(&tip, size, read, nullptr, have_digest ? &digest : nullptr));
  return tip;
}

}  // namespace dvs
