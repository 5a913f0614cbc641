#include "ledger/checkpoint.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "ledger/limits.h"

namespace dvs {

namespace {

constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

Status Bad(const std::string& why) { return Status::InvalidArgument("checkpoint: " + why); }

}  // namespace

uint32_t NoteKeyHash(std::string_view key_name, const PublicKey& key) {
  std::string m(key_name);
  m.push_back('\n');
  m.push_back('\x01');
  m.append(key.bytes());
  Hash h = Sha256(m);
  return (uint32_t{h[0]} << 24) | (uint32_t{h[1]} << 16) | (uint32_t{h[2]} << 8) | h[3];
}

std::string CheckpointText(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + ToBase64(AsBytes(c.root)) + "\n";
}

std::string SignCheckpoint(const Checkpoint& c, std::string_view key_name, const SecretKey& key) {
  const std::string text = CheckpointText(c);
  const uint32_t kh = NoteKeyHash(key_name, key.public_key());
  std::string blob = {static_cast<char>(kh >> 24), static_cast<char>(kh >> 16),
                      static_cast<char>(kh >> 8), static_cast<char>(kh)};
  blob += key.Sign("", text);
  return text + "\n" + std::string(kDash) + std::string(key_name) + " " + ToBase64(blob) + "\n";
}

Result<SignedCheckpoint> ParseCheckpoint(std::string_view note) {
  if (note.size() > kMaxCheckpointSize)
    return Bad("larger than " + std::to_string(kMaxCheckpointSize) + " bytes");
  size_t split = note.find("\n\n");
  if (split == std::string_view::npos)
    return Bad("no blank line between the text and its signatures");
  SignedCheckpoint out;
  out.text = std::string(note.substr(0, split + 1));
  auto body = Lines(out.text);
  if (body.size() < 3) return Bad("the text needs origin, size and root lines");
  if (body[0].empty()) return Bad("line 1: the origin is empty");
  out.checkpoint.origin = std::string(body[0]);
  // Any uint64 (up to 20 digits: SignCheckpoint writes them), parsed without exceptions.
  const std::string_view size_line = body[1];
  auto [size_end, size_ec] =
      std::from_chars(size_line.data(), size_line.data() + size_line.size(), out.checkpoint.size);
  if (size_line.empty() || size_ec != std::errc() ||
      size_end != size_line.data() + size_line.size() ||
      !std::isdigit(static_cast<unsigned char>(size_line[0])) ||
      (size_line.size() > 1 && size_line[0] == '0')) {
    return Bad("line 2: '" + std::string(body[1]) + "' is not a tree size");
  }
  auto root = FromBase64(body[2]);
  if (!root || root->size() != kHashSize)
    return Bad("line 3: the root is not a base64 SHA-256 hash");
  out.checkpoint.root = *HashFromBytes(*root);
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n')
    return Bad("the signature lines must end with a newline");
  for (std::string_view line : Lines(sigs)) {
    if (line.empty()) continue;
    if (line.substr(0, kDash.size()) != kDash)
      return Bad("signature line does not start with an em dash");
    line.remove_prefix(kDash.size());
    size_t sp = line.rfind(' ');
    if (sp == std::string_view::npos || sp == 0)
      return Bad("signature line needs a key name and a signature");
    auto blob = FromBase64(line.substr(sp + 1));
    if (!blob || blob->size() != 4 + kSignatureSize)
      return Bad("a signature is not base64 of 68 bytes");
    NoteSignature s;
    s.key_name = std::string(line.substr(0, sp));
    const auto* b = reinterpret_cast<const uint8_t*>(blob->data());
    s.key_hash = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    s.signature = blob->substr(4);
    out.signatures.push_back(std::move(s));
  }
  if (out.signatures.empty()) return Bad("no signature");
  return out;
}

Status VerifyCheckpoint(const SignedCheckpoint& c, std::string_view key_name,
                        const PublicKey& key) {
  const uint32_t kh = NoteKeyHash(key_name, key);
  for (const NoteSignature& s : c.signatures) {
    if (s.key_name == key_name && s.key_hash == kh) {
      if (key.Verify("", c.text, s.signature)) return Status::OK();
      return Status::Refused("checkpoint signature by '" + std::string(key_name) +
                             "' does not verify");
    }
  }
  return Status::Refused("checkpoint carries no signature by '" + std::string(key_name) +
                         "' (key " + key.Id() + ")");
}

}  // namespace dvs
