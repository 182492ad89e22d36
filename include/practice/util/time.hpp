#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace practice::util {

// Every instant in practice is whole seconds of UTC.
using TimePoint = std::chrono::sys_seconds;

// Formats `t` as ISO 8601 UTC, e.g. "2026-03-01T09:00:00Z".
std::string format_iso(TimePoint t);

// Formats an optional instant; nullopt stays nullopt (binds SQL NULL).
std::optional<std::string> format_iso(const std::optional<TimePoint>& t);

// Parses "2026-03-01", "2026-03-01T09:00", "2026-03-01T09:00:00Z",
// "2026-03-01 09:00:00+02:00" (fractions of a second are dropped). A date alone
// is midnight UTC. Returns nullopt when `text` is not such a time.
std::optional<TimePoint> parse_iso(std::string_view text);

enum class Relative { past, future };
// A time as people write it on a command line: what parse_iso takes, or
// "now", "today", "yesterday", "tomorrow" (midnight UTC), or a count and a
// unit, "30m", "12h", "7d", "2w": that long before `now` (Relative::past,
// as in --since 7d) or after it (Relative::future, as in --until 2w).
std::optional<TimePoint> parse_when(std::string_view text, TimePoint now, Relative direction);

// Parses a calendar date "YYYY-MM-DD"; nullopt when it is not a valid date.
std::optional<std::chrono::sys_days> parse_date(std::string_view text);

// Formats a calendar date as "YYYY-MM-DD".
std::string format_date(std::chrono::sys_days d);

} // namespace practice::util
