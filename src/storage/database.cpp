#include "practice/storage/database.hpp"

#include "driver.hpp"

namespace practice::storage {

bool is_postgres_url(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

Database::Database(const std::string& target, OpenMode mode, int busy_timeout_ms)
    : m_driver(is_postgres_url(target) ? open_postgres(target, mode, busy_timeout_ms)
                                       : open_sqlite(target, mode, busy_timeout_ms)) {}

Database::~Database() = default;

const std::string& Database::path() const { return m_driver->name(); }
Dialect Database::dialect() const { return m_driver->dialect(); }
void Database::exec(std::string_view sql) { m_driver->exec(sql); }
std::string Database::integrity_problems() { return m_driver->integrity_problems(); }
int Database::foreign_key_orphans() { return m_driver->foreign_key_orphans(); }
int64_t Database::last_insert_id() const { return m_driver->last_insert_id(); }
int Database::changes() const { return m_driver->changes(); }
std::unique_ptr<RunLock> Database::try_run_lock(std::string_view name) { return m_driver->try_run_lock(name); }

RelaxedSync::RelaxedSync(Database& db) : m_db(db) { m_db.m_driver->relaxed_sync(true); }
RelaxedSync::~RelaxedSync() { m_db.m_driver->relaxed_sync(false); }

Transaction::Transaction(Database& db, TxMode mode) : m_db(db) { m_db.m_driver->begin(mode); }

Transaction::~Transaction() {
  if (m_open) {
    m_db.m_driver->rollback();
  }
}

void Transaction::commit() {
  m_db.m_driver->commit();
  m_open = false;
}

Statement::Statement(Database& db, std::string_view sql) : m_stmt(db.m_driver->prepare(sql)) {}
Statement::~Statement() { m_stmt->release(); }

Statement& Statement::bind(int index, std::nullptr_t) {
  m_stmt->bind_null(index);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  m_stmt->bind_int64(index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  m_stmt->bind_double(index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  m_stmt->bind_text(index, value);
  return *this;
}

Statement& Statement::stream() {
  m_stmt->stream();
  return *this;
}

bool Statement::step() { return m_stmt->step(); }

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() { m_stmt->reset(); }
int Statement::parameter_count() const { return m_stmt->parameter_count(); }
int Statement::column_count() const { return m_stmt->column_count(); }
bool Statement::is_null(int col) const { return m_stmt->is_null(col); }
int64_t Statement::int64(int col) const { return m_stmt->int64(col); }
double Statement::real(int col) const { return m_stmt->real(col); }
std::string_view Statement::text_view(int col) const { return m_stmt->text_view(col); }
std::string Statement::text(int col) const { return std::string(text_view(col)); }

std::optional<int64_t> Statement::opt_int64(int col) const {
  if (is_null(col)) {
    return std::nullopt;
  }
  return int64(col);
}

std::optional<std::string> Statement::opt_text(int col) const {
  if (is_null(col)) {
    return std::nullopt;
  }
  return text(col);
}

util::TimePoint Statement::time(int col) const {
  return util::parse_iso(text_view(col)).value_or(util::TimePoint{});
}

std::optional<util::TimePoint> Statement::opt_time(int col) const {
  if (is_null(col)) {
    return std::nullopt;
  }
  return time(col);
}

} // namespace practice::storage
