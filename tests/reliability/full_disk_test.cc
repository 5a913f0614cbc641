// When a write cannot commit (the LMDB map is full; the ledger is opened read-only), the command is
// refused with a clear error, and the ledger stays valid and unchanged.
#include <gtest/gtest.h>

#include "api/service/release_service.h"
#include "api/verify/verify.h"
#include "ledger/verify_chain.h"
#include "tests/statemachine/harness.h"

namespace dvs {
namespace {

class FullDisk : public ::testing::Test {
 protected:
  std::unique_ptr<ReleaseService> Make(size_t map_size) {
    ServiceOptions o;
    o.log.map_size = map_size;
    auto svc = std::move(ReleaseService::Init(dir_.Sub("ledger"), h_.root, "small", o)).value();
    EXPECT_TRUE(svc->GrantKey(h_.root, "admin", h_.admin.public_key(),
                              {"publisher", "governance", "release_admin"})
                    .ok());
    EXPECT_TRUE(svc->GrantKey(h_.root, "observer", h_.observer.public_key(), {"observer"}).ok());
    bundle_ = *svc->Package(h_.admin, test::Manifest("svc", "1.0"));
    EXPECT_TRUE(svc->Approve(h_.admin, bundle_).ok());
    EXPECT_TRUE(svc->Deploy(h_.admin, bundle_).ok());
    return svc;
  }
  test::Harness h_;
  test::TempDir dir_;
  std::string bundle_;
};

TEST_F(FullDisk, AFullMapRefusesTheWriteAndTheLedgerStaysValidAndUnchanged) {
  auto svc = Make(size_t{1} << 20);  // 1 MiB
  Status failure;
  for (int i = 0; i < 100000 && failure.ok(); ++i) {
    failure = svc->Observe(h_.observer, bundle_, {{"latency_ms", 100.0 + i % 7}}, 10).status();
  }
  ASSERT_FALSE(failure.ok()) << "1 MiB never filled up";
  EXPECT_NE(failure.message().find("map size is exhausted"), std::string::npos)
      << failure.ToString();
  const Head before = *svc->log().GetHead();
  // Refused again, cleanly, and nothing moves.
  EXPECT_FALSE(svc->Observe(h_.observer, bundle_, {{"latency_ms", 1}}, 10).ok());
  const Head after = *svc->log().GetHead();
  EXPECT_EQ(after.size, before.size);
  EXPECT_EQ(after.hash, before.hash);
  EXPECT_EQ((*svc->Current())->size, after.size) << "the in-memory state must match what committed";
  svc.reset();
  auto report = VerifyLedger(dir_.Sub("ledger"), {});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->reason;
  // With room again (a larger map), writing resumes.
  ServiceOptions bigger;
  bigger.log.map_size = size_t{64} << 20;
  auto reopened = ReleaseService::Open(dir_.Sub("ledger"), bigger);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_TRUE((*reopened)->Observe(h_.observer, bundle_, {{"latency_ms", 1}}, 10).ok());
}

TEST_F(FullDisk, AReadOnlyLedgerRefusesWritesAndStillAnswersReads) {
  { auto svc = Make(size_t{64} << 20); }
  ServiceOptions ro;
  ro.log.read_only = true;
  auto svc = ReleaseService::Open(dir_.Sub("ledger"), ro);
  ASSERT_TRUE(svc.ok()) << svc.status().ToString();
  const Head before = *(*svc)->log().GetHead();
  auto r = (*svc)->Observe(h_.observer, bundle_, {{"latency_ms", 1}}, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("is open read-only"), std::string::npos)
      << r.status().ToString();
  EXPECT_EQ((*svc)->log().GetHead()->hash, before.hash);
  EXPECT_EQ((*svc)->StatusOf(bundle_)->state, "stable");
}

}  // namespace
}  // namespace dvs
