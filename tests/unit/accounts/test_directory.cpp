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
  const Contact c = add_contact(s, {"Smith", "John Smith", "john@smith.test", true, false});
  CHECK(c.notify);
  CHECK_THROWS_AS(add_contact(s, {"Smith", "J", "JOHN@smith.test", true, false}), Conflict);
  CHECK_THROWS_AS(add_contact(s, {"Smith", "J", "john", true, false}), InvalidInput);
  CHECK_THROWS_AS(add_contact(s, {"Nobody", "J", "j@x.test", true, false}), NotFound);
  const Contact e = edit_contact(s, "john@smith.test", std::nullopt,
                                 {std::nullopt, std::nullopt, false, true});
  CHECK_FALSE(e.notify);
  CHECK(e.portal);
  archive_account(s, "Smith", Archive::archive);
  CHECK_THROWS_AS(add_contact(s, {"Smith", "Jane", "jane@smith.test", true, false}), Conflict);
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
