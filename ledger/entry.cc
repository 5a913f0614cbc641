#include "ledger/entry.h"

#include <cstring>

#include "ledger/entry.pb.h"
#include "ledger/limits.h"

namespace dvs {

SignedBody SignedBody::Sign(const SecretKey& key, std::string body) {
  SignedBody sb;
  sb.signature = key.Sign(kEntryBodyContext, body);
  sb.body = std::move(body);
  sb.signer = key.public_key();
  return sb;
}

Status SignedBody::Check() const {
  if (body.size() > kMaxBodySize) {
    return Status::InvalidArgument("body of " + std::to_string(body.size()) +
                                   " bytes exceeds the limit of " + std::to_string(kMaxBodySize));
  }
  if (!signer.Verify(kEntryBodyContext, body, signature)) {
    return Status::Refused("signature by key " + signer.Id() + " does not verify");
  }
  return Status::OK();
}

std::string Entry::Encode() const {
  ledger::Entry pb;
  pb.set_seq(seq);
  pb.set_prev_hash(std::string(AsBytes(prev_hash)));
  pb.set_append_time_ms(append_time_ms);
  pb.set_body(body);
  pb.set_signer_key(std::string(signer.bytes()));
  pb.set_signature(signature);
  return pb.SerializeAsString();
}

Result<Entry> Entry::Decode(std::string_view bytes) {
  ledger::Entry pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::Corruption("malformed entry encoding (" + std::to_string(bytes.size()) +
                              " bytes do not parse)");
  }
  if (!pb.GetReflection()->GetUnknownFields(pb).empty()) {
    return Status::Corruption("entry encoding has unknown fields");
  }
  Entry e;
  auto prev = HashFromBytes(pb.prev_hash());
  if (!prev) {
    return Status::Corruption("prev_hash is " + std::to_string(pb.prev_hash().size()) +
                              " bytes, expected 32");
  }
  auto signer = PublicKey::FromBytes(pb.signer_key());
  if (!signer.ok()) {
    return Status::Corruption("signer_key is " + std::to_string(pb.signer_key().size()) +
                              " bytes, expected 32");
  }
  if (pb.signature().size() != kSignatureSize) {
    return Status::Corruption("signature is " + std::to_string(pb.signature().size()) +
                              " bytes, expected 64");
  }
  e.seq = pb.seq();
  e.prev_hash = *prev;
  e.append_time_ms = pb.append_time_ms();
  e.body = std::move(*pb.mutable_body());
  e.signer = *signer;
  e.signature = std::move(*pb.mutable_signature());
  return e;
}

}  // namespace dvs
