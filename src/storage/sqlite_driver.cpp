// The SQLite driver: one connection to a file (or ":memory:") with
// practice's settings, and a cache of prepared statements.

#include "driver.hpp"

#include "practice/error.hpp"
#include "practice/util/file_lock.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

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

class SqliteDatabase;

class SqliteStatement final : public StatementDriver {
public:
  SqliteStatement(SqliteDatabase& db, sqlite3_stmt* stmt, bool* in_use) : m_db(db), m_stmt(stmt), m_in_use(in_use) {}

  void bind_null(int index) override { sqlite3_bind_null(m_stmt, index); }
  void bind_int64(int index, int64_t value) override { sqlite3_bind_int64(m_stmt, index, value); }
  void bind_double(int index, double value) override { sqlite3_bind_double(m_stmt, index, value); }
  void bind_text(int index, std::string_view value) override {
    sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  }
  bool step() override;
  void reset() override {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }
  int parameter_count() const override { return sqlite3_bind_parameter_count(m_stmt); }
  int column_count() const override { return sqlite3_column_count(m_stmt); }
  bool is_null(int col) const override { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  int64_t int64(int col) const override { return sqlite3_column_int64(m_stmt, col); }
  double real(int col) const override { return sqlite3_column_double(m_stmt, col); }
  std::string_view text_view(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
    if (p == nullptr) {
      return {};
    }
    return {p, static_cast<size_t>(sqlite3_column_bytes(m_stmt, col))};
  }
  void release() override;

private:
  SqliteDatabase& m_db;
  sqlite3_stmt* m_stmt;
  bool* m_in_use; // set when borrowed from the database's cache: reset, not finalized
};

class SqliteDatabase final : public DatabaseDriver {
public:
  SqliteDatabase(const std::string& path, OpenMode mode, int busy_timeout_ms);
  ~SqliteDatabase() override {
    for (auto& [sql, cached] : m_cache) {
      sqlite3_finalize(cached.stmt);
    }
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& name() const override { return m_path; }
  StatementDriver* prepare(std::string_view sql) override;
  void exec(std::string_view sql) override;
  void begin(TxMode mode) override { exec(mode == TxMode::write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED"); }
  void commit() override { exec("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(m_db.get(), "ROLLBACK", nullptr, nullptr, nullptr); }
  void relaxed_sync(bool relaxed) noexcept override {
    sqlite3_exec(m_db.get(), relaxed ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL", nullptr, nullptr,
                 nullptr);
  }
  std::string integrity_problems() override;
  int foreign_key_orphans() override;
  int64_t last_insert_id() override { return sqlite3_last_insert_rowid(m_db.get()); }
  int changes() const override { return sqlite3_changes(m_db.get()); }
  std::unique_ptr<RunLock> try_run_lock(std::string_view name) override;

  // Throws the practice error matching an SQLite result code.
  [[noreturn]] void fail(int rc, std::string_view context) const;

private:
  static int on_busy(void* self, int count);

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
  std::chrono::milliseconds m_busy_timeout{10000};
  std::chrono::steady_clock::time_point m_busy_since;
  std::string m_path;
  std::unique_ptr<sqlite3, Close> m_db;
};

class FileRunLock final : public RunLock {
public:
  explicit FileRunLock(util::FileLock lock) : m_lock(std::move(lock)) {}

private:
  util::FileLock m_lock;
};

// SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries: a
// writer that has waited a while keeps losing to newcomers, and a portal
// autosave could wait most of a second behind writes of a millisecond. Short
// sleeps that grow slowly keep waits about as long as the lock is held.
int SqliteDatabase::on_busy(void* self, int count) {
  auto& db = *static_cast<SqliteDatabase*>(self);
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

SqliteDatabase::SqliteDatabase(const std::string& path, OpenMode mode, int busy_timeout_ms) : m_path(path) {
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
        throw InvalidInput(fmt::format("cannot create database {}: {}", path, std::strerror(errno)));
      }
      ::close(fd);
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  m_db.reset(raw);
  if (rc != SQLITE_OK) {
    fail(rc, fmt::format("cannot open database {}", path));
  }
  sqlite3_extended_result_codes(raw, 1);
  m_busy_timeout = std::chrono::milliseconds(busy_timeout_ms);
  sqlite3_busy_handler(raw, &SqliteDatabase::on_busy, this);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  exec("PRAGMA foreign_keys=ON");
  if (!in_memory) {
    // journal_mode=WAL persists in the file; asking again costs a lookup only.
    exec("PRAGMA journal_mode=WAL");
  }
  exec("PRAGMA synchronous=FULL");
}

void SqliteDatabase::exec(std::string_view sql) {
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

std::string SqliteDatabase::integrity_problems() {
  std::unique_ptr<StatementDriver, void (*)(StatementDriver*)> s(prepare("PRAGMA integrity_check"),
                                                                 [](StatementDriver* p) { p->release(); });
  std::string out;
  while (s->step()) {
    out += (out.empty() ? "" : "; ") + std::string(s->text_view(0));
  }
  return out;
}

int SqliteDatabase::foreign_key_orphans() {
  std::unique_ptr<StatementDriver, void (*)(StatementDriver*)> s(prepare("PRAGMA foreign_key_check"),
                                                                 [](StatementDriver* p) { p->release(); });
  int n = 0;
  while (s->step()) {
    ++n;
  }
  return n;
}

std::unique_ptr<RunLock> SqliteDatabase::try_run_lock(std::string_view name) {
  if (m_path == ":memory:") {
    // No other connection can open this database: nothing to take turns with.
    return std::make_unique<RunLock>();
  }
  // "delivery" keeps the file name it always had.
  const std::string file = name == "delivery" ? m_path + ".lock" : fmt::format("{}.{}.lock", m_path, name);
  auto lock = util::FileLock::try_lock(file);
  if (!lock) {
    return nullptr;
  }
  return std::make_unique<FileRunLock>(std::move(*lock));
}

void SqliteDatabase::fail(int rc, std::string_view context) const {
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

StatementDriver* SqliteDatabase::prepare(std::string_view sql) {
  auto it = m_cache.find(std::string(sql));
  if (it != m_cache.end() && !it->second.in_use) {
    it->second.in_use = true;
    return new SqliteStatement(*this, it->second.stmt, &it->second.in_use);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(m_db.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    fail(rc, "cannot prepare a database statement");
  }
  bool* in_use = nullptr;
  if (it == m_cache.end()) {
    auto [entry, inserted] = m_cache.emplace(std::string(sql), CachedStatement{stmt, true});
    in_use = &entry->second.in_use;
  }
  return new SqliteStatement(*this, stmt, in_use);
}

bool SqliteStatement::step() {
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

void SqliteStatement::release() {
  if (m_in_use != nullptr) {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
    *m_in_use = false;
  } else {
    sqlite3_finalize(m_stmt);
  }
  delete this;
}

} // namespace

std::unique_ptr<DatabaseDriver> open_sqlite(const std::string& path, OpenMode mode, int busy_timeout_ms) {
  return std::make_unique<SqliteDatabase>(path, mode, busy_timeout_ms);
}

} // namespace practice::storage
