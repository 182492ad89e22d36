#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::util {

// `s` without leading and trailing ASCII white space.
std::string_view trim(std::string_view s);

// ASCII lower case of `s`.
std::string to_lower(std::string_view s);

// Levenshtein distance, case-insensitive (for "did you mean").
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` if it is close enough to be a likely typo,
// else the first candidate that contains `word` (case-insensitively).
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// Parses a whole decimal integer (optional sign); nullopt for anything else.
std::optional<int64_t> parse_int(std::string_view s);

// Parses "on"/"off" (also yes/no, true/false, 1/0); nullopt otherwise.
std::optional<bool> parse_switch(std::string_view s);

// `n` in decimal with commas between groups of three digits: "1,234,567".
std::string group_thousands(int64_t n);

} // namespace practice::util
