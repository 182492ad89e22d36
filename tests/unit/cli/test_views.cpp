#include "../support/db.hpp"

#include "cli/views.hpp"

#include <catch2/catch.hpp>

using namespace practice;

namespace {

std::string tree_text(const accounts::Account& a) {
  return cli::to_json(a).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string compact_text(const accounts::Account& a) {
  std::string out = "leading text stays;";
  cli::append_compact_json(out, a);
  REQUIRE(out.rfind("leading text stays;", 0) == 0);
  return out.substr(19);
}

} // namespace

TEST_CASE("an account's compact JSON is byte for byte the text of its tree") {
  accounts::Account a;
  a.id = 42;
  a.type = accounts::AccountType::company;
  a.created_at = test::at("2026-01-02T03:04:05Z");
  a.contact_count = 3;
  const char* names[] = {
      "Client 00001",
      "O'Brien & \"Sons\" \\ Co",
      "tab\there, line\nbreak, bell\x07, del\x7f",
      "Ionescu Familie \xc3\xa9\xe2\x82\xac \xf0\x9f\x93\x8e",
      "broken \xff\xfe utf-8 \xc3",
      "",
  };
  for (const char* name : names) {
    a.name = name;
    CHECK(compact_text(a) == tree_text(a));
  }
  a.assigned = {{1, "Alice \"Al\" Smith", "alice@acme.test"}, {7, "Bogdan \xc8\x98", "b@acme.test"}};
  a.archived_at = test::at("2026-05-06T07:08:09Z");
  a.reminders_paused = true;
  a.reminders_paused_until = test::at("2026-06-01T00:00:00Z");
  a.type = accounts::AccountType::individual;
  CHECK(compact_text(a) == tree_text(a));
  // And it is JSON: it parses back to the same tree.
  CHECK(nlohmann::ordered_json::parse(compact_text(a)) == cli::to_json(a));
}
