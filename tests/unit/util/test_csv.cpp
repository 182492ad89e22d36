#include "practice/error.hpp"
#include "practice/util/csv.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::util;

TEST_CASE("CSV: quotes, doubled quotes, line breaks inside a field, and the line each record starts on") {
  const auto t = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n\"two\nlines\",z\nlast,1");
  CHECK(t.delimiter == ',');
  REQUIRE(t.records.size() == 4);
  CHECK(t.records[0].line == 1);
  CHECK(t.records[1].fields == std::vector<std::string>{"x, y", "say \"hi\""});
  CHECK(t.records[1].line == 2);
  CHECK(t.records[2].line == 4); // after a blank line
  CHECK(t.records[2].fields[0] == "two\nlines");
  CHECK(t.records[3].line == 6); // the line break inside the quotes counts
  CHECK(t.records[3].fields == std::vector<std::string>{"last", "1"});
}

TEST_CASE("CSV: a byte order mark is dropped and semicolons are the delimiter when the header shows them") {
  const auto t = parse_csv("\xEF\xBB\xBFnome;tipo\nSilva, Lda;empresa\n");
  CHECK(t.delimiter == ';');
  REQUIRE(t.records.size() == 2);
  CHECK(t.records[0].fields[0] == "nome");
  CHECK(t.records[1].fields == std::vector<std::string>{"Silva, Lda", "empresa"});
}

TEST_CASE("CSV: an unclosed quote and text that is not UTF-8 are refused naming the line") {
  CHECK_THROWS_WITH(parse_csv("a\n\"open\n"), Catch::StartsWith("line "));
  CHECK_THROWS_AS(parse_csv("a\n\"open\n"), InvalidInput);
  CHECK_THROWS_WITH(parse_csv("a\nJo\xE3o\n"), Catch::Contains("line 2, column 1: the text is not UTF-8"));
}

TEST_CASE("CSV lines quote what needs it and read back the same") {
  const std::vector<std::string> fields{"plain", "a,b", "say \"hi\"", "two\nlines", " padded", ""};
  const std::string line = csv_line(fields);
  CHECK(line == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" padded\",\r\n");
  const auto back = parse_csv(csv_line({"h1", "h2", "h3", "h4", "h5", "h6"}) + line);
  REQUIRE(back.records.size() == 2);
  CHECK(back.records[1].fields == fields);
}
