#include "../support/db.hpp"

#include "practice/error.hpp"
#include "practice/reminders/planner.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::reminders;

namespace {
Item item(const char* last, int every = 3, int count = 1, int sent = 0) {
  Item i;
  i.kind = "request";
  i.id = 1;
  i.settings = {true, every, count};
  i.sent = sent;
  i.last_notified = test::at(last);
  return i;
}
Calendar every_day() {
  Calendar c;
  c.business_days = {1, 2, 3, 4, 5, 6, 7};
  return c;
}
} // namespace

TEST_CASE("due every_days after the last notification, until the count is used") {
  const auto c = every_day();
  auto p = plan({item("2026-03-02T10:00:00Z")}, c, test::at("2026-03-05T09:59:59Z"));
  REQUIRE(p.size() == 1);
  CHECK_FALSE(p[0].due);
  CHECK(util::format_iso(p[0].send_at) == "2026-03-05T10:00:00Z");
  CHECK(plan({item("2026-03-02T10:00:00Z")}, c, test::at("2026-03-05T10:00:00Z"))[0].due);
  CHECK(plan({item("2026-03-02T10:00:00Z", 3, 1, 1)}, c, test::at("2026-04-01")).empty());
  Item off = item("2026-03-02T10:00:00Z");
  off.settings.on = false;
  CHECK(plan({off}, c, test::at("2026-04-01")).empty());
  Item stopped = item("2026-03-02T10:00:00Z");
  stopped.stopped = true;
  CHECK(plan({stopped}, c, test::at("2026-04-01")).empty());
}

TEST_CASE("month ends and leap days count calendar days") {
  const auto c = every_day();
  CHECK(util::format_iso(plan({item("2028-02-28T12:00:00Z", 2)}, c, test::at("2028-03-01"))[0].send_at) ==
        "2028-03-01T12:00:00Z");
  CHECK(util::format_iso(plan({item("2026-01-30T12:00:00Z", 3)}, c, test::at("2026-02-01"))[0].send_at) ==
        "2026-02-02T12:00:00Z");
}

TEST_CASE("weekends and holidays hold a reminder to the next business day") {
  Calendar c; // Monday to Friday, UTC
  c.holidays.insert(*util::parse_date("2026-03-09"));
  // Due Saturday 7 March: Monday is a holiday, so Tuesday.
  CHECK(util::format_iso(next_allowed(test::at("2026-03-07T10:00:00Z"), c)) == "2026-03-10T00:00:00Z");
  c.window_start = std::chrono::hours(9);
  c.window_end = std::chrono::hours(17);
  CHECK(util::format_iso(next_allowed(test::at("2026-03-07T10:00:00Z"), c)) == "2026-03-10T09:00:00Z");
  CHECK(util::format_iso(next_allowed(test::at("2026-03-10T18:00:00Z"), c)) == "2026-03-11T09:00:00Z");
  CHECK(util::format_iso(next_allowed(test::at("2026-03-10T12:00:00Z"), c)) == "2026-03-10T12:00:00Z");
}

TEST_CASE("the window is in the firm's time zone, across daylight-saving changes") {
  Calendar c = make_calendar(std::string("Europe/Bucharest"), {}, "", std::string("09:00-17:00"));
  // Winter: UTC+2. Summer (from 29 March 2026): UTC+3.
  CHECK(util::format_iso(next_allowed(test::at("2026-03-27T20:00:00Z"), c)) == "2026-03-30T06:00:00Z");
  CHECK(util::format_iso(next_allowed(test::at("2026-03-20T20:00:00Z"), c)) == "2026-03-23T07:00:00Z");
  // New York springs forward on 8 March 2026; 02:30 local does not exist that day.
  Calendar ny = make_calendar(std::string("America/New_York"), {"sun", "mon"}, "", std::string("02:30-04:00"));
  CHECK(util::format_iso(next_allowed(test::at("2026-03-08T05:00:00Z"), ny)) == "2026-03-08T07:00:00Z");
}

TEST_CASE("a pause holds reminders until its date") {
  Item i = item("2026-03-02T10:00:00Z");
  i.paused_until = test::at("2026-03-20");
  const auto p = plan({i}, every_day(), test::at("2026-03-10"));
  CHECK_FALSE(p[0].due);
  CHECK(util::format_iso(p[0].send_at) == "2026-03-20T00:00:00Z");
}

TEST_CASE("calendar settings are checked") {
  CHECK_THROWS_AS(make_calendar(std::string("Mars/Olympus"), {}, "", std::nullopt), ConfigError);
  CHECK_THROWS_AS(make_calendar(std::nullopt, {"funday"}, "", std::nullopt), ConfigError);
  CHECK_THROWS_AS(make_calendar(std::nullopt, {}, "2026-13-01\n", std::nullopt), ConfigError);
  CHECK_THROWS_AS(make_calendar(std::nullopt, {}, "", std::string("17:00-09:00")), ConfigError);
  const auto c = make_calendar(std::nullopt, {"Mon", "tuesday"}, "# holidays\n2026-12-25\n", std::string("08:30-18:00"));
  CHECK(c.business_days == std::set<int>{1, 2});
  CHECK(c.holidays.size() == 1);
}

TEST_CASE("no reminder is due while the item's newest email has not reached the client") {
  // Reminder 1 was queued on the 4th, the mail server down until the 8th:
  // the client last got something on the 1st.
  Item i = item("2026-12-01T10:00:00Z", 3, 2, 1);
  i.waiting_since = test::at("2026-12-04T10:00:00Z");
  const auto held = plan({i}, every_day(), test::at("2026-12-07T10:00:00Z"));
  REQUIRE(held.size() == 1);
  CHECK(held[0].held);
  CHECK_FALSE(held[0].due);
  CHECK(held[0].number == 2);
  CHECK(held[0].reason.find("held until the email queued 2026-12-04 reaches the client") != std::string::npos);
  // Delivered on the 8th: reminder 2 counts three days from then.
  Item delivered = item("2026-12-08T10:00:00Z", 3, 2, 1);
  const auto next = plan({delivered}, every_day(), test::at("2026-12-10T10:00:00Z"));
  CHECK_FALSE(next[0].held);
  CHECK_FALSE(next[0].due);
  CHECK(util::format_iso(next[0].send_at) == "2026-12-11T10:00:00Z");
}
