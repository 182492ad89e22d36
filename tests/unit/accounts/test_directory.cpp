#include "../support/db.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/directory.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::accounts;

namespace {

Session as(storage::Database& db, const char* who) {
  return make_session(db, test::at("2026-03-01T09:00:00Z"),
                      who ? std::optional<std::string>(who) : std::nullopt, "osuser");
}

int64_t audit_rows(storage::Database& db) { return audit::AuditLog(db).verify().rows; }

} // namespace

TEST_CASE("the first staff member is an owner added by the OS user") {
  auto db = test::memory_db();
  auto s = as(*db, nullptr);
  CHECK(s.open_access);
  const Staff alice = add_staff(s, {"Alice Silva", "alice@acme.test", std::nullopt, false});
  CHECK(alice.role == Role::owner);
  const auto log = audit::AuditLog(*db).list({});
  REQUIRE(log.size() == 1);
  CHECK(log[0].actor.kind == audit::ActorKind::os_user);
  CHECK(log[0].actor.name == "osuser");
}

TEST_CASE("once staff exist, changes need a staff actor") {
  auto db = test::memory_db();
  auto s0 = as(*db, nullptr);
  add_staff(s0, {"Alice", "alice@acme.test", std::nullopt, false});
  auto nobody = as(*db, nullptr);
  CHECK_THROWS_AS(add_account(nobody, "Smith", AccountType::individual), PermissionDenied);
  CHECK_THROWS_AS(as(*db, "mallory@acme.test"), PermissionDenied);
  auto alice = as(*db, "alice@acme.test");
  CHECK(add_account(alice, "Smith", AccountType::individual).id == 1);
}

TEST_CASE("members cannot manage staff; the last owner stays") {
  auto db = test::memory_db();
  auto s0 = as(*db, nullptr);
  add_staff(s0, {"Alice", "alice@acme.test", std::nullopt, false});
  auto alice = as(*db, "Alice");
  add_staff(alice, {"Bob", "bob@acme.test", Role::member, false});
  auto bob = as(*db, "bob@acme.test");
  const auto before = audit_rows(*db);
  CHECK_THROWS_AS(add_staff(bob, {"Carol", "carol@acme.test", std::nullopt, false}), PermissionDenied);
  CHECK_THROWS_AS(remove_staff(alice, "alice@acme.test"), Conflict);
  CHECK_THROWS_AS(edit_staff(alice, "1", {std::nullopt, std::nullopt, Role::member, std::nullopt}),
                  Conflict);
  CHECK_THROWS_AS(add_staff(alice, {"Bobby", "BOB@acme.test", std::nullopt, false}), Conflict);
  CHECK(audit_rows(*db) == before);
}

TEST_CASE("a member who adds an account is assigned to it; others may not change it") {
  auto db = test::memory_db();
  auto s0 = as(*db, nullptr);
  add_staff(s0, {"Alice", "alice@acme.test", std::nullopt, false});
  auto alice = as(*db, "alice@acme.test");
  add_staff(alice, {"Bob", "bob@acme.test", Role::member, false});
  add_staff(alice, {"Carol", "carol@acme.test", Role::member, false});
  auto bob = as(*db, "bob@acme.test");
  const Account a = add_account(bob, "Smith", AccountType::company);
  REQUIRE(a.assigned.size() == 1);
  CHECK(a.assigned[0].email == "bob@acme.test");
  auto carol = as(*db, "carol@acme.test");
  CHECK_THROWS_AS(edit_account(carol, "Smith", {std::string("Smyth"), std::nullopt, std::nullopt, std::nullopt}), PermissionDenied);
  CHECK_THROWS_AS(assign_staff(bob, "Smith", "carol@acme.test", Assign::assign), PermissionDenied);
  assign_staff(alice, "Smith", "carol@acme.test", Assign::assign);
  CHECK(edit_account(carol, "Smith", {std::string("Smyth"), std::nullopt, std::nullopt, std::nullopt}).name == "Smyth");
}

TEST_CASE("contacts: unique email per account, archived accounts refuse new ones") {
  auto db = test::memory_db();
  auto s = as(*db, nullptr);
  add_account(s, "Smith", AccountType::individual);
  const Contact c = add_contact(s, {"Smith", "John Smith", "john@smith.test", true, false, {}});
  CHECK(c.notify);
  CHECK_THROWS_AS(add_contact(s, {"Smith", "J", "JOHN@smith.test", true, false, {}}), Conflict);
  CHECK_THROWS_AS(add_contact(s, {"Smith", "J", "john", true, false, {}}), InvalidInput);
  CHECK_THROWS_AS(add_contact(s, {"Nobody", "J", "j@x.test", true, false, {}}), NotFound);
  const Contact e = edit_contact(s, "john@smith.test", std::nullopt,
                                 {std::nullopt, std::nullopt, false, true, {}});
  CHECK_FALSE(e.notify);
  CHECK(e.portal);
  archive_account(s, "Smith", Archive::archive);
  CHECK_THROWS_AS(add_contact(s, {"Smith", "Jane", "jane@smith.test", true, false, {}}), Conflict);
  CHECK_THROWS_AS(archive_account(s, "Smith", Archive::archive), Conflict);
  archive_account(s, "Smith", Archive::restore);
  remove_contact(s, "1", std::nullopt);
  CHECK_THROWS_AS(get_contact(*db, "1", std::nullopt), NotFound);
  CHECK(audit::AuditLog(*db).verify().ok);
}

TEST_CASE("an edit that changes nothing writes no audit row") {
  auto db = test::memory_db();
  auto s = as(*db, nullptr);
  add_account(s, "Smith", AccountType::individual);
  const auto before = audit_rows(*db);
  edit_account(s, "Smith", {std::string("Smith"), AccountType::individual, std::nullopt, std::nullopt});
  CHECK(audit_rows(*db) == before);
}

TEST_CASE("init_firm records a new firm once and never changes an existing one") {
  auto db = test::memory_db();
  auto s = as(*db, nullptr);
  const auto first = init_firm(s, std::string("Acme CPA"), std::string("office@acme.test"));
  CHECK(first.created);
  CHECK(first.firm.name == "Acme CPA");
  const auto before = audit_rows(*db);
  const auto again = init_firm(s, std::string("Other Firm"), std::string("OTHER@Other.test"));
  CHECK_FALSE(again.created);
  CHECK(again.firm.name == "Acme CPA");
  CHECK(again.firm.email == std::optional<std::string>("office@acme.test"));
  CHECK(again.ignored == std::vector<std::string>{"name", "email"});
  CHECK(get_firm(*db).name == "Acme CPA");
  CHECK(audit_rows(*db) == before);
  // The same values are not "ignored"; nothing given, nothing to say.
  CHECK(init_firm(s, std::string(" Acme CPA "), std::nullopt).ignored.empty());
  CHECK(init_firm(s, std::nullopt, std::nullopt).ignored.empty());
  CHECK_THROWS_AS(init_firm(s, std::string("two\nlines"), std::nullopt), InvalidInput);
}

TEST_CASE("edit_firm: owners and admins, audited with what changed") {
  auto db = test::memory_db();
  auto s0 = as(*db, nullptr);
  CHECK_THROWS_AS(get_firm(*db), NotFound);
  init_firm(s0, std::string("Acme CPA"), std::nullopt);
  add_staff(s0, {"Alice", "alice@acme.test", std::nullopt, false});
  auto alice = as(*db, "alice@acme.test");
  add_staff(alice, {"Ann", "ann@acme.test", Role::admin, false});
  add_staff(alice, {"Bob", "bob@acme.test", Role::member, true});
  auto bob = as(*db, "bob@acme.test");
  auto nobody = as(*db, nullptr);
  const auto before = audit_rows(*db);
  CHECK_THROWS_AS(edit_firm(bob, {std::string("Bob's firm"), std::nullopt, std::nullopt}), PermissionDenied);
  CHECK_THROWS_AS(edit_firm(nobody, {std::string("Nobody's firm"), std::nullopt, std::nullopt}), PermissionDenied);
  CHECK_THROWS_AS(edit_firm(alice, {std::nullopt, std::string("not an address"), std::nullopt}), InvalidInput);
  CHECK(audit_rows(*db) == before);

  auto ann = as(*db, "ann@acme.test");
  const Firm f = edit_firm(ann, {std::string("Acme & Co"), std::string("office@acme.test"), std::nullopt});
  CHECK(f.name == "Acme & Co");
  CHECK(get_firm(*db).email == std::optional<std::string>("office@acme.test"));
  audit::AuditFilter firm_only;
  firm_only.item = "firm:1";
  const auto log = audit::AuditLog(*db).list(firm_only);
  REQUIRE(log.size() == 2);
  CHECK(log.back().action == "edited");
  CHECK(log.back().actor.name == "ann@acme.test");
  const auto changed = nlohmann::json::parse(log.back().details).at("changed");
  CHECK(changed.at("name") == nlohmann::json::array({"Acme CPA", "Acme & Co"}));
  CHECK(changed.at("email") == nlohmann::json::array({nullptr, "office@acme.test"}));
  // The same values again: nothing to record.
  const auto rows = audit_rows(*db);
  edit_firm(alice, {std::string("Acme & Co"), std::nullopt, std::nullopt});
  CHECK(audit_rows(*db) == rows);
}
