// Random release histories for property tests: two services, a handful of versions, mostly the
// right signer for each transition (sometimes any key, to exercise refusals), controller ticks,
// and a log clock that jumps by random amounts. Biased toward what the interesting rules are
// about: releases that reach a canary, observations of the canary, healthy metrics often enough
// to ramp and promote, and ticks (InvariantsHoldAfterEveryPrefix asserts the shares reached).
#ifndef DVS_TESTS_STATEMACHINE_RANDOM_HISTORY_H_
#define DVS_TESTS_STATEMACHINE_RANDOM_HISTORY_H_

#include <rapidcheck.h>

#include <string>
#include <vector>

#include "tests/statemachine/harness.h"

namespace dvs::test {

// A random history over two services and a handful of versions.
struct World {
  test::Harness h;
  std::vector<std::string> ids;
  World() { h.Bootstrap(); }

  // Mostly the signer whose role the kind needs; sometimes any key, to exercise refusals.
  const SecretKey& Signer(int kind, int choice) {
    const SecretKey* keys[] = {&h.root,  &h.governance, &h.publisher,
                               &h.admin, &h.observer,   &h.controller};
    if (choice >= 8) return *keys[choice % 6];
    switch (kind) {
      case 0:
        return h.publisher;
      case 1:
      case 2:
        return h.governance;
      case 4:
        return h.observer;
      case 11:
        return h.root;
      default:
        return h.admin;
    }
  }
  // Usually a bundle in a state where `kind` applies, so histories get somewhere; one time in
  // five any bundle at all, so refusals are exercised too.
  std::string PickBundle(int kind, int i) {
    std::vector<std::string> fit;
    for (const auto& [id, b] : h.state.bundles) {
      BundleState st = b.state;
      bool ok = false;
      switch (kind) {
        case 1:
        case 2:
          ok = st == BundleState::kPackaged;
          break;
        case 3:
          ok = st == BundleState::kApproved;
          break;
        case 4:
          ok = st == BundleState::kCanary || st == BundleState::kStable ||
               st == BundleState::kPaused;
          break;
        case 5:
        case 6:
        case 8:
          ok = st == BundleState::kCanary;
          break;
        case 7:
          ok = st == BundleState::kPaused;
          break;
        case 9:
          ok = st == BundleState::kCanary || st == BundleState::kStable;
          break;
        default:
          ok = true;
      }
      if (ok) fit.push_back(id);
    }
    if (i % 5 == 0 || fit.empty()) return ids.empty() ? "nothing" : ids[i % ids.size()];
    if (kind == 4 && i % 4 != 0) {  // observations: mostly of a canary, the controller's evidence
      std::vector<std::string> canaries;
      for (const std::string& id : fit) {
        if (h.state.bundles.at(id).state == BundleState::kCanary) canaries.push_back(id);
      }
      if (!canaries.empty()) return canaries[i % canaries.size()];
    }
    return fit[i % fit.size()];
  }

  // A release engineer ships the next version of a service: package, approve and deploy, each by
  // the right key. It becomes the first stable, or a canary when the service has none in flight
  // (versions 6, 7, ... are newer than any Make() packages), or stays approved.
  void ShipNext(int a) {
    const int s = a % 2;
    auto id = h.Package(test::Manifest(s ? "alpha" : "beta", std::to_string(6 + shipped_[s]++)));
    if (!id.ok()) return;
    ids.push_back(*id);
    if (h.Approve(*id).ok()) (void)h.Deploy(*id);
  }

  // Builds a transition of kind `kind` from random numbers; may well be invalid.
  sm::Transition Make(int kind, int a, int b) {
    sm::Transition t;
    const std::string id = PickBundle(kind, a);
    switch (kind) {
      case 0: {
        const char* versions[] = {"1.0", "1.1", "2.0-rc.1", "2.0",   "2.0.1",
                                  "3",   "3.1", "4",        "4.0.1", "5"};
        sm::Manifest m =
            test::Manifest(a % 2 ? "alpha" : "beta", versions[(b + h.state.size / 8) % 10]);
        if (b % 7 == 0) m.set_model("other");  // same version, other content sometimes
        if (b % 11 == 5) (*m.mutable_governance())["license"] = "GPL-3.0";
        t.mutable_package()->set_manifest(EncodeManifest(m));
        ids.push_back(BundleId(m, Sha256(EncodeManifest(m))));
        break;
      }
      case 1:
        t.mutable_approve()->set_bundle(id);
        break;
      case 2:
        t.mutable_reject()->set_bundle(id);
        t.mutable_reject()->set_reason("no");
        break;
      case 3:
        t.mutable_deploy()->set_bundle(id);
        t.mutable_deploy()->set_canary_pct(b % 3 == 0 ? 0 : b % 120);
        break;
      case 4: {  // one time in three healthy by the default policy, else anything
        const bool healthy = b % 3 == 0;
        (*t.mutable_observe()->mutable_metrics())["error_rate"] =
            healthy ? (b % 10) / 100.0 : (b % 20) / 10.0;
        (*t.mutable_observe()->mutable_metrics())["latency_ms"] =
            healthy ? 100 + b % 90 : 100 + (b % 5) * 80;
        t.mutable_observe()->set_bundle(id);
        t.mutable_observe()->set_samples(b % 300);
        break;
      }
      case 5:
        t.mutable_ramp()->set_bundle(id);
        t.mutable_ramp()->set_to_pct(b % 110);
        break;
      case 6:
        t.mutable_pause()->set_bundle(id);
        break;
      case 7:
        t.mutable_resume()->set_bundle(id);
        break;
      case 8:
        t.mutable_promote()->set_bundle(id);
        break;
      case 9:
        t.mutable_rollback()->set_bundle(id);
        t.mutable_rollback()->set_reason("r");
        break;
      case 10:
        t.mutable_retire()->set_bundle(id);
        t.mutable_retire()->set_reason("r");
        break;
      default: {  // key management: mostly grants, rarely a revocation that stalls a role
        sm::Transition r;
        if (b % 10 == 0) {
          r.mutable_revoke_key()->set_name(b % 20 ? "observer" : "controller");
          r.mutable_revoke_key()->set_reason("rotation");
        } else {
          r.mutable_grant_key()->set_name("k" + std::to_string(b));
          r.mutable_grant_key()->set_public_key(
              std::string(test::KeyFromNumber(200 + b % 50).public_key().bytes()));
          r.mutable_grant_key()->add_roles(b % 3 ? "observer" : "wizard");
        }
        return r;
      }
    }
    return t;
  }

 private:
  int shipped_[2] = {0, 0};
};

// One step of a history: a random transition by a random signer (kinds 0-11), a controller tick
// (12), or a release shipped by the book (13, World::ShipNext).
struct Step {
  int kind, a, b, signer, advance_ms;
};

inline rc::Gen<std::vector<Step>> GenHistory() {
  const size_t length = *rc::gen::inRange<size_t>(40, 250);
  return rc::gen::container<std::vector<Step>>(
      length,
      rc::gen::construct<Step>(
          rc::gen::weightedElement<int>({{5, 0},
                                         {5, 1},
                                         {1, 2},
                                         {5, 3},
                                         {10, 4},
                                         {1, 5},
                                         {1, 6},
                                         {1, 7},
                                         {1, 8},
                                         {1, 9},
                                         {1, 10},
                                         {1, 11},
                                         {10, 12},
                                         {3, 13}}),
          rc::gen::inRange(0, 50), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 10),
          rc::gen::weightedElement<int>({{3, 0}, {2, 30'000}, {2, 61'000}, {1, 3'600'000}})));
}

}  // namespace dvs::test

#endif  // DVS_TESTS_STATEMACHINE_RANDOM_HISTORY_H_
