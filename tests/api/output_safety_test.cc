// What dvs prints of signed text is safe on a terminal even for ledgers written before control
// characters were refused; times are parsed strictly; bodies carry no unknown fields.
#include <gtest/gtest.h>

#include <algorithm>

#include "api/render/json.h"
#include "api/render/render.h"
#include "statemachine/apply.h"
#include "statemachine/transition.pb.h"

namespace dvs {
namespace {

TEST(TerminalSafe, EscapesControlCharactersAndKeepsPrintableUtf8) {
  EXPECT_EQ(TerminalSafe("plain text, ok"), "plain text, ok");
  EXPECT_EQ(TerminalSafe("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
  EXPECT_EQ(TerminalSafe("\x1b[2J"), "\\x1B[2J");
  EXPECT_EQ(TerminalSafe(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(TerminalSafe("a\nb\rc\td\x7f"), "a\\x0Ab\\x0Dc\\x09d\\x7F");
  EXPECT_EQ(TerminalSafe("csi \xc2\x9b"
                         "31m"),
            "csi \\xC2\\x9B31m");                    // C1 in UTF-8
  EXPECT_EQ(TerminalSafe("raw \x9b"), "raw \\x9B");  // 8-bit C1, not UTF-8
  EXPECT_EQ(TerminalSafe("nbsp \xc2\xa0"), "nbsp \xc2\xa0");
}

TEST(TerminalSafe, EscapesInvisibleAndDirectionChangingCharacters) {
  // U+202E RIGHT-TO-LEFT OVERRIDE would show "evil" reversed and reorder the rest of the line.
  EXPECT_EQ(TerminalSafe("x\xe2\x80\xae" "evil"), "x\\u202Eevil");
  EXPECT_EQ(TerminalSafe("zero\xe2\x80\x8bwidth"), "zero\\u200Bwidth");      // U+200B
  EXPECT_EQ(TerminalSafe("iso\xe2\x81\xa6late"), "iso\\u2066late");          // U+2066
  EXPECT_EQ(TerminalSafe("\xef\xbb\xbf" "bom"), "\\uFEFFbom");               // U+FEFF
  EXPECT_EQ(TerminalSafe("dash \xe2\x80\x94 ok"), "dash \xe2\x80\x94 ok");  // U+2014 kept
}

TEST(TerminalSafe, LogAndCsvRowsCarryNoRawEscapes) {
  LogRow r;
  r.seq = 7;
  r.kind = "reject";
  r.actor = "gov\x1b]0;pwned\x07";
  r.bundle = "tax_calc_1.0_abcdef";
  r.detail = "reason \x1b[31mred\x1b[0m\nfake line";
  for (Format f : {Format::kText, Format::kCsv}) {
    const std::string out = RenderRows({r}, f);
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
    EXPECT_EQ(out.find('\x07'), std::string::npos) << out;
    EXPECT_NE(out.find("\\x1B[31mred"), std::string::npos) << out;
    // The header and the one row: the newline in the detail did not make a line of its own.
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2) << out;
  }
}

TEST(ParseTime, ImpossibleDatesTimesAndZonesAreRefused) {
  for (const char* bad : {"",
                          "2026-02-30T00:00:00Z",
                          "2025-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z",
                          "2026-13-01T00:00:00Z",
                          "2026-00-10T00:00:00Z",
                          "2026-01-00T00:00:00Z",
                          "2026-01-01T24:00:00Z",
                          "2026-01-01T24:61:00Z",
                          "2026-01-01T12:60:00Z",
                          "2026-01-01T12:00:61Z",
                          "2026-01-01T12:00:60Z",
                          "2026-01-01T00:00:00+25:00",
                          "2026-01-01T00:00:00-24:00",
                          "2026-01-01T00:00:00+01:60",
                          "2026-01-01T00:00:00+1:00",
                          "2026-01-01T 1:00:00Z",
                          "2026-01-01T-1:00:00Z",
                          "2026-01-01T00:00:00",
                          "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00ZZ",
                          "+2026-01-01"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTime("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00.250-00:30"), 30 * 60'000 + 250);
  EXPECT_EQ(*ParseTime("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_EQ(*ParseTime("2000-02-29T00:00:00Z"), 951'782'400'000);
  EXPECT_EQ(*ParseTime("2016-12-31T23:59:60Z"), *ParseTime("2017-01-01T00:00:00Z"));
  EXPECT_EQ(*ParseTime("1234"), 1234);
}

TEST(ParseTransition, RefusesUnknownFieldsAtAnyDepth) {
  sm::Transition t;
  t.set_request_id("r");
  t.mutable_ramp()->set_bundle("b");
  t.mutable_ramp()->set_to_pct(20);
  t.mutable_ramp()->mutable_evidence()->add_observation_seqs(3);
  ASSERT_TRUE(ParseTransition(t.SerializeAsString()).ok());
  auto* ev = t.mutable_ramp()->mutable_evidence();
  ev->GetReflection()->MutableUnknownFields(ev)->AddVarint(9, 1);
  auto parsed = ParseTransition(t.SerializeAsString());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("unknown field 9 in transition.ramp.evidence"),
            std::string::npos)
      << parsed.status().ToString();
}

}  // namespace
}  // namespace dvs
