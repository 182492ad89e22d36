#pragma once

#include "practice/requests/model.hpp"
#include "practice/util/time.hpp"

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace practice::reminders {

// An action item awaiting a client (a request, an approval; later invoices,
// proposals, signatures): all the planner needs to know about it.
struct Item {
  std::string kind; // "request", "approval"
  int64_t id = 0;
  int64_t account_id = 0;
  std::string account_name;
  std::string title;
  requests::Reminders settings;
  int sent = 0;                             // automatic reminders used so far (queued, sent or superseded)
  util::TimePoint last_notified;            // an email about it last reached the client (first, reminder, resend)
  std::optional<util::TimePoint> waiting_since; // a newer email about it has not reached the client yet
  bool stopped = false;                     // a linked job was archived
  std::optional<util::TimePoint> paused_until; // the account's reminders are paused until then
  bool paused = false;                      // paused with no end
};

// When reminders may go out: business days, holidays and a daily window in
// the firm's time zone.
struct Calendar {
  std::string timezone = "UTC";     // IANA name
  std::set<int> business_days{1, 2, 3, 4, 5}; // ISO weekdays, Monday = 1
  std::set<std::chrono::sys_days> holidays;   // local dates
  std::optional<std::chrono::minutes> window_start; // local time of day
  std::optional<std::chrono::minutes> window_end;
};

// Parses [reminders] business_days (names like "Mon" or "monday"), a holidays
// file's text (one ISO date a line; # comments) and send_window ("09:00-17:00").
// Throws ConfigError naming what is wrong.
Calendar make_calendar(const std::optional<std::string>& timezone, const std::vector<std::string>& business_days,
                       const std::string& holidays_text, const std::optional<std::string>& send_window);

// The earliest moment at or after `t` when the calendar allows sending. Pure.
util::TimePoint next_allowed(util::TimePoint t, const Calendar& c);

struct Planned {
  Item item;
  int number = 0;              // this reminder's number (1-based)
  util::TimePoint nominal;     // last notified + every_days
  util::TimePoint send_at;     // held to the next allowed moment
  bool held = false;           // waits until the item's last email reaches the client
  bool due = false;            // send_at <= now, and not held
  std::string reason;          // "last notified 2026-03-01, 3 days ago; reminder 1 of 1"
};

// For every item that still has a reminder to come: when, and why. Items with
// reminders off, the count used up, a stopped job or a paused account have
// none. Days count from when an email about the item last reached the client,
// and no reminder is due while a newer one (after an outage, say) has not
// reached it yet: it would come on top of that one. Pure: unit-tested
// without a database.
std::vector<Planned> plan(const std::vector<Item>& items, const Calendar& c, util::TimePoint now);
// The same for one item: its next reminder, or nullopt when it has none. Pure.
std::optional<Planned> plan_item(const Item& item, const Calendar& c, util::TimePoint now);

} // namespace practice::reminders
