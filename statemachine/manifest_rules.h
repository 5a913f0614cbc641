// What makes a manifest acceptable, independent of how it was written (YAML, API). Apply runs
// these on every Package; the manifest parser runs them before anything is signed, so a bad
// manifest is refused with the field named before it reaches the ledger.
#ifndef DVS_STATEMACHINE_MANIFEST_RULES_H_
#define DVS_STATEMACHINE_MANIFEST_RULES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/hash.h"
#include "ledger/status.h"
#include "statemachine/limits.h"
#include "statemachine/transition.pb.h"

namespace dvs {

// Limits: ledger/limits.h.

// Names (keys, the ledger, config and governance keys, reviews, tags): a letter, then letters,
// digits, '_', '-' or '.'; at most kMaxNameLength. A manifest's (service) name takes no '.'
// (ValidateManifest): bundle ids join name and version.
Status CheckName(std::string_view what, std::string_view name);
// Text that is signed and later printed (reasons, manifest values, request ids): valid UTF-8
// without control characters (C0 incl. NUL, tab and newline; DEL; C1 incl. the 8-bit CSI), so
// that nothing signed can drive a terminal. InvalidArgument naming the field and the character.
Status CheckPrintable(const std::string& field, std::string_view text);
// Code points that are invisible or change the direction of the text around them (bidi
// overrides and isolates, zero-width spaces, line separators, the BOM): on a terminal they reorder
// or hide what an auditor reads, so CheckPrintable refuses them and renderings escape them.
bool IsInvisibleOrBidi(uint32_t cp);
// InvalidArgument naming the first field unknown to the format of `d` in `bytes`, the encoding of a
// message of type `d`, or in any message nested in it, map entries included ("unknown field 99
// in transition.reject"; `where` names the message): what is signed must carry nothing that
// Apply and replay would silently ignore. Checked on the bytes, not on a parsed message: parsing
// drops unknown fields inside map entries and keeps a known number with the wrong wire type
// aside. REQUIRES: `bytes` parse as a `d` (checked first by the caller).
Status RefuseUnknownFields(std::string_view bytes, const google::protobuf::Descriptor* d,
                           const std::string& where);
// Free text (reasons): non-empty, at most kMaxFieldLength, printable (CheckPrintable).
Status CheckReason(std::string_view what, std::string_view text);

// InvalidArgument naming the field ("rollout.step_pct: 0 is outside 1..100").
Status ValidateManifest(const sm::Manifest& m);

// <name>_<version>_<first 6 hex of digest>
std::string BundleId(const sm::Manifest& m, const Hash& digest);
// <name>_v<version>+<YYYYMMDD of time_ms, UTC>
std::string VersionTag(const sm::Manifest& m, int64_t time_ms);
// The manifest's deterministic encoding, what Package carries and the digest covers.
std::string EncodeManifest(const sm::Manifest& m);
// Any message's deterministic encoding (map fields in key order): equal messages, equal bytes.
std::string SerializeDeterministic(const google::protobuf::Message& m);

// Approve's check: OK when the manifest satisfies the policy; else Refused naming every failed
// check, "governance: " and then each, separated by "; ".
Status CheckGovernance(const sm::GovernancePolicy& policy, const sm::Manifest& m);
// Structural limits on a policy (names, counts).
Status ValidatePolicy(const sm::GovernancePolicy& p);

}  // namespace dvs

#endif  // DVS_STATEMACHINE_MANIFEST_RULES_H_
