#include "practice/util/time.hpp"

#include <fmt/format.h>

#include <cctype>

namespace practice::util {

namespace {

// Reads exactly `n` digits at `pos`, advancing it; nullopt otherwise.
std::optional<int> read_digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) {
    return std::nullopt;
  }
  int value = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

std::optional<std::chrono::sys_days> read_date(std::string_view s, size_t& pos) {
  const auto y = read_digits(s, pos, 4);
  if (!y || !expect(s, pos, '-')) {
    return std::nullopt;
  }
  const auto m = read_digits(s, pos, 2);
  if (!m || !expect(s, pos, '-')) {
    return std::nullopt;
  }
  const auto d = read_digits(s, pos, 2);
  if (!d) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{unsigned(*m)},
                                        std::chrono::day{unsigned(*d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days{ymd};
}

} // namespace

// Writes `value` as exactly `width` digits at `out` (hand-rolled: lists
// format tens of thousands of times and fmt costs ten times more here).
void put_digits(char* out, long value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

std::string format_date(std::chrono::sys_days d) {
  const std::chrono::year_month_day ymd{d};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) {
    return fmt::format("{}-{:02}-{:02}", year, unsigned(ymd.month()), unsigned(ymd.day()));
  }
  std::string out(10, '-');
  put_digits(out.data(), year, 4);
  put_digits(out.data() + 5, unsigned(ymd.month()), 2);
  put_digits(out.data() + 8, unsigned(ymd.day()), 2);
  return out;
}

std::string format_iso(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss hms{t - day};
  std::string out = format_date(day);
  const size_t at = out.size();
  out += "T00:00:00Z";
  put_digits(out.data() + at + 1, hms.hours().count(), 2);
  put_digits(out.data() + at + 4, hms.minutes().count(), 2);
  put_digits(out.data() + at + 7, hms.seconds().count(), 2);
  return out;
}

std::optional<std::string> format_iso(const std::optional<TimePoint>& t) {
  if (!t) {
    return std::nullopt;
  }
  return format_iso(*t);
}

std::optional<std::chrono::sys_days> parse_date(std::string_view text) {
  size_t pos = 0;
  auto d = read_date(text, pos);
  if (!d || pos != text.size()) {
    return std::nullopt;
  }
  return d;
}

std::optional<TimePoint> parse_when(std::string_view text, TimePoint now, Relative direction) {
  if (auto t = parse_iso(text)) {
    return t;
  }
  std::string w;
  for (const char c : text) {
    if (c != ' ') {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  const auto midnight = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::floor<std::chrono::days>(now));
  if (w == "now") {
    return now;
  }
  if (w == "today") {
    return midnight;
  }
  if (w == "yesterday") {
    return midnight - std::chrono::days(1);
  }
  if (w == "tomorrow") {
    return midnight + std::chrono::days(1);
  }
  if (w.size() < 2 || w.size() > 7 || w.find_first_not_of("0123456789") != w.size() - 1) {
    return std::nullopt;
  }
  const int64_t n = std::stoll(w.substr(0, w.size() - 1));
  std::chrono::seconds span{};
  switch (w.back()) {
  case 'm':
    span = std::chrono::minutes(n);
    break;
  case 'h':
    span = std::chrono::hours(n);
    break;
  case 'd':
    span = std::chrono::days(n);
    break;
  case 'w':
    span = std::chrono::weeks(n);
    break;
  default:
    return std::nullopt;
  }
  return direction == Relative::past ? now - span : now + span;
}

std::optional<TimePoint> parse_iso(std::string_view s) {
  size_t pos = 0;
  const auto day = read_date(s, pos);
  if (!day) {
    return std::nullopt;
  }
  if (pos == s.size()) {
    return TimePoint{*day};
  }
  if (!expect(s, pos, 'T') && !expect(s, pos, 't') && !expect(s, pos, ' ')) {
    return std::nullopt;
  }
  const auto hh = read_digits(s, pos, 2);
  if (!hh || !expect(s, pos, ':')) {
    return std::nullopt;
  }
  const auto mm = read_digits(s, pos, 2);
  if (!mm) {
    return std::nullopt;
  }
  int ss = 0;
  if (expect(s, pos, ':')) {
    const auto sec = read_digits(s, pos, 2);
    if (!sec) {
      return std::nullopt;
    }
    ss = *sec;
    if (expect(s, pos, '.')) {
      size_t digits = 0;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        ++pos;
        ++digits;
      }
      if (digits == 0) {
        return std::nullopt;
      }
    }
  }
  if (*hh > 23 || *mm > 59 || ss > 59) {
    return std::nullopt;
  }
  int offset_minutes = 0;
  if (pos < s.size()) {
    if (expect(s, pos, 'Z') || expect(s, pos, 'z')) {
      // UTC
    } else if (s[pos] == '+' || s[pos] == '-') {
      const int sign = s[pos] == '-' ? -1 : 1;
      ++pos;
      const auto oh = read_digits(s, pos, 2);
      if (!oh) {
        return std::nullopt;
      }
      expect(s, pos, ':');
      const auto om = read_digits(s, pos, 2);
      if (!om || *oh > 23 || *om > 59) {
        return std::nullopt;
      }
      offset_minutes = sign * (*oh * 60 + *om);
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) {
    return std::nullopt;
  }
  return TimePoint{*day} + std::chrono::hours{*hh} + std::chrono::minutes{*mm} +
         std::chrono::seconds{ss} - std::chrono::minutes{offset_minutes};
}

} // namespace practice::util
