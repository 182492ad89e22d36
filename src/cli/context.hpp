#pragma once

#include "output.hpp"

#include "practice/accounts/session.hpp"
#include "practice/app/workspace.hpp"
#include "practice/mail/delivery.hpp"
#include "practice/requests/requests.hpp"
#include "practice/config/config.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/clock.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <string>

namespace practice::cli {

struct GlobalOptions {
  std::optional<std::string> db;
  std::optional<std::string> config;
  std::optional<std::string> as;
  std::optional<std::string> now;
  bool json = false;
  bool csv = false; // a list command's --csv (add_csv_flag)
  bool quiet = false;
  bool verbose = false;
};

// What a command runs with. Everything is loaded on first use, so --help and
// --version never touch the config or the database.
class Context {
public:
  GlobalOptions global;
  Output out;
  // Set by the chosen verb's callback during parsing; main runs it after.
  std::function<void()> action;
  // A command may end with a non-zero status without an error (e.g. 75).
  int exit_code = 0;

  const config::Config& config();
  // --db, PRACTICE_DB, [database] url, else the default SQLite file.
  std::string db_path();
  // The config file in use (--config, PRACTICE_CONFIG, else the XDG one); it may not exist.
  std::string config_path() const;
  std::string os_user() const;
  util::TimePoint now();
  const util::Clock& clock();
  // The config file's folder, or the database's when there is no config file:
  // where relative paths in the config start.
  std::string base_dir();

  // Opens the database (creating it for init), applying pending migrations.
  storage::Database& database(storage::OpenMode mode = storage::OpenMode::existing);

  // The application layer's handle, on this command's connection.
  app::Workspace& workspace();

  // Runs `f(Session&)` as the acting staff member in one write transaction
  // (the unit of work) and commits.
  template <typename F> auto write(F&& f) {
    return workspace().write([this](storage::Database& db) { return session(db); }, std::forward<F>(f));
  }

  // Runs `f(Database&)` in one read transaction: a consistent snapshot.
  template <typename F> auto read(F&& f) { return workspace().read(std::forward<F>(f)); }

  accounts::Session session(storage::Database& db);

  // What request operations need: config, link key and file store paths.
  requests::Env request_env() { return workspace().env(); }
  std::string link_key_path();

  // Delivers due messages (see app::Workspace::deliver).
  std::optional<mail::DeliveryReport> deliver(const std::optional<std::vector<int64_t>>& ids, int limit = 0) {
    return workspace().deliver(ids, limit);
  }

  // After a command committed the messages `ids`: delivers them and says in
  // one line on stderr what stayed queued and why. Never fails the command.
  nlohmann::ordered_json deliver_after_commit(const std::vector<int64_t>& ids);
  // How long a connection waits for another writer (PRACTICE_BUSY_TIMEOUT_MS, default 10 s).
  int busy_timeout_ms() const;
  // How many migrations opening the database applied.
  int migrations_applied() const { return m_migrations_applied; }

private:
  std::optional<config::Config> m_config;
  std::unique_ptr<util::Clock> m_clock;
  std::unique_ptr<storage::Database> m_db;
  std::unique_ptr<app::Workspace> m_workspace;
  int m_migrations_applied = 0;
};

} // namespace practice::cli
