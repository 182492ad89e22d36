#include "practice/error.hpp"
#include "practice/storage/database.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/storage/resolve.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace practice;
using namespace practice::storage;

namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("practice-test-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return dir;
}

int64_t pragma(Database& db, const char* name) {
  Statement s(db, std::string("PRAGMA ") + name);
  s.step();
  return s.int64(0);
}

} // namespace

TEST_CASE("a file database gets practice's settings, 0700 folder and 0600 file") {
  const auto dir = temp_dir();
  const auto path = (dir / "sub" / "p.db").string();
  {
    Database db(path, OpenMode::create);
    apply_migrations(db);
    CHECK(pragma(db, "foreign_keys") == 1);
    CHECK(pragma(db, "synchronous") == 2);
    Statement jm(db, "PRAGMA journal_mode");
    jm.step();
    CHECK(jm.text(0) == "wal");
    CHECK(schema_version(db) == latest_schema_version());
    // Orphan rows are refused.
    CHECK_THROWS_AS(db.exec("INSERT INTO contacts (account_id, name, email, created_at) "
                            "VALUES (999, 'x', 'x@y.test', '2026-01-01T00:00:00Z')"),
                    Conflict);
  }
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir / "sub").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  std::filesystem::remove_all(dir);
}

TEST_CASE("relaxed sync holds while it lives and gives back synchronous=FULL") {
  const auto dir = temp_dir();
  {
    Database db((dir / "p.db").string(), OpenMode::create);
    apply_migrations(db);
    {
      RelaxedSync relaxed(db);
      CHECK(pragma(db, "synchronous") == 1);
      Transaction tx(db, TxMode::write);
      db.exec("INSERT INTO firm (id, name, created_at) VALUES (1, 'relaxed', '2026-01-01T00:00:00Z')");
      tx.commit();
    }
    CHECK(pragma(db, "synchronous") == 2);
  }
  // Committed all the same: another connection reads it.
  Database again((dir / "p.db").string(), OpenMode::existing);
  Statement s(again, "SELECT name FROM firm");
  REQUIRE(s.step());
  CHECK(s.text(0) == "relaxed");
  std::filesystem::remove_all(dir);
}

TEST_CASE("opening a missing database without create is NotFound") {
  CHECK_THROWS_AS(Database("/nonexistent/practice.db", OpenMode::existing), NotFound);
}

TEST_CASE("migrations are idempotent and a newer schema is refused") {
  const auto dir = temp_dir();
  const auto path = (dir / "p.db").string();
  Database db(path, OpenMode::create);
  CHECK(apply_migrations(db) == latest_schema_version());
  CHECK(apply_migrations(db) == 0);
  db.exec("PRAGMA user_version=999");
  CHECK_THROWS_AS(apply_migrations(db), ConfigError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("migration 11 tells who acted from the names records kept: staff, contact, third party, system") {
  Database db(":memory:", OpenMode::create);
  apply_migrations(db, 10);
  db.exec(R"sql(
INSERT INTO staff (id, name, email, role, created_at) VALUES (1, 'Alice', 'alice@acme.test', 'owner', 't');
INSERT INTO accounts (id, name, type, created_at) VALUES (1, 'Smith', 'individual', 't');
INSERT INTO contacts (id, account_id, name, email, created_at) VALUES (7, 1, 'John', 'john@smith.test', 't');
-- Alice is a contact of the account too: what staff do is hers as staff, what clients do hers as a contact.
INSERT INTO contacts (id, account_id, name, email, created_at) VALUES (8, 1, 'Alice', 'ALICE@acme.test', 't');
INSERT INTO requests (id, account_id, title, created_by, created_at, last_activity_at) VALUES
  (1, 1, 'a', 'alice@acme.test', 't', 't'), (2, 1, 'b', 'system', 't', 't'), (3, 1, 'c', 'root', 't', 't');
INSERT INTO request_questions (id, request_id, position, type, prompt) VALUES
  (1, 1, 1, 'text', 'q'), (2, 1, 2, 'text', 'q'), (3, 1, 3, 'text', 'q');
INSERT INTO request_answers (question_id, value, answered_by, answered_at) VALUES
  (1, '"x"', 'john@smith.test', 't'), (2, '"x"', 'alice@acme.test', 't'), (3, '"x"', 'bank@bank.test', 't');
)sql");
  apply_migrations(db);
  const auto rows = [&](const char* sql) {
    std::vector<std::string> out;
    Statement s(db, sql);
    while (s.step()) {
      out.push_back(s.text(0) + ":" + (s.is_null(1) ? std::string("-") : std::to_string(s.int64(1))));
    }
    return out;
  };
  CHECK(rows("SELECT created_by_kind, created_by_id FROM requests ORDER BY id") ==
        std::vector<std::string>{"staff:1", "system:-", "os_user:-"});
  CHECK(rows("SELECT answered_by_kind, answered_by_id FROM request_answers ORDER BY question_id") ==
        std::vector<std::string>{"contact:7", "contact:8", "third_party:-"});
}

TEST_CASE("a foreign SQLite file is refused") {
  Database db(":memory:", OpenMode::create);
  db.exec("CREATE TABLE t (x); PRAGMA user_version=3");
  CHECK_THROWS_AS(apply_migrations(db), ConfigError);
}

TEST_CASE("a transaction rolls back unless committed") {
  Database db(":memory:", OpenMode::create);
  db.exec("CREATE TABLE t (x INTEGER)");
  {
    Transaction tx(db, TxMode::write);
    db.exec("INSERT INTO t VALUES (1)");
  }
  {
    Transaction tx(db, TxMode::write);
    db.exec("INSERT INTO t VALUES (2)");
    tx.commit();
  }
  Statement s(db, "SELECT group_concat(x) FROM t");
  s.step();
  CHECK(s.text(0) == "2");
}

TEST_CASE("a second writer gets Busy after the timeout") {
  const auto dir = temp_dir();
  const auto path = (dir / "p.db").string();
  Database a(path, OpenMode::create, 50);
  apply_migrations(a);
  Database b(path, OpenMode::existing, 50);
  Transaction hold(a, TxMode::write);
  CHECK_THROWS_AS(Transaction(b, TxMode::write), Busy);
  std::filesystem::remove_all(dir);
}

TEST_CASE("binding an empty optional stores NULL") {
  Database db(":memory:", OpenMode::create);
  db.exec("CREATE TABLE t (x TEXT)");
  Statement ins(db, "INSERT INTO t VALUES (?)");
  ins.bind(1, std::optional<std::string>()).run();
  Statement s(db, "SELECT x IS NULL FROM t");
  s.step();
  CHECK(s.int64(0) == 1);
}

TEST_CASE("references resolve by id or exact key, with did-you-mean and ambiguity") {
  Database db(":memory:", OpenMode::create);
  db.exec("CREATE TABLE n (id INTEGER PRIMARY KEY, name TEXT);"
          "INSERT INTO n (name) VALUES ('Smith'), ('Jones'), ('Jones')");
  const RefQueries q{"account", "name", "SELECT id FROM n WHERE id = ?1",
                     "SELECT id, name FROM n WHERE name = ?1", "SELECT name FROM n"};
  CHECK(resolve_ref(db, q, "1") == 1);
  CHECK(resolve_ref(db, q, "Smith") == 1);
  CHECK_THROWS_AS(resolve_ref(db, q, "9"), NotFound);
  CHECK_THROWS_WITH(resolve_ref(db, q, "Smyth"), Catch::Contains("did you mean \"Smith\""));
  CHECK_THROWS_AS(resolve_ref(db, q, "Jones"), InvalidInput);
  CHECK_THROWS_WITH(resolve_ref(db, q, "Jones"), Catch::Contains("2 (Jones), 3 (Jones)"));
}
