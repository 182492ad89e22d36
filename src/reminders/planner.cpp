#include "practice/reminders/planner.hpp"

#include "practice/error.hpp"
#include "practice/util/strings.hpp"

#include <date/tz.h>
#include <fmt/format.h>

#include <sstream>

namespace practice::reminders {

namespace {

std::optional<std::chrono::minutes> parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') {
    return std::nullopt;
  }
  const auto h = util::parse_int(s.substr(0, 2));
  const auto m = util::parse_int(s.substr(3, 2));
  if (!h || !m || *h < 0 || *h > 24 || *m < 0 || *m > 59 || (*h == 24 && *m != 0)) {
    return std::nullopt;
  }
  return std::chrono::minutes(*h * 60 + *m);
}

const date::time_zone* zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("[reminders] timezone \"{}\" is not a known IANA time zone", name),
                      "use a name such as Europe/Bucharest or America/New_York");
  }
}

} // namespace

Calendar make_calendar(const std::optional<std::string>& timezone, const std::vector<std::string>& business_days,
                       const std::string& holidays_text, const std::optional<std::string>& send_window) {
  Calendar c;
  if (timezone) {
    zone(*timezone);
    c.timezone = *timezone;
  }
  if (!business_days.empty()) {
    static const char* k_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    c.business_days.clear();
    for (const auto& d : business_days) {
      const std::string l = util::to_lower(d).substr(0, 3);
      bool found = false;
      for (int i = 0; i < 7; ++i) {
        if (l == k_names[i]) {
          c.business_days.insert(i + 1);
          found = true;
        }
      }
      if (!found) {
        throw ConfigError(fmt::format("[reminders] business_days has \"{}\", which is not a weekday", d));
      }
    }
  }
  std::istringstream lines(holidays_text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    const std::string content = line.substr(0, line.find('#'));
    const auto t = util::trim(content);
    if (t.empty()) {
      continue;
    }
    const auto d = util::parse_date(t);
    if (!d) {
      throw ConfigError(fmt::format("the holidays file line {} (\"{}\") is not a date such as 2026-12-25", n, std::string(t)));
    }
    c.holidays.insert(*d);
  }
  if (send_window) {
    const auto dash = send_window->find('-');
    const auto a = dash == std::string::npos ? std::nullopt : parse_hhmm(util::trim(send_window->substr(0, dash)));
    const auto b = dash == std::string::npos ? std::nullopt : parse_hhmm(util::trim(send_window->substr(dash + 1)));
    if (!a || !b || *a >= *b) {
      throw ConfigError(fmt::format("[reminders] send_window \"{}\" is not a window such as \"09:00-17:00\"", *send_window));
    }
    c.window_start = a;
    c.window_end = b;
  }
  return c;
}

util::TimePoint next_allowed(util::TimePoint t, const Calendar& c) {
  const date::time_zone* tz = zone(c.timezone);
  auto local = tz->to_local(t);
  for (int guard = 0; guard < 800; ++guard) {
    const auto day = std::chrono::floor<date::days>(local);
    const auto tod = std::chrono::duration_cast<std::chrono::minutes>(local - day);
    const std::chrono::sys_days as_sys{day.time_since_epoch()};
    const unsigned iso = date::weekday(day).iso_encoding();
    const bool open_day = c.business_days.count(static_cast<int>(iso)) != 0 && c.holidays.count(as_sys) == 0;
    const auto next_day = [&] { return day + date::days(1) + c.window_start.value_or(std::chrono::minutes(0)); };
    if (!open_day) {
      local = next_day();
      continue;
    }
    if (c.window_start && tod < *c.window_start) {
      local = day + *c.window_start;
    } else if (c.window_end && tod >= *c.window_end) {
      local = next_day();
      continue;
    }
    // A local time skipped by a daylight-saving change maps to the moment after it.
    return std::chrono::floor<std::chrono::seconds>(
        std::max(t, tz->to_sys(std::chrono::floor<std::chrono::seconds>(local), date::choose::earliest)));
  }
  return t; // no allowed moment in two years: send when due rather than never
}

std::optional<Planned> plan_item(const Item& i, const Calendar& c, util::TimePoint now) {
  if (!i.settings.on || i.sent >= i.settings.count || i.stopped || i.paused) {
    return std::nullopt;
  }
  Planned p;
  p.item = i;
  p.number = i.sent + 1;
  p.nominal = i.last_notified + std::chrono::days(i.settings.every_days);
  auto earliest = p.nominal;
  if (i.paused_until && *i.paused_until > earliest) {
    earliest = *i.paused_until;
  }
  p.send_at = next_allowed(earliest, c);
  p.held = i.waiting_since.has_value();
  p.due = p.send_at <= now && !p.held;
  const auto ago = std::chrono::floor<std::chrono::days>(now - i.last_notified).count();
  p.reason = fmt::format("last notified {}, {} day{} ago; reminder {} of {}",
                         util::format_date(std::chrono::floor<std::chrono::days>(i.last_notified)), ago,
                         ago == 1 ? "" : "s", p.number, i.settings.count);
  if (p.held) {
    p.reason += fmt::format("; held until the email queued {} reaches the client",
                            util::format_date(std::chrono::floor<std::chrono::days>(*i.waiting_since)));
  }
  return p;
}

std::vector<Planned> plan(const std::vector<Item>& items, const Calendar& c, util::TimePoint now) {
  std::vector<Planned> out;
  for (const auto& i : items) {
    if (auto p = plan_item(i, c, now)) {
      out.push_back(std::move(*p));
    }
  }
  return out;
}

} // namespace practice::reminders
