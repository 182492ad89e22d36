#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// How a language counts and writes dates and numbers: pure functions of a
// language's conventions, which its catalogue states (catalogue.hpp).
namespace practice::i18n {

// CLDR's plural categories, as far as the languages practice writes need them.
enum class Plural { one, few, other };
std::string_view to_string(Plural p);
std::optional<Plural> parse_plural(std::string_view s);

// Which categories a language has and when each applies (CLDR plural rules,
// for whole numbers):
// - one_other (en, pt, it): one for 1, other for everything else;
// - romanian: one for 1; few for 0, 2-19 and x01-x19 (101, 119, 1015);
//   other for 20 and up otherwise ("20 de întrebări", "120 de zile").
enum class PluralRule { one_other, romanian };
std::optional<PluralRule> parse_plural_rule(std::string_view s);
std::vector<Plural> plural_forms(PluralRule rule);
Plural plural_of(PluralRule rule, int64_t n);

struct Conventions {
  PluralRule plural = PluralRule::one_other;
  std::string date_pattern = "YYYY-MM-DD"; // DD, MM and YYYY stand for day, month and year
  char decimal = '.';                      // the decimal separator people write
};

// Whether `pattern` is a date pattern: DD, MM and YYYY once each, separated
// by one punctuation character, nothing else.
bool is_date_pattern(std::string_view pattern);

// `d` written as the conventions write dates ("31/03/2026", "31.03.2026").
std::string format_date(const Conventions& c, std::chrono::sys_days d);

// A date as a client types it: in the conventions' pattern (the day and
// month may have one digit) or in ISO 8601 ("2026-03-31"). nullopt when it
// is neither or no such day exists.
std::optional<std::chrono::sys_days> parse_date(const Conventions& c, std::string_view text);

// A stored number ("1234.5", as the CLI keeps it) as the conventions write
// it ("1234,5"). Anything that is not a plain decimal is returned as it is.
std::string format_number(const Conventions& c, std::string_view canonical);

// A number as a client types it, in the form the CLI takes: where the
// decimal separator is a comma, "1234,50" and "1.234,50" become "1234.50"
// and spaces between digits are dropped. Other text is returned trimmed but
// otherwise as it is (the question's own check refuses what is not a number).
std::string canonical_number(const Conventions& c, std::string_view typed);

} // namespace practice::i18n
