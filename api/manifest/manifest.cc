#include "api/manifest/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "ledger/files.h"
#include "ledger/hash.h"
#include "statemachine/limits.h"
#include "statemachine/manifest_rules.h"

namespace dvs {

namespace {

Status Bad(const std::string& key, const std::string& why) {
  return Status::InvalidArgument(key + ": " + why);
}

std::string Where(const YAML::Node& n) {
  return " (line " + std::to_string(n.Mark().line + 1) + ")";
}

Result<std::string> Scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return Bad(key, "expected a single value" + Where(n));
  return n.Scalar();
}

Result<uint64_t> Integer(const YAML::Node& n, const std::string& key, uint64_t max) {
  DVS_ASSIGN_OR_RETURN(std::string s, Scalar(n, key));
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit)) {
    return Bad(key, "expected a whole number, got '" + s + "'");
  }
  uint64_t v = std::stoull(s);
  if (v > max) return Bad(key, s + " is larger than " + std::to_string(max));
  return v;
}

Result<std::vector<std::string>> StringList(const YAML::Node& n, const std::string& key) {
  if (!n.IsSequence()) return Bad(key, "expected a list" + Where(n));
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i) {
    DVS_ASSIGN_OR_RETURN(std::string s, Scalar(n[i], key + "[" + std::to_string(i) + "]"));
    out.push_back(s);
  }
  return out;
}

// Calls fn(key, value) for each entry of a map, refusing keys outside `allowed` and duplicates.
Status ForEachKey(const YAML::Node& map, const std::string& where,
                  const std::set<std::string>& allowed,
                  const std::function<Status(const std::string&, const YAML::Node&)>& fn) {
  if (!map.IsMap()) return Bad(where, "expected a mapping of keys to values" + Where(map));
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (!it->first.IsScalar()) return Bad(where, "keys must be plain words" + Where(it->first));
    const std::string key = it->first.Scalar();
    const std::string full = where.empty() ? key : where + "." + key;
    if (!allowed.empty() && allowed.count(key) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Bad(full, "unknown key (allowed: " + list + ")");
    }
    if (!seen.insert(key).second) return Bad(full, "appears twice");
    DVS_RETURN_IF_ERROR(fn(key, it->second));
  }
  return Status::OK();
}

Status ScalarMap(const YAML::Node& n, const std::string& where,
                 google::protobuf::Map<std::string, std::string>* out) {
  return ForEachKey(n, where, {}, [&](const std::string& k, const YAML::Node& v) -> Status {
    DVS_ASSIGN_OR_RETURN(std::string s, Scalar(v, where + "." + k));
    (*out)[k] = s;
    return Status::OK();
  });
}

Status ParseRollout(const YAML::Node& n, sm::RolloutPolicy* r) {
  static const std::set<std::string> kKeys = {"step_pct",        "interval",     "min_samples",
                                              "warm_for",        "promote_when", "rollback_when",
                                              "wait_for_routers"};
  return ForEachKey(n, "rollout", kKeys, [&](const std::string& k, const YAML::Node& v) -> Status {
    const std::string key = "rollout." + k;
    if (k == "step_pct") {
      DVS_ASSIGN_OR_RETURN(uint64_t p, Integer(v, key, 1000));
      r->set_step_pct(static_cast<uint32_t>(p));
    } else if (k == "interval" || k == "warm_for") {
      DVS_ASSIGN_OR_RETURN(std::string s, Scalar(v, key));
      auto ms = ParseDuration(s);
      if (!ms.ok()) return Bad(key, ms.status().message());
      k == "interval" ? r->set_interval_ms(*ms) : r->set_warm_for_ms(*ms);
    } else if (k == "wait_for_routers") {
      DVS_ASSIGN_OR_RETURN(std::string b, Scalar(v, key));
      if (b != "true" && b != "false") return Bad(key, "expected true or false, got '" + b + "'");
      r->set_steps_without_confirmation(b == "false");
    } else if (k == "min_samples") {
      DVS_ASSIGN_OR_RETURN(uint64_t m, Integer(v, key, uint64_t{1} << 40));
      r->set_min_samples(m);
    } else {
      DVS_ASSIGN_OR_RETURN(auto list, StringList(v, key));
      auto* field = k == "promote_when" ? r->mutable_promote_when() : r->mutable_rollback_when();
      field->Clear();
      for (auto& c : list) field->Add(std::move(c));
    }
    return Status::OK();
  });
}

Result<int64_t> DurationAt(const YAML::Node& v, const std::string& key) {
  DVS_ASSIGN_OR_RETURN(std::string s, Scalar(v, key));
  auto ms = ParseDuration(s);
  if (!ms.ok()) return Bad(key, ms.status().message());
  return *ms;
}

Result<bool> Boolean(const YAML::Node& v, const std::string& key) {
  DVS_ASSIGN_OR_RETURN(std::string s, Scalar(v, key));
  if (s == "true") return true;
  if (s == "false") return false;
  return Bad(key, "expected true or false, got '" + s + "'");
}

// One metric source; `name` is set for analysis.metrics entries (which take name and dry_run).
Status ParseSource(const YAML::Node& n, const std::string& where, sm::MetricSource* src,
                   sm::AnalysisMetric* metric) {
  if (!n.IsMap()) return Bad(where, "expected a mapping (provider, query, ...)" + Where(n));
  const YAML::Node provider = n["provider"];
  if (!provider) return Bad(where + ".provider", "is required (prometheus, web or exec)");
  DVS_ASSIGN_OR_RETURN(std::string p, Scalar(provider, where + ".provider"));
  if (p != "prometheus" && p != "web" && p != "exec")
    return Bad(where + ".provider", "'" + p + "' is not a provider (prometheus, web or exec)");
  std::set<std::string> keys = {"provider", "timeout"};
  if (p == "prometheus") keys.insert({"address", "query", "range", "step"});
  if (p == "web") keys.insert({"url", "json_path", "method", "body"});
  if (p == "exec") keys.insert("command");
  if (metric != nullptr) keys.insert({"name", "dry_run"});
  src->set_timeout_ms(5000);
  if (p == "web") src->set_method("GET");
  return ForEachKey(n, where, keys, [&](const std::string& k, const YAML::Node& v) -> Status {
    const std::string key = where + "." + k;
    if (k == "timeout" || k == "range" || k == "step") {
      DVS_ASSIGN_OR_RETURN(int64_t ms, DurationAt(v, key));
      if (k == "timeout") src->set_timeout_ms(ms);
      if (k == "range") src->set_range_ms(ms);
      if (k == "step") src->set_step_ms(ms);
      return Status::OK();
    }
    if (k == "dry_run") {
      DVS_ASSIGN_OR_RETURN(bool b, Boolean(v, key));
      metric->set_dry_run(b);
      return Status::OK();
    }
    DVS_ASSIGN_OR_RETURN(std::string text, Scalar(v, key));
    if (k == "provider") src->set_provider(text);
    if (k == "address" || k == "url") src->set_address(text);
    if (k == "query" || k == "command") src->set_query(text);
    if (k == "json_path") src->set_json_path(text);
    if (k == "method") src->set_method(text);
    if (k == "body") src->set_body(text);
    if (k == "name") metric->set_name(text);
    return Status::OK();
  });
}

Status ParseAnalysis(const YAML::Node& n, sm::Analysis* a) {
  static const std::set<std::string> kKeys = {"interval",           "failure_limit",
                                              "consecutive_error_limit", "inconclusive_limit",
                                              "samples",            "metrics"};
  a->set_interval_ms(30'000);
  a->set_consecutive_error_limit(4);
  a->set_inconclusive_limit(3);
  return ForEachKey(n, "analysis", kKeys, [&](const std::string& k, const YAML::Node& v) -> Status {
    const std::string key = "analysis." + k;
    if (k == "interval") {
      DVS_ASSIGN_OR_RETURN(int64_t ms, DurationAt(v, key));
      a->set_interval_ms(ms);
    } else if (k == "samples") {
      DVS_RETURN_IF_ERROR(ParseSource(v, key, a->mutable_samples(), nullptr));
    } else if (k == "metrics") {
      if (!v.IsSequence()) return Bad(key, "expected a list of metrics" + Where(v));
      for (size_t i = 0; i < v.size(); ++i) {
        sm::AnalysisMetric* am = a->add_metrics();
        DVS_RETURN_IF_ERROR(
            ParseSource(v[i], key + "[" + std::to_string(i) + "]", am->mutable_source(), am));
      }
    } else {
      DVS_ASSIGN_OR_RETURN(uint64_t limit, Integer(v, key, 1000));
      const auto l = static_cast<uint32_t>(limit);
      if (k == "failure_limit") a->set_failure_limit(l);
      if (k == "consecutive_error_limit") a->set_consecutive_error_limit(l);
      if (k == "inconclusive_limit") a->set_inconclusive_limit(l);
    }
    return Status::OK();
  });
}

Status ParseArtifacts(const YAML::Node& n, const std::string& base_dir, sm::Manifest* m) {
  DVS_ASSIGN_OR_RETURN(auto paths, StringList(n, "artifacts"));
  for (size_t i = 0; i < paths.size(); ++i) {
    std::filesystem::path p(paths[i]);
    std::string full =
        p.is_absolute() ? p.string() : (std::filesystem::path(base_dir) / p).string();
    uint64_t size = 0;
    auto digest = Sha256File(full, &size);
    if (!digest.ok()) return Bad("artifacts[" + std::to_string(i) + "]", digest.status().message());
    sm::Artifact* a = m->add_artifacts();
    a->set_path(paths[i]);
    a->set_sha256(*digest);
    a->set_size(size);
  }
  return Status::OK();
}

// Markers for "not given", so that an explicit 0 is validated rather than defaulted.
constexpr uint32_t kNotGiven32 = UINT32_MAX;
constexpr uint64_t kNotGiven64 = UINT64_MAX;

void ApplyDefaults(sm::Manifest* m) {
  sm::RolloutPolicy* r = m->mutable_rollout();
  if (m->canary_pct() == 0) m->set_canary_pct(5);
  if (r->step_pct() == kNotGiven32) r->set_step_pct(20);
  if (r->interval_ms() < 0) r->set_interval_ms(60'000);
  if (r->warm_for_ms() < 0) r->set_warm_for_ms(30 * 60'000);
  if (r->min_samples() == kNotGiven64) r->set_min_samples(100);
  if (r->promote_when().empty()) {
    r->add_promote_when("error_rate < 0.1");
    r->add_promote_when("latency_ms < 200");
  }
  if (r->rollback_when().empty()) {
    r->add_rollback_when("error_rate > 1");
    r->add_rollback_when("latency_ms > 400");
  }
}

Result<YAML::Node> LoadYaml(std::string_view text) {
  if (text.size() > kMaxManifestBytes) {
    return Status::InvalidArgument("is " + std::to_string(text.size()) + " bytes, at most " +
                                   std::to_string(kMaxManifestBytes) + " allowed");
  }
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("not valid YAML: line " + std::to_string(e.mark.line + 1) +
                                   ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

// A device, FIFO or folder is named as such; a file past the limit is not read to its end.
Result<std::string> ReadText(const std::string& path) {
  return ReadRegularFile(path, kMaxManifestBytes);
}

// Only a regular file of at most kMaxArtifactSize: a device, FIFO or socket would be read forever
// (/dev/zero) or block (a FIFO without a writer).
Status CheckArtifactFile(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return Status::IOError("cannot stat " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path +
                                   " is not a regular file (a device, FIFO, socket or "
                                   "directory); an artifact must be a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxArtifactSize) {
    return Status::InvalidArgument(path + " is " + std::to_string(st.st_size) +
                                   " bytes, larger than the artifact limit of " +
                                   std::to_string(kMaxArtifactSize) + " bytes");
  }
  return Status::OK();
}

// Streams the file's contents through SHA-256, stopping past kMaxArtifactSize (a file that grows
// while read).
Result<std::string> Sha256Fd(int fd, const std::string& path, uint64_t* size) {
  Sha256Stream sha;
  std::vector<char> buf(1 << 16);
  uint64_t total = 0;
  for (;;) {
    ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IOError("error reading " + path + ": " + std::strerror(errno));
    if (got == 0) break;
    total += static_cast<uint64_t>(got);
    if (total > kMaxArtifactSize) {
      return Status::InvalidArgument(path + " grew past the artifact limit of " +
                                     std::to_string(kMaxArtifactSize) + " bytes while read");
    }
    sha.Update(std::string_view(buf.data(), static_cast<size_t>(got)));
  }
  if (size != nullptr) *size = total;
  return std::string(AsBytes(sha.Final()));
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 12)
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a duration like 60s, 30m or 250ms");
  const int64_t n = std::stoll(std::string(text.substr(0, i)));
  const std::string_view unit = text.substr(i);
  if (unit.empty()) {
    return Status::InvalidArgument("'" + std::string(text) + "' needs a unit (ms, s, m, h), e.g. " +
                                   std::string(text) + "s");
  }
  if (unit == "ms") return n;
  if (unit == "s") return n * 1000;
  if (unit == "m") return n * 60'000;
  if (unit == "h") return n * 3'600'000;
  return Status::InvalidArgument("'" + std::string(text) + "' has an unknown unit '" +
                                 std::string(unit) + "' (ms, s, m, h)");
}

Result<std::string> Sha256File(const std::string& path, uint64_t* size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  Status s = CheckArtifactFile(fd, path);
  Result<std::string> digest = s.ok() ? Sha256Fd(fd, path, size) : Result<std::string>(s);
  ::close(fd);
  return digest;
}

Result<sm::Manifest> ParseManifest(std::string_view yaml, const std::string& base_dir) {
  DVS_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml));
  if (!root.IsMap())
    return Status::InvalidArgument("a manifest is a mapping of keys (name, version, ...)");
  static const std::set<std::string> kKeys = {"name",       "version", "code",
                                              "model",      "config",  "governance",
                                              "canary_pct", "rollout", "artifacts",
                                              "analysis"};
  sm::Manifest m;
  m.mutable_rollout()->set_interval_ms(-1);  // "not given", so that 0s stays expressible
  m.mutable_rollout()->set_warm_for_ms(-1);
  m.mutable_rollout()->set_step_pct(kNotGiven32);
  m.mutable_rollout()->set_min_samples(kNotGiven64);
  try {
    DVS_RETURN_IF_ERROR(
        ForEachKey(root, "", kKeys, [&](const std::string& k, const YAML::Node& v) -> Status {
          if (k == "name" || k == "version" || k == "code" || k == "model") {
            DVS_ASSIGN_OR_RETURN(std::string s, Scalar(v, k));
            if (k == "name") m.set_name(s);
            if (k == "version") m.set_version(s);
            if (k == "code") m.set_code(s);
            if (k == "model") m.set_model(s);
          } else if (k == "config") {
            DVS_RETURN_IF_ERROR(ScalarMap(v, k, m.mutable_config()));
          } else if (k == "governance") {
            DVS_RETURN_IF_ERROR(ScalarMap(v, k, m.mutable_governance()));
          } else if (k == "canary_pct") {
            DVS_ASSIGN_OR_RETURN(uint64_t p, Integer(v, k, 1000));
            if (p < 1 || p > 100) return Bad(k, std::to_string(p) + " is outside 1..100");
            m.set_canary_pct(static_cast<uint32_t>(p));
          } else if (k == "rollout") {
            DVS_RETURN_IF_ERROR(ParseRollout(v, m.mutable_rollout()));
          } else if (k == "analysis") {
            DVS_RETURN_IF_ERROR(ParseAnalysis(v, m.mutable_analysis()));
          } else {
            DVS_RETURN_IF_ERROR(ParseArtifacts(v, base_dir, &m));
          }
          return Status::OK();
        }));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (m.name().empty()) return Bad("name", "is required");
  if (m.version().empty()) return Bad("version", "is required");
  ApplyDefaults(&m);
  DVS_RETURN_IF_ERROR(ValidateManifest(m));
  return m;
}

Result<sm::Manifest> LoadManifest(const std::string& path) {
  DVS_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  auto m = ParseManifest(text, std::filesystem::path(path).parent_path().string());
  if (!m.ok()) return m.status().Prefixed("manifest " + path);
  return m;
}

Result<sm::GovernancePolicy> ParsePolicy(std::string_view yaml) {
  DVS_ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(yaml));
  sm::GovernancePolicy p;
  static const std::set<std::string> kKeys = {"allowed_licenses", "required_reviews",
                                              "required_tags"};
  try {
    DVS_RETURN_IF_ERROR(
        ForEachKey(root, "", kKeys, [&](const std::string& k, const YAML::Node& v) -> Status {
          if (k == "required_tags") {
            return ForEachKey(v, k, {},
                              [&](const std::string& tag, const YAML::Node& values) -> Status {
                                sm::TagValues& tv = (*p.mutable_required_tags())[tag];
                                if (values.IsNull()) {  // `fedramp: ~`: present, any value
                                  tv.set_any_value(true);
                                  return Status::OK();
                                }
                                const std::string field = k + "." + tag;
                                DVS_ASSIGN_OR_RETURN(auto list, StringList(values, field));
                                if (list.empty()) {
                                  return Bad(field,
                                             "is an empty list, which would allow any value: list "
                                             "the allowed values, or write `" +
                                                 tag + ": ~` to require the tag with any value");
                                }
                                for (auto& a : list) tv.add_allowed(std::move(a));
                                return Status::OK();
                              });
          }
          DVS_ASSIGN_OR_RETURN(auto list, StringList(v, k));
          // In the signed policy an empty list is the absent key (any license, no review): a
          // written [] is a mistake, not a rule, so it is refused rather than read as "anything".
          if (list.empty()) {
            return Bad(k, k == "allowed_licenses"
                              ? "is an empty list, which would allow any license: list the "
                                "licenses, or leave allowed_licenses out to allow any"
                              : "is an empty list: list the reviews, or leave required_reviews "
                                "out to require none");
          }
          for (auto& s : list) {
            k == "allowed_licenses" ? p.add_allowed_licenses(std::move(s))
                                    : p.add_required_reviews(std::move(s));
          }
          return Status::OK();
        }));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument("line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  DVS_RETURN_IF_ERROR(ValidatePolicy(p));
  return p;
}

Result<sm::GovernancePolicy> LoadPolicy(const std::string& path) {
  DVS_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  auto p = ParsePolicy(text);
  if (!p.ok()) return p.status().Prefixed("policy " + path);
  return p;
}

}  // namespace dvs
