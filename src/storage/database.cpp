#include "practice/storage/database.hpp"

#include "practice/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <thread>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace practice::storage {

namespace {

// Creates every missing folder of `dir`, each 0700.
void make_dirs(const std::string& dir) {
  if (dir.empty()) {
    return;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    return;
  }
  const auto slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    make_dirs(dir.substr(0, slash));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw InvalidInput(fmt::format("cannot create folder {}: {}", dir, std::strerror(errno)));
  }
}

} // namespace

// SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries: a
// writer that has waited a while keeps losing to newcomers, and a portal
// autosave could wait most of a second behind writes of a millisecond. Short
// sleeps that grow slowly keep waits about as long as the lock is held.
int Database::on_busy(void* self, int count) {
  auto& db = *static_cast<Database*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) {
    db.m_busy_since = now;
  }
  const auto waited = now - db.m_busy_since;
  if (waited >= db.m_busy_timeout) {
    return 0;
  }
  const auto pause = waited < std::chrono::milliseconds(5)    ? std::chrono::microseconds(50)
                     : waited < std::chrono::milliseconds(100) ? std::chrono::microseconds(250)
                                                               : std::chrono::microseconds(1000);
  std::this_thread::sleep_for(pause);
  return 1;
}

Database::Database(const std::string& path, OpenMode mode, int busy_timeout_ms) : m_path(path) {
  const bool in_memory = path == ":memory:";
  if (!in_memory) {
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (!exists && mode == OpenMode::existing) {
      throw NotFound(fmt::format("no database at {}", path),
                     "run 'practice init' to create it, or pass --db PATH");
    }
    if (exists && S_ISDIR(st.st_mode)) {
      throw InvalidInput(fmt::format("{} is a folder, not a database file", path));
    }
    if (!exists) {
      const auto slash = path.find_last_of('/');
      if (slash != std::string::npos) {
        make_dirs(path.substr(0, slash));
      }
      // Create the file ourselves so it is 0600 whatever the umask; SQLite
      // gives its -wal and -shm files the same mode.
      const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
      if (fd < 0) {
        throw InvalidInput(
            fmt::format("cannot create database {}: {}", path, std::strerror(errno)));
      }
      ::close(fd);
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  m_db.reset(raw);
  if (rc != SQLITE_OK) {
    fail(rc, fmt::format("cannot open database {}", path));
  }
  sqlite3_extended_result_codes(raw, 1);
  m_busy_timeout = std::chrono::milliseconds(busy_timeout_ms);
  sqlite3_busy_handler(raw, &Database::on_busy, this);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  exec("PRAGMA foreign_keys=ON");
  if (!in_memory) {
    // journal_mode=WAL persists in the file; asking again costs a lookup only.
    Statement wal(*this, "PRAGMA journal_mode=WAL");
    wal.step();
  }
  exec("PRAGMA synchronous=FULL");
}

RelaxedSync::RelaxedSync(Database& db) : m_db(db) { m_db.exec("PRAGMA synchronous=NORMAL"); }

RelaxedSync::~RelaxedSync() { sqlite3_exec(m_db.handle(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr); }

void Database::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string s(sql);
  const int rc = sqlite3_exec(m_db.get(), s.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) {
    sqlite3_free(err);
  }
  if (rc != SQLITE_OK) {
    fail(rc, "database statement failed");
  }
}

std::string Database::integrity_problems() {
  Statement s(*this, "PRAGMA integrity_check");
  std::string out;
  while (s.step()) {
    out += (out.empty() ? "" : "; ") + s.text(0);
  }
  return out;
}

int Database::foreign_key_orphans() {
  Statement s(*this, "PRAGMA foreign_key_check");
  int n = 0;
  while (s.step()) {
    ++n;
  }
  return n;
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(m_db.get()); }

int Database::changes() const { return sqlite3_changes(m_db.get()); }

void Database::fail(int rc, std::string_view context) const {
  const int primary = rc & 0xff;
  const char* detail = m_db ? sqlite3_errmsg(m_db.get()) : sqlite3_errstr(rc);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw Busy(fmt::format("the database {} is busy: another practice command held it past the "
                           "timeout",
                           m_path),
               "try again in a moment");
  }
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw ConfigError(fmt::format("{} is not a usable practice database ({})", m_path, detail));
  }
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM) {
    throw ConfigError(fmt::format("{}: {} ({})", context, m_path, detail));
  }
  if (primary == SQLITE_CONSTRAINT) {
    throw Conflict(fmt::format("{}: {}", context, detail));
  }
  throw InternalError(fmt::format("{}: {}", context, detail));
}

Database::~Database() {
  for (auto& [sql, cached] : m_cache) {
    sqlite3_finalize(cached.stmt);
  }
}

Statement::Statement(Database& db, std::string_view sql) : m_db(db) {
  auto it = db.m_cache.find(std::string(sql));
  if (it != db.m_cache.end() && !it->second.in_use) {
    m_stmt = it->second.stmt;
    it->second.in_use = true;
    m_in_use = &it->second.in_use;
    return;
  }
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &m_stmt,
                                    nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(m_stmt);
    db.fail(rc, "cannot prepare a database statement");
  }
  if (it == db.m_cache.end()) {
    auto [entry, inserted] =
        db.m_cache.emplace(std::string(sql), Database::CachedStatement{m_stmt, true});
    m_in_use = &entry->second.in_use;
  }
}

Statement::~Statement() {
  if (m_in_use != nullptr) {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    *m_in_use = false;
  } else {
    sqlite3_finalize(m_stmt);
  }
}

Statement& Statement::bind(int index, std::nullptr_t) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  sqlite3_reset(m_stmt);
  m_db.fail(rc, "database statement failed");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

int64_t Statement::int64(int col) const { return sqlite3_column_int64(m_stmt, col); }

double Statement::real(int col) const { return sqlite3_column_double(m_stmt, col); }

std::string_view Statement::text_view(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
  if (p == nullptr) {
    return {};
  }
  return {p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, col))};
}

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

Transaction::Transaction(Database& db, TxMode mode) : m_db(db) {
  Statement(m_db, mode == TxMode::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED").run();
}

Transaction::~Transaction() {
  if (m_open) {
    sqlite3_exec(m_db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::commit() {
  Statement(m_db, "COMMIT").run();
  m_open = false;
}

} // namespace practice::storage

namespace practice::storage {

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
