// The PostgreSQL driver: one libpq connection to a shared server. libpq is
// loaded with dlopen on the first connection, so a command on a SQLite file
// never maps it and its two dozen dependencies (about 4 ms of start-up each
// time on this machine). Results come in text format: a row's values are
// read as SQLite's are, integers parsed, a boolean read as 1 or 0.

#include "driver.hpp"

#include "practice/error.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <dlfcn.h>
#include <optional>
#include <unordered_map>
#include <vector>

namespace practice::storage {

namespace {

// libpq's functions, looked up once.
struct LibPq {
  decltype(&PQconnectdb) connectdb = nullptr;
  decltype(&PQstatus) status = nullptr;
  decltype(&PQerrorMessage) error_message = nullptr;
  decltype(&PQfinish) finish = nullptr;
  decltype(&PQsetNoticeProcessor) set_notice_processor = nullptr;
  decltype(&PQexec) exec = nullptr;
  decltype(&PQexecParams) exec_params = nullptr;
  decltype(&PQresultStatus) result_status = nullptr;
  decltype(&PQresultErrorField) result_error_field = nullptr;
  decltype(&PQntuples) ntuples = nullptr;
  decltype(&PQnfields) nfields = nullptr;
  decltype(&PQgetvalue) getvalue = nullptr;
  decltype(&PQgetlength) getlength = nullptr;
  decltype(&PQgetisnull) getisnull = nullptr;
  decltype(&PQcmdTuples) cmd_tuples = nullptr;
  decltype(&PQclear) clear = nullptr;
};

template <typename F> void load(void* lib, F& fn, const char* name) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
  if (fn == nullptr) {
    throw ConfigError(fmt::format("the PostgreSQL client library has no {}", name),
                      "install libpq5 from PostgreSQL 15 or later");
  }
}

// Loaded on the first connection; a failure is tried again on the next.
const LibPq& libpq() {
  static const LibPq pq = [] {
    void* lib = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      throw ConfigError("cannot load the PostgreSQL client library (libpq.so.5)",
                        "install it with 'apt-get install libpq5'");
    }
    LibPq p;
    load(lib, p.connectdb, "PQconnectdb");
    load(lib, p.status, "PQstatus");
    load(lib, p.error_message, "PQerrorMessage");
    load(lib, p.finish, "PQfinish");
    load(lib, p.set_notice_processor, "PQsetNoticeProcessor");
    load(lib, p.exec, "PQexec");
    load(lib, p.exec_params, "PQexecParams");
    load(lib, p.result_status, "PQresultStatus");
    load(lib, p.result_error_field, "PQresultErrorField");
    load(lib, p.ntuples, "PQntuples");
    load(lib, p.nfields, "PQnfields");
    load(lib, p.getvalue, "PQgetvalue");
    load(lib, p.getlength, "PQgetlength");
    load(lib, p.getisnull, "PQgetisnull");
    load(lib, p.cmd_tuples, "PQcmdTuples");
    load(lib, p.clear, "PQclear");
    return p;
  }();
  return pq;
}

// practice's advisory locks are (k_lock_space, n): writers take n = 0 for a
// transaction, a named run lock its own n.
constexpr int k_lock_space = 0x50524143; // "PRAC"

// The URL as it may be shown: without a password, in the user part or in
// the query string.
std::string without_password(const std::string& url) {
  std::string out = url;
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = out.find_first_of("/?", start);
    const auto at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at != std::string::npos && at >= start) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) {
        out.erase(colon, at - colon);
      }
    }
  }
  for (const std::string_view key : {"?password=", "&password="}) {
    const auto at = out.find(key);
    if (at != std::string::npos) {
      const auto end = out.find('&', at + 1);
      out.erase(at + 1, (end == std::string::npos ? out.size() : end + 1) - (at + 1));
      if (!out.empty() && (out.back() == '&' || out.back() == '?')) {
        out.pop_back();
      }
    }
  }
  return out;
}

void no_notices(void*, const char*) {}

class PostgresDatabase;

// SQLite's ?NNN and ? parameters as PostgreSQL's $NNN, outside string
// literals, quoted names and comments; `count` gets the highest number and
// `used` which numbers appear (a store's filter may skip some: SQLite lets a
// parameter go unused, PostgreSQL wants a type for each).
std::string numbered_parameters(std::string_view sql, int& count, std::vector<bool>& used) {
  std::string out;
  out.reserve(sql.size() + 16);
  count = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      const auto end = sql.find(c, i + 1);
      const auto stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      const auto stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') {
      ++j;
    }
    int n = count + 1;
    if (j > i + 1) {
      std::from_chars(sql.data() + i + 1, sql.data() + j, n);
    }
    count = std::max(count, n);
    if (used.size() < static_cast<size_t>(n)) {
      used.resize(static_cast<size_t>(n));
    }
    used[static_cast<size_t>(n - 1)] = true;
    out += '$';
    out += std::to_string(n);
    i = j - 1;
  }
  return out;
}

class PostgresStatement final : public StatementDriver {
public:
  PostgresStatement(PostgresDatabase& db, const std::string& sql, int parameters, const std::vector<bool>& used)
      : m_db(db), m_sql(sql), m_used(used), m_values(static_cast<size_t>(parameters)),
        m_types(static_cast<size_t>(parameters), 0) {}
  ~PostgresStatement() override { clear(); }

  void bind_null(int index) override { set(index, std::nullopt, 0); }
  void bind_int64(int index, int64_t value) override { set(index, std::to_string(value), 20 /* int8 */); }
  void bind_double(int index, double value) override { set(index, fmt::format("{}", value), 701 /* float8 */); }
  // Text goes untyped, so the server reads it as the column it meets needs.
  void bind_text(int index, std::string_view value) override { set(index, std::string(value), 0); }
  void stream() override { m_stream = true; }
  bool step() override;
  void reset() override {
    clear();
    for (auto& v : m_values) {
      v.reset();
    }
    std::fill(m_types.begin(), m_types.end(), 0);
  }
  int parameter_count() const override { return static_cast<int>(m_values.size()); }
  int column_count() const override;
  bool is_null(int col) const override;
  int64_t int64(int col) const override;
  double real(int col) const override;
  std::string_view text_view(int col) const override;
  void release() override { delete this; }

private:
  void set(int index, std::optional<std::string> value, unsigned type) {
    if (index < 1 || index > static_cast<int>(m_values.size())) {
      throw InternalError(fmt::format("statement has no parameter {}", index));
    }
    m_values[static_cast<size_t>(index - 1)] = std::move(value);
    m_types[static_cast<size_t>(index - 1)] = type;
  }
  void clear();
  void execute();
  void fetch();

  PostgresDatabase& m_db;
  const std::string& m_sql;
  const std::vector<bool>& m_used;
  std::vector<std::optional<std::string>> m_values;
  std::vector<Oid> m_types;
  PGresult* m_result = nullptr;
  int m_rows = 0;
  int m_row = -1;
  bool m_stream = false;
  std::string m_cursor;      // the open cursor's name, while it is open
  uint64_t m_cursor_tx = 0;  // the transaction it belongs to
};

class PostgresDatabase final : public DatabaseDriver {
public:
  PostgresDatabase(const std::string& url, OpenMode mode, int busy_timeout_ms);
  // The connection's checks and settings, after connectdb.
  void connected(OpenMode mode, int busy_timeout_ms);
  ~PostgresDatabase() override {
    if (m_conn != nullptr) {
      m_pq.finish(m_conn);
    }
  }

  Dialect dialect() const override { return Dialect::postgres; }
  const std::string& name() const override { return m_name; }
  StatementDriver* prepare(std::string_view sql) override {
    auto it = m_translated.find(std::string(sql));
    if (it == m_translated.end()) {
      Translated t;
      t.sql = numbered_parameters(sql, t.parameters, t.used);
      it = m_translated.emplace(std::string(sql), std::move(t)).first;
    }
    return new PostgresStatement(*this, it->second.sql, it->second.parameters, it->second.used);
  }
  void exec(std::string_view sql) override {
    PGresult* r = m_pq.exec(m_conn, std::string(sql).c_str());
    check(r, "database statement failed");
    m_pq.clear(r);
  }
  void begin(TxMode mode) override {
    if (mode == TxMode::write) {
      exec(fmt::format("BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({}, 0)", k_lock_space));
    } else {
      exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
    }
    m_transaction = ++m_transactions;
  }
  void commit() override {
    m_transaction = 0;
    exec("COMMIT");
  }
  void rollback() noexcept override {
    m_transaction = 0;
    if (PGresult* r = m_pq.exec(m_conn, "ROLLBACK")) {
      m_pq.clear(r);
    }
  }
  // The transaction open now (0: none); cursors live only inside one.
  uint64_t transaction() const { return m_transaction; }
  std::string next_cursor_name() { return fmt::format("practice_rows_{}", ++m_cursors); }
  void relaxed_sync(bool relaxed) noexcept override {
    if (PGresult* r = m_pq.exec(m_conn, relaxed ? "SET synchronous_commit = off" : "SET synchronous_commit = on")) {
      m_pq.clear(r);
    }
  }
  // The server checks every constraint at each statement; a damaged page
  // shows as an error on the read that meets it.
  std::string integrity_problems() override { return "ok"; }
  int foreign_key_orphans() override { return 0; }
  int64_t last_insert_id() override {
    PGresult* r = m_pq.exec(m_conn, "SELECT lastval()");
    check(r, "cannot read the id of the row just added");
    const int64_t id = std::strtoll(m_pq.getvalue(r, 0, 0), nullptr, 10);
    m_pq.clear(r);
    return id;
  }
  int changes() const override { return m_changes; }
  std::unique_ptr<RunLock> try_run_lock(std::string_view name) override;

  // Throws the practice error for a failed result (and clears it), or
  // records the rows a command changed.
  void check(PGresult* r, std::string_view context);
  [[noreturn]] void fail(const std::string& sqlstate, const std::string& detail, std::string_view context) const;

  const LibPq& m_pq;
  PGconn* m_conn = nullptr;

private:
  struct Translated {
    std::string sql;
    int parameters = 0;
    std::vector<bool> used;
  };
  std::unordered_map<std::string, Translated> m_translated;
  std::string m_name;
  int m_changes = 0;
  uint64_t m_transactions = 0;
  uint64_t m_transaction = 0;
  uint64_t m_cursors = 0;
};

class AdvisoryRunLock final : public RunLock {
public:
  AdvisoryRunLock(PostgresDatabase& db, int key) : m_db(db), m_key(key) {}
  ~AdvisoryRunLock() override {
    const auto sql = fmt::format("SELECT pg_advisory_unlock({}, {})", k_lock_space, m_key);
    if (PGresult* r = m_db.m_pq.exec(m_db.m_conn, sql.c_str())) {
      m_db.m_pq.clear(r);
    }
  }

private:
  PostgresDatabase& m_db;
  int m_key;
};

PostgresDatabase::PostgresDatabase(const std::string& url, OpenMode mode, int busy_timeout_ms)
    : m_pq(libpq()), m_name(without_password(url)) {
  m_conn = m_pq.connectdb(url.c_str());
  try {
    connected(mode, busy_timeout_ms);
  } catch (...) {
    // A constructor that throws runs no destructor: the connection is closed here.
    m_pq.finish(m_conn);
    m_conn = nullptr;
    throw;
  }
}

void PostgresDatabase::connected(OpenMode mode, int busy_timeout_ms) {
  if (m_conn == nullptr || m_pq.status(m_conn) != CONNECTION_OK) {
    std::string why = m_conn != nullptr ? m_pq.error_message(m_conn) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) {
      why.pop_back();
    }
    if (const auto nl = why.find('\n'); nl != std::string::npos) {
      why = why.substr(0, nl);
    }
    if (why.find("does not exist") != std::string::npos && why.find("database") != std::string::npos) {
      throw NotFound(fmt::format("cannot connect to {}: {}", m_name, why),
                     "create the database first (createdb), then run 'practice init'");
    }
    throw ConfigError(fmt::format("cannot connect to {}: {}", m_name, why),
                      "check the URL in --db, PRACTICE_DB or [database] url, and that the server runs");
  }
  m_pq.set_notice_processor(m_conn, no_notices, nullptr);
  // Fixed settings: UTC text everywhere, and a lock wait as long as SQLite's
  // busy timeout. No JIT: a list's subqueries a row put its estimated cost
  // past jit_above_cost, and compiling it takes about a second, longer than
  // a firm of 10,000 jobs takes to list (1.9 s with JIT, 1.0 s without).
  exec(fmt::format("SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET lock_timeout = {}; "
                   "SET application_name = 'practice'; SET jit = off",
                   busy_timeout_ms));
  if (mode == OpenMode::existing) {
    PGresult* r = m_pq.exec(m_conn, "SELECT to_regclass('schema_meta') IS NOT NULL, "
                                    "(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema())");
    check(r, "cannot read the database");
    const bool has_schema = std::string_view(m_pq.getvalue(r, 0, 0)) == "t";
    const bool has_tables = std::string_view(m_pq.getvalue(r, 0, 1)) != "0";
    m_pq.clear(r);
    if (!has_schema && has_tables) {
      throw ConfigError(fmt::format("{} is not a practice database: it has tables of its own", m_name),
                        "give practice an empty database of its own (createdb), then run 'practice init'");
    }
    if (!has_schema) {
      throw NotFound(fmt::format("no practice firm in the database {}", m_name),
                     "run 'practice init' to create it there");
    }
  }
}

void PostgresDatabase::check(PGresult* r, std::string_view context) {
  const auto status = r == nullptr ? PGRES_FATAL_ERROR : m_pq.result_status(r);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    const char* n = m_pq.cmd_tuples(r);
    m_changes = n != nullptr && *n != '\0' ? std::atoi(n) : 0;
    return;
  }
  std::string sqlstate;
  std::string detail;
  if (r != nullptr) {
    const char* s = m_pq.result_error_field(r, PG_DIAG_SQLSTATE);
    const char* m = m_pq.result_error_field(r, PG_DIAG_MESSAGE_PRIMARY);
    sqlstate = s != nullptr ? s : "";
    detail = m != nullptr ? m : "";
    m_pq.clear(r);
  }
  if (detail.empty()) {
    detail = m_pq.error_message(m_conn);
    while (!detail.empty() && detail.back() == '\n') {
      detail.pop_back();
    }
  }
  fail(sqlstate, detail, context);
}

void PostgresDatabase::fail(const std::string& sqlstate, const std::string& detail, std::string_view context) const {
  // 55P03 lock_not_available (lock_timeout), 40001 serialization_failure,
  // 40P01 deadlock_detected: another writer held on too long.
  if (sqlstate == "55P03" || sqlstate == "40001" || sqlstate == "40P01") {
    throw Busy(fmt::format("the database {} is busy: another practice command held it past the timeout", m_name),
               "try again in a moment");
  }
  if (sqlstate.starts_with("23")) {
    throw Conflict(fmt::format("{}: {}", context, detail));
  }
  if (sqlstate.starts_with("08") || sqlstate.empty() || sqlstate.starts_with("57P")) {
    throw ConfigError(fmt::format("lost the connection to {}: {}", m_name, detail),
                      "check that the server runs, then try again");
  }
  if (sqlstate.starts_with("42501")) {
    throw ConfigError(fmt::format("{}: {} ({})", context, m_name, detail),
                      "grant the role the rights it needs on the practice database");
  }
  throw InternalError(fmt::format("{}: {}", context, detail));
}

std::unique_ptr<RunLock> PostgresDatabase::try_run_lock(std::string_view name) {
  // One number per lock name ("delivery" is 1), kept within int4.
  uint32_t hash = 1;
  for (const char c : name) {
    hash = hash * 31u + static_cast<unsigned char>(c);
  }
  const int key = name == "delivery" ? 1 : static_cast<int>((hash & 0x3fffffffu) | 2u);
  const auto sql = fmt::format("SELECT pg_try_advisory_lock({}, {})", k_lock_space, key);
  PGresult* r = m_pq.exec(m_conn, sql.c_str());
  check(r, "cannot take the run lock");
  const bool got = std::string_view(m_pq.getvalue(r, 0, 0)) == "t";
  m_pq.clear(r);
  if (!got) {
    return nullptr;
  }
  return std::make_unique<AdvisoryRunLock>(*this, key);
}

void PostgresStatement::clear() {
  if (m_result != nullptr) {
    m_db.m_pq.clear(m_result);
    m_result = nullptr;
  }
  // A cursor left open (a list not read to its end) is closed while its
  // transaction lasts; the transaction's end closes it otherwise.
  if (!m_cursor.empty() && m_cursor_tx == m_db.transaction()) {
    const auto sql = "CLOSE " + m_cursor;
    if (PGresult* r = m_db.m_pq.exec(m_db.m_conn, sql.c_str())) {
      m_db.m_pq.clear(r);
    }
  }
  m_cursor.clear();
  m_rows = 0;
  m_row = -1;
}

// Rows a batch fetches from a cursor: few enough to hold, many enough that
// the round trips cost little next to the rows.
constexpr int k_batch = 500;

void PostgresStatement::fetch() {
  if (m_result != nullptr) {
    m_db.m_pq.clear(m_result);
    m_result = nullptr;
  }
  const auto sql = fmt::format("FETCH {} FROM {}", k_batch, m_cursor);
  PGresult* r = m_db.m_pq.exec(m_db.m_conn, sql.c_str());
  m_db.check(r, "database statement failed");
  m_result = r;
  m_rows = m_db.m_pq.ntuples(r);
  m_row = -1;
  if (m_rows < k_batch) {
    // The last batch: the cursor has nothing more to give.
    const auto close = "CLOSE " + m_cursor;
    m_cursor.clear();
    m_db.exec(close);
  }
}

void PostgresStatement::execute() {
  std::vector<const char*> values(m_values.size());
  for (size_t i = 0; i < m_values.size(); ++i) {
    values[i] = m_values[i] ? m_values[i]->c_str() : nullptr;
    if (!m_used[i]) {
      m_types[i] = 25; // text: any type will do for a parameter the statement never reads
    }
  }
  if (m_stream && m_db.transaction() != 0) {
    const std::string cursor = m_db.next_cursor_name();
    const std::string declare = fmt::format("DECLARE {} NO SCROLL CURSOR FOR {}", cursor, m_sql);
    PGresult* r = m_db.m_pq.exec_params(m_db.m_conn, declare.c_str(), static_cast<int>(values.size()),
                                        m_types.data(), values.data(), nullptr, nullptr, 0);
    m_db.check(r, "database statement failed");
    m_db.m_pq.clear(r);
    m_cursor = cursor;
    m_cursor_tx = m_db.transaction();
    fetch();
    return;
  }
  PGresult* r = m_db.m_pq.exec_params(m_db.m_conn, m_sql.c_str(), static_cast<int>(values.size()), m_types.data(),
                                      values.data(), nullptr, nullptr, 0);
  m_db.check(r, "database statement failed");
  m_result = r;
  m_rows = m_db.m_pq.ntuples(r);
  m_row = -1;
}

bool PostgresStatement::step() {
  if (m_result == nullptr) {
    execute();
  }
  if (m_row + 1 >= m_rows && !m_cursor.empty()) {
    fetch();
  }
  if (m_row + 1 < m_rows) {
    ++m_row;
    return true;
  }
  m_row = m_rows;
  return false;
}

int PostgresStatement::column_count() const {
  // The server says how many columns once it has run the statement (its
  // parameters are bound by then).
  if (m_result == nullptr) {
    const_cast<PostgresStatement*>(this)->execute();
  }
  return m_db.m_pq.nfields(m_result);
}

bool PostgresStatement::is_null(int col) const {
  return m_result == nullptr || m_row < 0 || m_row >= m_rows || m_db.m_pq.getisnull(m_result, m_row, col) != 0;
}

std::string_view PostgresStatement::text_view(int col) const {
  if (is_null(col)) {
    return {};
  }
  return {m_db.m_pq.getvalue(m_result, m_row, col),
          static_cast<size_t>(m_db.m_pq.getlength(m_result, m_row, col))};
}

int64_t PostgresStatement::int64(int col) const {
  const auto v = text_view(col);
  if (v == "t") {
    return 1;
  }
  if (v == "f" || v.empty()) {
    return 0;
  }
  int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

double PostgresStatement::real(int col) const {
  const auto v = text_view(col);
  return v.empty() ? 0.0 : std::strtod(std::string(v).c_str(), nullptr);
}

} // namespace

std::unique_ptr<DatabaseDriver> open_postgres(const std::string& url, OpenMode mode, int busy_timeout_ms) {
  return std::make_unique<PostgresDatabase>(url, mode, busy_timeout_ms);
}

} // namespace practice::storage
