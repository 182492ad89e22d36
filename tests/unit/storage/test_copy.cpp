#include "practice/error.hpp"
#include "practice/storage/copy.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using practice::storage::foreign_key_order;
using practice::storage::TableRefs;

namespace {

size_t position(const std::vector<std::string>& order, const std::string& name) {
  return static_cast<size_t>(std::find(order.begin(), order.end(), name) - order.begin());
}

} // namespace

TEST_CASE("a table is copied after every table it references") {
  const std::vector<TableRefs> tables = {
      {"approvals", {"documents", "accounts"}},
      {"documents", {"accounts", "folders", "stored_files"}},
      {"accounts", {}},
      {"folders", {}},
      {"stored_files", {}},
      {"account_staff", {"accounts", "staff"}},
      {"staff", {}},
  };
  const auto order = foreign_key_order(tables);
  REQUIRE(order.size() == tables.size());
  for (const auto& t : tables) {
    for (const auto& r : t.references) {
      INFO(t.name << " references " << r);
      CHECK(position(order, r) < position(order, t.name));
    }
  }
}

TEST_CASE("tables free to go in either order keep the order given") {
  const std::vector<TableRefs> tables = {{"b", {}}, {"a", {"c"}}, {"c", {}}, {"d", {}}};
  CHECK(foreign_key_order(tables) == std::vector<std::string>{"b", "c", "d", "a"});
  CHECK(foreign_key_order({}).empty());
}

TEST_CASE("a reference to itself or to a table not listed does not hold a table back") {
  const std::vector<TableRefs> tables = {{"tree", {"tree", "elsewhere"}}, {"leaf", {"tree"}}};
  CHECK(foreign_key_order(tables) == std::vector<std::string>{"tree", "leaf"});
}

TEST_CASE("references in a circle are an internal error naming the tables") {
  const std::vector<TableRefs> tables = {{"ok", {}}, {"x", {"y"}}, {"y", {"x"}}};
  CHECK_THROWS_AS(foreign_key_order(tables), practice::InternalError);
  CHECK_THROWS_WITH(foreign_key_order(tables), Catch::Contains("x, y"));
}
