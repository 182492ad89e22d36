#pragma once

#include "practice/util/time.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace practice::storage {

class Database;
class StatementDriver;
class DatabaseDriver;

// Which database a connection talks to. Stores keep one SQL text for both
// where one serves; where the two differ (a list of ids as a parameter, an
// instant's seconds), storage/dialect.hpp has the fragment for each.
enum class Dialect { sqlite, postgres };

// A prepared statement, released on destruction. Bind with bind(1, v) or
// bind_all(v1, v2, ...); an empty optional binds NULL. Columns are 0-based.
// Parameters are written ?1 or ? as SQLite has them; the PostgreSQL driver
// numbers them $1 for the server.
class Statement {
public:
  Statement(Database& db, std::string_view sql);

  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, bool value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  template <typename T> Statement& bind(int index, const std::optional<T>& value) {
    if (value) {
      return bind(index, *value);
    }
    return bind(index, nullptr);
  }

  template <typename... Args> Statement& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  // The rows of a list of any length: on PostgreSQL, inside a transaction,
  // they come from a server-side cursor a batch at a time instead of all at
  // once, so a list of 100,000 rows is never held whole (SQLite steps row by
  // row anyway). Call before the first step.
  Statement& stream();
  // Advances to the next row; false when done. Throws on error.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();
  int parameter_count() const;
  int column_count() const;

  bool is_null(int col) const;
  // An integer column (a PostgreSQL boolean reads 1 or 0).
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  std::string_view text_view(int col) const;
  std::optional<int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;
  // An ISO 8601 column as an instant (the epoch if it does not parse).
  util::TimePoint time(int col) const;
  std::optional<util::TimePoint> opt_time(int col) const;

  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

private:
  StatementDriver* m_stmt;
};

enum class OpenMode { existing, create };

// A lock that one process at a time holds (one delivery run per database),
// dropped on destruction or when the process dies.
class RunLock {
public:
  virtual ~RunLock() = default;
};

// One connection. A path opens the SQLite file there, with practice's
// settings applied at open: foreign_keys=ON, journal_mode=WAL,
// synchronous=FULL, a busy timeout, trusted_schema=OFF and defensive mode
// (":memory:" opens in memory). A postgresql:// or postgres:// URL connects
// to that PostgreSQL server through libpq, loaded on first use (a command on
// SQLite never maps it: each shared library costs start-up time).
class Database {
public:
  // Throws NotFound when `mode` is existing and the SQLite file does not
  // exist, ConfigError when the server cannot be reached.
  Database(const std::string& target, OpenMode mode, int busy_timeout_ms = 10000);

  // The SQLite path, or the URL without its password.
  const std::string& path() const;
  Dialect dialect() const;
  bool is_postgres() const { return dialect() == Dialect::postgres; }

  // Runs one or more statements with no parameters.
  void exec(std::string_view sql);
  // The database's own consistency check: "ok", or its problems joined with "; ".
  std::string integrity_problems();
  // How many rows point at rows that do not exist (0 where the server
  // enforces every foreign key at each statement).
  int foreign_key_orphans();
  int64_t last_insert_id() const;
  int changes() const;
  // The lock named `name` for this database, or nullptr when another process
  // holds it. On SQLite a file beside the database (`path` + ".lock" for
  // "delivery"), on PostgreSQL a session advisory lock.
  std::unique_ptr<RunLock> try_run_lock(std::string_view name);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

private:
  friend class Statement;
  friend class Transaction;
  friend class RelaxedSync;
  std::unique_ptr<DatabaseDriver> m_driver;
};

// True when `target` names a PostgreSQL database rather than a SQLite file.
bool is_postgres_url(std::string_view target);

enum class TxMode { read, write };

// A transaction. On SQLite: BEGIN IMMEDIATE for writes (the write lock taken
// up front, so writers take turns and a busy database fails early), BEGIN
// DEFERRED for reads. On PostgreSQL: a write takes practice's advisory
// transaction lock first (writers take turns there too: the audit chain reads
// its last row and appends), at READ COMMITTED so it sees every write before
// its turn; a read is one REPEATABLE READ snapshot. Rolls back on
// destruction unless commit() was called.
class Transaction {
public:
  Transaction(Database& db, TxMode mode);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

private:
  Database& m_db;
  bool m_open = true;
};

// While it lives, the connection's commits are WAL appends without an fsync
// each (synchronous=NORMAL, SQLite's advice for WAL): durable against a killed
// process; a power cut may roll back the last of them, never corrupt the
// file, and the next synchronous=FULL commit or checkpoint makes them durable.
// On PostgreSQL, synchronous_commit=off for the session, with the same
// promise. Restores the full setting when it ends. Not inside a transaction.
class RelaxedSync {
public:
  explicit RelaxedSync(Database& db);
  ~RelaxedSync();
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

private:
  Database& m_db;
};

} // namespace practice::storage
