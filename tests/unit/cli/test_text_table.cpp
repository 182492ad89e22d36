#include "cli/text_table.hpp"

#include <catch2/catch.hpp>

using namespace practice::cli;

namespace {

RenderOptions fit(size_t width) {
  RenderOptions o;
  o.max_width = width;
  return o;
}

} // namespace

TEST_CASE("columns align, numbers to the right, no trailing blanks") {
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("NAME");
  t.add_column("TYPE");
  t.add_row({"1", "Smith", "individual"});
  t.add_row({"12", "Ionuț SRL", ""});
  CHECK(t.render() == "ID  NAME       TYPE\n"
                      " 1  Smith      individual\n"
                      "12  Ionuț SRL\n");
}

TEST_CASE("header styling wraps only the header") {
  TextTable t;
  t.add_column("A");
  t.add_row({"x"});
  RenderOptions bold;
  bold.header_on = "<b>";
  bold.header_off = "</b>";
  CHECK(t.render(bold) == "<b>A</b>\nx\n");
}

TEST_CASE("too many cells is a programming error") {
  TextTable t;
  t.add_column("A");
  CHECK_THROWS(t.add_row({"1", "2"}));
}

TEST_CASE("display width counts terminal columns, not bytes or code points") {
  CHECK(display_width("") == 0);
  CHECK(display_width("Smith") == 5);
  CHECK(display_width("Ionuț") == 5);
  CHECK(display_width("会計事務所") == 10);
  CHECK(display_width("😀 ok") == 5);
  CHECK(display_width("e\xcc\x81") == 1); // e + combining acute
  CHECK(display_width("a\xff" "b") == 3); // a byte that is not UTF-8 counts one
}

TEST_CASE("truncation ends in an ellipsis within the width") {
  CHECK(truncate_to_width("Smith", 5) == "Smith");
  CHECK(truncate_to_width("Smith & Sons", 6) == "Smith…");
  CHECK(truncate_to_width("Smith", 1) == "…");
  CHECK(truncate_to_width("Smith", 0) == "");
  // A wide character that would straddle the edge is left out.
  CHECK(truncate_to_width("会計事務所", 6) == "会計…");
  CHECK(truncate_to_width("会計事務所", 5) == "会計…");
  // The combining marks of the last character kept stay with it.
  CHECK(truncate_to_width("e\xcc\x81" "e\xcc\x81" "e\xcc\x81" "e\xcc\x81", 3) == "e\xcc\x81" "e\xcc\x81…");
}

TEST_CASE("truncation never cuts inside a UTF-8 sequence") {
  const std::string s = "Ionuț 会計 😀 e\xcc\x81 SRL";
  for (size_t w = 0; w <= display_width(s) + 1; ++w) {
    const std::string cut = truncate_to_width(s, w);
    CAPTURE(w, cut);
    CHECK(display_width(cut) <= w);
    if (cut != s && !cut.empty()) {
      const std::string kept = cut.substr(0, cut.size() - std::string("…").size());
      CHECK(cut.substr(kept.size()) == "…");
      CHECK(s.compare(0, kept.size(), kept) == 0);
      // The next byte of the original starts a character: not a continuation byte.
      CHECK((static_cast<unsigned char>(s[kept.size()]) & 0xc0) != 0x80);
    }
  }
}

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

} // namespace

TEST_CASE("a table wider than the limit shrinks its widest column, ids and short columns whole") {
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("NAME");
  t.add_column("TYPE");
  t.add_column("NOTE");
  const std::string long_name(140, 'n');
  t.add_row({"12345", long_name, "individual", "a note of twenty-two."});
  t.add_row({"7", "会計事務所テスト株式会社", "company", "-"});
  const auto lines = lines_of(t.render(fit(80)));
  REQUIRE(lines.size() == 3);
  for (const auto& l : lines) {
    CHECK(display_width(l) <= 80);
  }
  // Only NAME gave up width: 5 + 2 + 38 + 2 + 10 + 2 + 21 = 80.
  CHECK(lines[0] == "   ID  NAME                                    TYPE        NOTE");
  CHECK(lines[1] == "12345  " + std::string(37, 'n') + "…  individual  a note of twenty-two.");
  CHECK(lines[2] == "    7  会計事務所テスト株式会社                company     -");
  // The columns after a CJK cell start where they start in the other rows.
  CHECK(display_width(lines[2].substr(0, lines[2].find("company"))) ==
        display_width(lines[1].substr(0, lines[1].find("individual"))));
}

TEST_CASE("the widest column shrinks first, then the next widest with it") {
  TextTable t;
  t.add_column("A");
  t.add_column("B");
  t.add_row({std::string(50, 'a'), std::string(20, 'b')});
  // 50 + 2 + 20 = 72: 12 too wide for 60, all taken from A.
  CHECK(lines_of(t.render(fit(60)))[1] == std::string(37, 'a') + "…  " + std::string(20, 'b'));
  // For 30, A comes down to B's width and then both shrink together.
  CHECK(lines_of(t.render(fit(30)))[1] == std::string(13, 'a') + "…  " + std::string(13, 'b') + "…");
}

TEST_CASE("without a limit, or when the table fits, cells are whole") {
  TextTable t;
  t.add_column("NAME");
  const std::string long_name(140, 'n');
  t.add_row({long_name});
  CHECK(t.render() == "NAME\n" + long_name + "\n");
  CHECK(t.render(fit(140)) == "NAME\n" + long_name + "\n");
  CHECK(t.render(fit(139)) == "NAME\n" + std::string(138, 'n') + "…\n");
}

TEST_CASE("a column never shrinks below its header or the minimum width") {
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("LAST ACTIVITY AT");
  t.add_column("NAME");
  t.add_row({"123456789", "2026-03-01T09:00:00Z", "a name of some length"});
  const auto lines = lines_of(t.render(fit(20)));
  // As narrow as it goes: the id whole, the others at their floors; wider than 20.
  CHECK(lines[0] == "       ID  LAST ACTIVITY AT  NAME");
  CHECK(lines[1] == "123456789  2026-03-01T09:0…  a name of…");
}
