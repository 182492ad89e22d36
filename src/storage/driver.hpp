#pragma once

// The two halves of a database driver behind storage::Database and
// storage::Statement: one for SQLite (sqlite_driver.cpp), one for
// PostgreSQL (postgres_driver.cpp). Nothing outside src/storage/ sees them,
// and nothing outside the two drivers includes sqlite3.h or libpq-fe.h.

#include "practice/storage/database.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace practice::storage {

class StatementDriver {
public:
  virtual ~StatementDriver() = default;
  virtual void bind_null(int index) = 0;
  virtual void bind_int64(int index, int64_t value) = 0;
  virtual void bind_double(int index, double value) = 0;
  virtual void bind_text(int index, std::string_view value) = 0;
  virtual void stream() {}
  virtual bool step() = 0;
  virtual void reset() = 0;
  virtual int parameter_count() const = 0;
  virtual int column_count() const = 0;
  virtual bool is_null(int col) const = 0;
  virtual int64_t int64(int col) const = 0;
  virtual double real(int col) const = 0;
  virtual std::string_view text_view(int col) const = 0;
  // Called instead of delete: a cached statement goes back to its cache.
  virtual void release() = 0;
};

class DatabaseDriver {
public:
  virtual ~DatabaseDriver() = default;
  virtual Dialect dialect() const = 0;
  virtual const std::string& name() const = 0;
  virtual StatementDriver* prepare(std::string_view sql) = 0;
  virtual void exec(std::string_view sql) = 0;
  virtual void begin(TxMode mode) = 0;
  virtual void commit() = 0;
  // Never throws: called from destructors.
  virtual void rollback() noexcept = 0;
  virtual void relaxed_sync(bool relaxed) noexcept = 0;
  virtual std::string integrity_problems() = 0;
  virtual int foreign_key_orphans() = 0;
  virtual int64_t last_insert_id() = 0;
  virtual int changes() const = 0;
  virtual std::unique_ptr<RunLock> try_run_lock(std::string_view name) = 0;
};

std::unique_ptr<DatabaseDriver> open_sqlite(const std::string& path, OpenMode mode, int busy_timeout_ms);
std::unique_ptr<DatabaseDriver> open_postgres(const std::string& url, OpenMode mode, int busy_timeout_ms);

} // namespace practice::storage
