// The fixture of the tests that put a real proxy (nginx, HAProxy) in front of two tiny backends
// and `dvs serve` in charge of it: the proxy's front door, and whether the share of requests each
// backend gets matches the routing table.
#ifndef DVS_TESTS_SERVE_PROXY_FIXTURE_H_
#define DVS_TESTS_SERVE_PROXY_FIXTURE_H_

#include <cmath>
#include <map>
#include <string>

#include "tests/serve/serve_fixture.h"

namespace dvs::test {

class ProxyFixture : public ServeFixture {
 protected:
  // Requests per sample, and how far a backend's share may be from the table's, in points: the
  // proxies' weighted round robin is exact over a cycle; the tolerance covers a cycle cut at the
  // sample's edges.
  static constexpr int kSample = 200;
  static constexpr double kTolerancePct = 3.0;

  // Which backend answered each of `n` requests, each on a new connection (as new clients do).
  std::map<std::string, int> Sample(int n) {
    std::map<std::string, int> got;
    for (int i = 0; i < n; ++i) {
      auto r = HttpCall(front_, "GET", "/", "", {{"Connection", "close"}}, 5000);
      got[r.ok() && r->status == 200 ? r->body : "error"]++;
    }
    return got;
  }

  // True when the shares of a sample match `want` (backend -> %) within the tolerance.
  bool SharesMatch(const std::map<std::string, int>& want, std::map<std::string, int>* seen) {
    *seen = Sample(kSample);
    int total = 0;
    for (const auto& [v, n] : *seen) total += n;
    for (const auto& [v, n] : *seen) {
      if (!want.count(v)) return false;  // errors, or a backend that should get nothing
    }
    for (const auto& [v, pct] : want) {
      double share = 100.0 * (*seen)[v] / total;
      if (std::fabs(share - pct) > kTolerancePct) return false;
      if (pct == 0 && (*seen)[v] != 0) return false;
    }
    return true;
  }

  // The shares match `want` within 10 s (a proxy may apply a change asynchronously: nginx's
  // reload), else a failure naming `when`, the last sample and the server's log.
  void ExpectShares(const std::map<std::string, int>& want, const char* when) {
    std::map<std::string, int> seen;
    bool ok = Eventually([&] { return SharesMatch(want, &seen); }, 10000);
    std::string got;
    for (const auto& [v, n] : seen) got += v + "=" + std::to_string(n) + " ";
    EXPECT_TRUE(ok) << when << ": got " << got << "\nserver log:\n" << ServerLog();
  }

  HttpUrl front_;  // the proxy's listening address, set by the test once the proxy runs
};

}  // namespace dvs::test

#endif  // DVS_TESTS_SERVE_PROXY_FIXTURE_H_
