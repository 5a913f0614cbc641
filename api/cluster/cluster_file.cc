#include "api/cluster/cluster_file.h"

#include "ledger/files.h"

namespace dvs::cluster {

namespace {

std::string FileOf(const std::string& ledger_dir) { return ledger_dir + "/cluster"; }

}  // namespace

Status CheckLedgerPrefix(const std::string& ledger_dir, const std::string& prefix) {
  if (ledger_dir.empty()) return Status::OK();
  const std::string path = FileOf(ledger_dir);
  auto held = ReadRegularFile(path, 4096);
  if (held.status().IsNotFound()) return Status::OK();
  if (!held.ok()) return held.status().Prefixed("cluster");
  std::string recorded = *held;
  if (!recorded.empty() && recorded.back() == '\n') recorded.pop_back();
  if (recorded.empty() || recorded.front() != '/' || recorded.find('\n') != std::string::npos) {
    return Status::Corruption("cluster: " + path + " does not hold an etcd prefix: '" +
                              recorded.substr(0, 100) + "'");
  }
  if (recorded == prefix) return Status::OK();
  return Status::Refused("cluster: ledger " + ledger_dir + " is a replica of the log under " +
                         recorded + " (" + path + "), not " + prefix +
                         ": joining it would fork that history. Fix the --cluster URL, or start "
                         "this node from an empty --ledger to join " +
                         prefix);
}

Status RecordLedgerPrefix(const std::string& ledger_dir, const std::string& prefix) {
  if (ledger_dir.empty()) return Status::OK();
  return ReplaceRegularFile(FileOf(ledger_dir), prefix + "\n")
      .Prefixed("cluster: recording the prefix this ledger replicates");
}

}  // namespace dvs::cluster
