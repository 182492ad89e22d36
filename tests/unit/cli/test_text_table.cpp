#include "cli/text_table.hpp"

#include <catch2/catch.hpp>

using namespace practice::cli;

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
  CHECK(t.render("<b>", "</b>") == "<b>A</b>\nx\n");
}

TEST_CASE("too many cells is a programming error") {
  TextTable t;
  t.add_column("A");
  CHECK_THROWS(t.add_row({"1", "2"}));
}
