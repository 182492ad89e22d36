#include "practice/i18n/rules.hpp"

#include <catch2/catch.hpp>

using namespace practice::i18n;
using namespace std::chrono;

namespace {

const Conventions k_en{};
const Conventions k_pt{PluralRule::one_other, "DD/MM/YYYY", ','};
const Conventions k_ro{PluralRule::romanian, "DD.MM.YYYY", ','};

constexpr sys_days on(int y, unsigned m, unsigned d) { return sys_days{year{y} / month{m} / d}; }

} // namespace

TEST_CASE("one and other: 1 pergunta, 2 perguntas, 0 perguntas", "[i18n]") {
  CHECK(plural_of(PluralRule::one_other, 1) == Plural::one);
  CHECK(plural_of(PluralRule::one_other, 0) == Plural::other);
  CHECK(plural_of(PluralRule::one_other, 2) == Plural::other);
  CHECK(plural_of(PluralRule::one_other, 21) == Plural::other);
  CHECK(plural_of(PluralRule::one_other, -1) == Plural::one);
  CHECK(plural_forms(PluralRule::one_other) == std::vector<Plural>{Plural::one, Plural::other});
}

TEST_CASE("Romanian: 1 întrebare, 2-19 întrebări, 20 de întrebări, and again from 101", "[i18n]") {
  const auto ro = [](int64_t n) { return plural_of(PluralRule::romanian, n); };
  CHECK(ro(1) == Plural::one);
  for (const int64_t n : {0, 2, 5, 19, 101, 102, 119, 1001, 1019, 2015}) {
    INFO(n);
    CHECK(ro(n) == Plural::few);
  }
  for (const int64_t n : {20, 21, 25, 99, 100, 120, 200, 1000, 1020}) {
    INFO(n);
    CHECK(ro(n) == Plural::other);
  }
  CHECK(plural_forms(PluralRule::romanian) == std::vector<Plural>{Plural::one, Plural::few, Plural::other});
}

TEST_CASE("plural rules and categories by name", "[i18n]") {
  CHECK(parse_plural_rule("romanian") == PluralRule::romanian);
  CHECK(parse_plural_rule("one_other") == PluralRule::one_other);
  CHECK_FALSE(parse_plural_rule("french").has_value());
  CHECK(parse_plural("few") == Plural::few);
  CHECK_FALSE(parse_plural("two").has_value());
  CHECK(to_string(Plural::other) == "other");
}

TEST_CASE("dates as each language writes them; English keeps ISO", "[i18n]") {
  CHECK(format_date(k_pt, on(2026, 3, 31)) == "31/03/2026");
  CHECK(format_date(k_ro, on(2026, 3, 31)) == "31.03.2026");
  CHECK(format_date(k_en, on(2026, 3, 31)) == "2026-03-31");
  CHECK(format_date(k_pt, on(2026, 1, 2)) == "02/01/2026");
  CHECK(is_date_pattern("DD/MM/YYYY"));
  CHECK(is_date_pattern("YYYY-MM-DD"));
  CHECK_FALSE(is_date_pattern("DD/MM/YY"));
  CHECK_FALSE(is_date_pattern("DD/MM.YYYY"));
  CHECK_FALSE(is_date_pattern("DD MM YYYY"));
}

TEST_CASE("a date typed as the client writes it, or in ISO", "[i18n]") {
  CHECK(parse_date(k_pt, "31/03/2026") == on(2026, 3, 31));
  CHECK(parse_date(k_pt, " 1/3/2026 ") == on(2026, 3, 1));
  CHECK(parse_date(k_pt, "2026-03-31") == on(2026, 3, 31));
  CHECK(parse_date(k_ro, "31.03.2026") == on(2026, 3, 31));
  CHECK_FALSE(parse_date(k_pt, "31.03.2026").has_value());
  CHECK_FALSE(parse_date(k_pt, "31/02/2026").has_value()); // no such day
  CHECK_FALSE(parse_date(k_pt, "31/03/26").has_value());
  CHECK_FALSE(parse_date(k_pt, "31/03/2026x").has_value());
  CHECK_FALSE(parse_date(k_en, "31/03/2026").has_value());
}

TEST_CASE("numbers with a decimal comma become what the CLI takes, and are shown back with it", "[i18n]") {
  CHECK(canonical_number(k_pt, "1234,50") == "1234.50");
  CHECK(canonical_number(k_pt, "1.234,50") == "1234.50");
  CHECK(canonical_number(k_pt, "1 234,5") == "1234.5");
  CHECK(canonical_number(k_pt, "1\xc2\xa0" "234,5") == "1234.5");
  CHECK(canonical_number(k_pt, "-0,5") == "-0.5");
  CHECK(canonical_number(k_pt, "12") == "12");
  CHECK(canonical_number(k_pt, "12.5") == "12.5");          // a dot alone is left to the question's check
  CHECK(canonical_number(k_pt, "1,234.50") == "1,234.50");  // English grouping: as typed (and refused)
  CHECK(canonical_number(k_pt, "1.5,3") == "1.5,3");        // not thousands: as typed
  CHECK(canonical_number(k_pt, "1,2,3") == "1,2,3");
  CHECK(canonical_number(k_en, " 1,5 ") == "1,5");
  CHECK(format_number(k_pt, "1234.5") == "1234,5");
  CHECK(format_number(k_pt, "12") == "12");
  CHECK(format_number(k_pt, "1e5") == "1e5");
  CHECK(format_number(k_en, "1234.5") == "1234.5");
}
