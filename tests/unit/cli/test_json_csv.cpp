#include "cli/json_csv.hpp"

#include <catch2/catch.hpp>

using namespace practice::cli;
using json = nlohmann::ordered_json;

namespace {

std::string csv_of(const std::vector<json>& rows) {
  JsonCsv out;
  for (const auto& r : rows) {
    out.add(r);
  }
  return out.text();
}

} // namespace

TEST_CASE("the header is the JSON keys in their order, scalars as their text") {
  json row = json::object();
  row["id"] = 7;
  row["name"] = "Smith";
  row["notify"] = true;
  row["portal"] = false;
  row["language"] = nullptr;
  row["share"] = 0.5;
  CHECK(csv_of({row}) == "id,name,notify,portal,language,share\r\n"
                         "7,Smith,true,false,,0.5\r\n");
}

TEST_CASE("fields with commas, quotes and line breaks are quoted as RFC 4180 has it") {
  CHECK(csv_of({json{{"name", "Smith, \"Jr\"\nand Sons"}}}) == "name\r\n\"Smith, \"\"Jr\"\"\nand Sons\"\r\n");
}

TEST_CASE("arrays are joined: scalars as they are, objects by email, name, prompt, kind and id, or id") {
  json row = json::object();
  row["reasons"] = {"blurry", "wrong year"};
  row["assigned"] = json::array({{{"id", 1}, {"name", "Alice"}, {"email", "alice@acme.test"}},
                                 {{"id", 2}, {"name", "Bob"}, {"email", "bob@acme.test"}}});
  row["stages"] = json::array({{{"id", 1}, {"name", "Intake"}}, {{"id", 2}, {"name", "Review"}}});
  row["questions"] = json::array({{{"type", "text"}, {"prompt", "Your UTR?"}}});
  row["items"] = json::array({{{"kind", "request"}, {"id", 3}}, {{"kind", "approval"}, {"id", 5}}});
  row["ids"] = json::array({{{"id", 4}}});
  row["odd"] = json::array({{{"x", 1}}, json::array({1, 2})});
  row["none"] = json::array();
  CHECK(csv_of({row}) == "reasons,assigned,stages,questions,items,ids,odd,none\r\n"
                         "blurry; wrong year,alice@acme.test; bob@acme.test,Intake; Review,Your UTR?,"
                         "request 3; approval 5,4,\"{\"\"x\"\":1}; [1,2]\",\r\n");
}

TEST_CASE("objects become parent.child columns") {
  json row = json::object();
  row["id"] = 1;
  row["reminders"] = {{"on", true}, {"every_days", 7}, {"inner", {{"a", 1}}}};
  row["title"] = "VAT";
  CHECK(csv_of({row}) == "id,reminders.on,reminders.every_days,reminders.inner.a,title\r\n"
                         "1,true,7,1,VAT\r\n");
}

TEST_CASE("an object null in some rows gets its columns from the rows that have it") {
  const json unassigned = {{"id", 1}, {"assignee", nullptr}, {"title", "a"}};
  const json assigned = {{"id", 2}, {"assignee", {{"id", 9}, {"email", "bob@acme.test"}}}, {"title", "b"}};
  const std::string expected = "id,assignee.id,assignee.email,title\r\n"
                               "1,,,a\r\n"
                               "2,9,bob@acme.test,b\r\n";
  CHECK(csv_of({unassigned, assigned}) == expected);
  // Null in every row: one empty column.
  CHECK(csv_of({unassigned}) == "id,assignee,title\r\n1,,a\r\n");
}

TEST_CASE("objects of different shapes get the union of their keys, in the order first seen") {
  const json a = {{"id", 1}, {"details", {{"name", "Smith"}}}};
  const json b = {{"id", 2}, {"details", {{"from", "x"}, {"name", "Jones"}}}};
  const json c = {{"id", 3}, {"details", "plain text"}};
  CHECK(csv_of({a, b, c}) == "id,details,details.name,details.from\r\n"
                             "1,,Smith,\r\n"
                             "2,,Jones,x\r\n"
                             "3,plain text,,\r\n");
}

TEST_CASE("no rows, no text; a value that is not an object is one column") {
  CHECK(csv_of({}).empty());
  CHECK(csv_of({json("x"), json(2)}) == "value\r\nx\r\n2\r\n");
}

TEST_CASE("a cell a spreadsheet would run as a formula starts with an apostrophe; numbers as text stay") {
  json row = json::object();
  row["reason"] = "=HYPERLINK(\"http://evil.test\",\"click\")";
  row["at"] = "@SUM(A1)";
  row["plus"] = "+351 912 345 678";
  row["minus"] = "-12.50";
  row["dash"] = "- see page 2";
  row["plain"] = "Smith";
  CHECK(csv_of({row}) == "reason,at,plus,minus,dash,plain\r\n"
                         "\"'=HYPERLINK(\"\"http://evil.test\"\",\"\"click\"\")\",'@SUM(A1),'+351 912 345 678,-12.50,"
                         "'- see page 2,Smith\r\n");
}
