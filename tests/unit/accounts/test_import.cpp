#include "../support/db.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/accounts/import.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::accounts;

namespace {

Session as_alice(storage::Database& db) {
  return make_session(db, test::at("2026-03-01T09:00:00Z"), std::string("alice@acme.test"), "osuser");
}

void with_alice(storage::Database& db) {
  auto s = make_session(db, test::at("2026-03-01T09:00:00Z"), std::nullopt, "osuser");
  add_staff(s, {"Alice", "alice@acme.test", std::nullopt, false});
}

} // namespace

TEST_CASE("import adds accounts and contacts once; a second run finds them all and writes nothing") {
  auto db = test::memory_db();
  with_alice(*db);
  const auto table = util::parse_csv("name,type,contact_name,contact_email,portal,language,assigned\n"
                                     "Silva Lda,company,Ana,ana@silva.test,yes,PT,alice@acme.test\n"
                                     "silva lda,,Rui,rui@silva.test,,,\n"
                                     "Ion Popescu,,,ion@popescu.test,,,\n");
  auto s = as_alice(*db);
  const auto first = import_accounts(s, table);
  CHECK(first.accounts_created == 2);
  CHECK(first.contacts_created == 3);
  CHECK(first.assignments_created == 1);
  const auto ana = get_contact(*db, "ana@silva.test", std::nullopt);
  CHECK(ana.portal);
  CHECK(ana.language == std::optional<std::string>("pt"));
  CHECK(get_account(*db, "Silva Lda").type == AccountType::company);
  CHECK(get_contact(*db, "ion@popescu.test", std::nullopt).name == "Ion Popescu");
  const auto rows = audit::AuditLog(*db).verify().rows;
  const auto second = import_accounts(s, table);
  CHECK(second.accounts_created == 0);
  CHECK(second.accounts_existing == 2);
  CHECK(second.contacts_existing == 3);
  CHECK(second.assignments_created == 0);
  CHECK(audit::AuditLog(*db).verify().rows == rows);
}

TEST_CASE("import names the line and column of the first bad value") {
  auto db = test::memory_db();
  with_alice(*db);
  auto s = as_alice(*db);
  CHECK_THROWS_WITH(import_accounts(s, util::parse_csv("name,contact_email\nA,a@x.test\nB,nope\n")),
                    Catch::StartsWith("line 3, column 2 (contact_email): "));
  CHECK_THROWS_WITH(import_accounts(s, util::parse_csv("name,kind\nA,company\n")),
                    Catch::StartsWith("line 1, column 2 (kind): there is no column \"kind\""));
  // A refusal keeps its kind (a staff member not found is 66 at the CLI).
  try {
    import_accounts(s, util::parse_csv("name,assigned\nA,bob@acme.test\n"));
    FAIL("no refusal");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK_THAT(e.what(), Catch::StartsWith("line 2, column 2 (assigned): "));
  }
}

TEST_CASE("add_account refuses an active account's name unless duplicates are allowed") {
  auto db = test::memory_db();
  with_alice(*db);
  auto s = as_alice(*db);
  const auto first = add_account(s, "Smith", AccountType::individual);
  CHECK_THROWS_AS(add_account(s, "SMITH", AccountType::company), Conflict);
  const auto second = add_account(s, "Smith", AccountType::individual, Duplicate::allow);
  CHECK_THROWS_AS(get_account(*db, "Smith"), InvalidInput); // two active: ambiguous
  archive_account(s, std::to_string(second.id), Archive::archive);
  CHECK(get_account(*db, "Smith").id == first.id); // the one active match
}
