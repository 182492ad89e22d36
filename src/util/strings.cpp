#include "practice/util/strings.hpp"

#include <algorithm>
#include <charconv>

namespace practice::util {

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && is_space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  const std::string la = to_lower(a);
  const std::string lb = to_lower(b);
  std::vector<size_t> prev(lb.size() + 1);
  std::vector<size_t> cur(lb.size() + 1);
  for (size_t j = 0; j <= lb.size(); ++j) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= la.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= lb.size(); ++j) {
      const size_t subst = prev[j - 1] + (la[i - 1] == lb[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[lb.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  // Allow about one typo per three characters, as ninja's spellcheck does.
  const size_t limit = std::max<size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (!best && !word.empty()) {
    // "Smith" for "Smith Family": a part of the name is a likely way to miss it.
    const std::string lw = to_lower(word);
    for (const auto& c : candidates) {
      if (to_lower(c).find(lw) != std::string::npos) {
        return c;
      }
    }
  }
  return best;
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  int64_t value = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value);
  if (s.empty() || ec != std::errc{} || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<bool> parse_switch(std::string_view s) {
  const std::string l = to_lower(s);
  if (l == "on" || l == "yes" || l == "true" || l == "1") {
    return true;
  }
  if (l == "off" || l == "no" || l == "false" || l == "0") {
    return false;
  }
  return std::nullopt;
}

std::string group_thousands(int64_t n) {
  // Digits of the magnitude, from an unsigned: -n overflows for INT64_MIN.
  const uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  const std::string digits = std::to_string(magnitude);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

} // namespace practice::util
