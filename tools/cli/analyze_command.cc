// dvs analyze: one analysis round of a canary from the command line, as `dvs serve
// --observer-key` does every interval (api/controller/analysis_round.h).
#include <chrono>
#include <cstdio>

#include "api/controller/analysis_round.h"
#include "statemachine/analysis.h"
#include "tools/cli/cli.h"

namespace dvs::cli {

namespace {

struct AnalyzeArgs {
  std::string bundle, key;
};

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string Shown(const sm::Measurement& m, const Metrics& values) {
  auto it = values.find(m.metric());
  std::string out = m.metric();
  if (it != values.end()) out += " = " + FormatValue(it->second);
  return out;
}

void PrintJson(const std::string& bundle, const sm::Observe& o, const RoundVerdict& v,
               const Receipt& r) {
  Json j;
  j.BeginObject().Key("bundle").String(bundle).Key("verdict").String(VerdictName(v.verdict));
  j.Key("reason").String(v.reason).Key("seq").Uint(r.seq).Key("samples").Uint(o.samples());
  j.Key("measurements").BeginArray();
  for (const sm::Measurement& m : o.measurements()) {
    j.BeginObject().Key("metric").String(m.metric()).Key("provider").String(m.provider());
    j.Key("address").String(m.address()).Key("query").String(m.query());
    j.Key("start_ms").Int(m.start_ms()).Key("end_ms").Int(m.end_ms());
    j.Key("answer_sha256").String(ToHex(m.answer_sha256()));
    j.Key("outcome").String(OutcomeName(m.outcome()));
    auto value = o.metrics().find(m.metric());
    if (value != o.metrics().end()) j.Key("value").Number(value->second);
    if (!m.detail().empty()) j.Key("detail").String(m.detail());
    for (const MetricVerdict& mv : v.metrics) {
      if (mv.metric == m.metric()) j.Key("verdict").String(VerdictName(mv.verdict));
    }
    j.EndObject();
  }
  j.EndArray().EndObject();
  std::printf("%s\n", j.str().c_str());
}

int Analyze(const Globals& g, const AnalyzeArgs& a) {
  if (!g.server.empty()) {
    return Usage(
        "analyze: local only (it reads the bundle's manifest from the ledger); run it where the "
        "ledger is, or give dvs serve --observer-key");
  }
  auto key = LoadSigningKey(a.key);
  if (!key.ok()) return KeyFail("analyze", key.status());
  auto svc = OpenLedger(g);
  if (!svc.ok()) return Fail("analyze", svc.status());
  auto state = (*svc)->Current();
  if (!state.ok()) return Fail("analyze", state.status());
  if (auto target = AnalysisTargetOf(**state, a.bundle); !target.ok())
    return Fail("analyze", target.status());
  sm::Transition t = MeasureRound(**state, a.bundle, WallMs());
  const Bundle& b = *(*state)->FindBundle(a.bundle);
  const Bundle& stable = (*state)->bundles.at((*state)->FindService(b.service)->stable);
  const RoundVerdict verdict = JudgeRound(b.manifest, ObservationOf(t.observe()),
                                          stable.latest ? &stable.latest->metrics : nullptr);
  const sm::Observe observe = t.observe();
  auto receipt = (*svc)->Submit(*key, std::move(t));
  if (!receipt.ok()) return Fail("analyze", receipt.status());
  if (g.json) {
    PrintJson(a.bundle, observe, verdict, *receipt);
    return kExitOk;
  }
  Metrics values(observe.metrics().begin(), observe.metrics().end());
  for (const MetricVerdict& mv : verdict.metrics) {
    std::printf("%s: %s%s\n", mv.metric.c_str(), VerdictName(mv.verdict),
                mv.dry_run ? " (dry run)" : "");
    std::printf("  %s\n", mv.reason.c_str());
    for (const sm::Measurement& m : observe.measurements()) {
      if (m.metric() != mv.metric) continue;
      std::printf("  %s, answer sha256 %s\n", Shown(m, values).c_str(),
                  m.answer_sha256().empty() ? "(none)" : ToHex(m.answer_sha256()).c_str());
    }
  }
  std::printf("samples: %llu\n", static_cast<unsigned long long>(observe.samples()));
  std::printf("round: %s (%s)\n", VerdictName(verdict.verdict), verdict.reason.c_str());
  PrintReceipt(g, *receipt);
  return kExitOk;
}

}  // namespace

void AddAnalyzeCommand(CLI::App& app, Globals& g) {
  static AnalyzeArgs a;
  auto* analyze = app.add_subcommand(
      "analyze",
      "Measure a canary's manifest analysis: metrics once and sign the round (observer)");
  analyze->add_option("bundle", a.bundle, "the canary's bundle id")->required();
  AddKeyOption(analyze, &a.key);
  AddJsonOption(analyze, &g, "print the round as JSON");
  analyze->footer(
      "Each metric is asked of its provider (prometheus, web, exec) and the round is appended as\n"
      "an observation carrying the values, the queries as sent and the SHA-256 of each answer.\n"
      "It decides nothing: dvs tick (or dvs serve) does.\n"
      "Example:\n  dvs analyze tax_calc_9.1_5c0e2d --key keys/observer.key");
  analyze->callback([&] { g.exit_code = Analyze(g, a); });
}

}  // namespace dvs::cli
