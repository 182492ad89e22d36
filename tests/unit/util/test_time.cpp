#include "practice/util/clock.hpp"
#include "practice/util/time.hpp"

#include <catch2/catch.hpp>

using namespace practice::util;

TEST_CASE("ISO 8601 times round-trip in UTC") {
  const auto t = parse_iso("2026-03-01T09:00:00Z");
  REQUIRE(t);
  CHECK(format_iso(*t) == "2026-03-01T09:00:00Z");
}

TEST_CASE("a date alone is midnight UTC") {
  CHECK(format_iso(*parse_iso("2026-02-28")) == "2026-02-28T00:00:00Z");
}

TEST_CASE("offsets are converted to UTC and fractions dropped") {
  CHECK(format_iso(*parse_iso("2026-03-01T01:30:00+02:00")) == "2026-02-28T23:30:00Z");
  CHECK(format_iso(*parse_iso("2026-03-01 09:00:59.123-0100")) == "2026-03-01T10:00:59Z");
  CHECK(format_iso(*parse_iso("2026-03-01T09:00")) == "2026-03-01T09:00:00Z");
}

TEST_CASE("invalid times are refused") {
  for (const char* bad : {"", "2026-02-30", "2026-13-01", "2026-3-1", "2026-03-01T25:00:00Z",
                          "2026-03-01T09:00:00Q", "yesterday", "2026-03-01T09", "2026-03-01T09:00:00Z "}) {
    INFO(bad);
    CHECK_FALSE(parse_iso(bad));
  }
}

TEST_CASE("leap days parse only in leap years") {
  CHECK(parse_date("2028-02-29"));
  CHECK_FALSE(parse_date("2026-02-29"));
  CHECK(format_date(*parse_date("2028-02-29")) == "2028-02-29");
}

TEST_CASE("a fixed clock stands still until set") {
  FixedClock c(*parse_iso("2026-01-01"));
  CHECK(format_iso(c.now()) == "2026-01-01T00:00:00Z");
  c.set(*parse_iso("2026-01-04T12:00:00Z"));
  CHECK(format_iso(c.now()) == "2026-01-04T12:00:00Z");
}

TEST_CASE("times as people type them: ISO, today, yesterday, and counts of m h d w before or after now") {
  const auto now = *parse_iso("2026-12-01T15:30:00Z");
  CHECK(parse_when("2026-11-01", now, Relative::past) == parse_iso("2026-11-01"));
  CHECK(parse_when("now", now, Relative::past) == now);
  CHECK(parse_when("today", now, Relative::past) == parse_iso("2026-12-01T00:00:00Z"));
  CHECK(parse_when("Yesterday", now, Relative::past) == parse_iso("2026-11-30T00:00:00Z"));
  CHECK(parse_when("tomorrow", now, Relative::future) == parse_iso("2026-12-02T00:00:00Z"));
  CHECK(parse_when("7d", now, Relative::past) == parse_iso("2026-11-24T15:30:00Z"));
  CHECK(parse_when("2w", now, Relative::future) == parse_iso("2026-12-15T15:30:00Z"));
  CHECK(parse_when("12h", now, Relative::past) == parse_iso("2026-12-01T03:30:00Z"));
  CHECK(parse_when("30m", now, Relative::past) == parse_iso("2026-12-01T15:00:00Z"));
  for (const char* bad : {"", "d", "7", "7y", "-7d", "7dd", "seven days", "99999999d"}) {
    INFO(bad);
    CHECK_FALSE(parse_when(bad, now, Relative::past));
  }
}
