#pragma once

#include "practice/util/time.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace practice::storage {

class Database;

// A prepared statement, finalized on destruction. Bind with bind(1, v) or
// bind_all(v1, v2, ...); an empty optional binds NULL. Columns are 0-based.
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

  // Advances to the next row; false when done. Throws on error.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();
  int parameter_count() const { return sqlite3_bind_parameter_count(m_stmt); }
  int column_count() const { return sqlite3_column_count(m_stmt); }

  bool is_null(int col) const;
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
  Database& m_db;
  sqlite3_stmt* m_stmt = nullptr;
  bool* m_in_use = nullptr; // set when borrowed from the database's cache: reset, not finalized
};

enum class OpenMode { existing, create };

// One SQLite connection with practice's settings applied at open:
// foreign_keys=ON, journal_mode=WAL, synchronous=FULL, a busy timeout,
// trusted_schema=OFF and defensive mode. Paths ":memory:" open in memory.
class Database {
public:
  // Throws NotFound when `mode` is existing and the file does not exist.
  Database(const std::string& path, OpenMode mode, int busy_timeout_ms = 10000);

  sqlite3* handle() const { return m_db.get(); }
  const std::string& path() const { return m_path; }

  // Runs one or more statements with no parameters.
  void exec(std::string_view sql);
  // SQLite's integrity_check: "ok", or its problems joined with "; ".
  std::string integrity_problems();
  // How many rows point at rows that do not exist (foreign_key_check).
  int foreign_key_orphans();
  int64_t last_insert_id() const;
  int changes() const;

  // Throws the practice error matching an SQLite result code.
  [[noreturn]] void fail(int rc, std::string_view context) const;

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

private:
  friend class Statement;
  // Prepared statements by SQL text: a delivery run records thousands of
  // results with the same few statements, and preparing costs more than running.
  struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<std::string, CachedStatement> m_cache;

  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  static int on_busy(void* self, int count);
  std::chrono::milliseconds m_busy_timeout{10000};
  std::chrono::steady_clock::time_point m_busy_since;
  std::string m_path;
  std::unique_ptr<sqlite3, Close> m_db;
};

enum class TxMode { read, write };

// A transaction: BEGIN IMMEDIATE for writes (so the write lock is taken up
// front and a busy database fails early), BEGIN DEFERRED for reads. Rolls
// back on destruction unless commit() was called.
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
// Restores synchronous=FULL when it ends. Not inside a transaction.
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
