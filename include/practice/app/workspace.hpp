#pragma once

#include "practice/accounts/session.hpp"
#include "practice/config/config.hpp"
#include "practice/mail/delivery.hpp"
#include "practice/requests/requests.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/clock.hpp"

#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// The application layer: what both front ends (the CLI and the portal) go
// through. A Workspace is one front end's handle on the core: one database
// connection, the config, the one clock and the paths beside the database.
// It is never shared between threads: each portal worker has its own.
namespace practice::app {

class Workspace {
public:
  // `db_path` is where the database, its link key, run lock and file store
  // live; `base_dir` is where relative paths in the config start.
  Workspace(storage::Database& db, const config::Config& config, const util::Clock& clock, std::string db_path,
            std::string base_dir);

  storage::Database& db() { return m_db; }
  const config::Config& config() const { return m_config; }
  const util::Clock& clock() const { return m_clock; }
  util::TimePoint now() const { return m_clock.now(); }
  // What request and approval operations need: config, link key and file store paths.
  const requests::Env& env() const { return m_env; }
  std::string link_key_path() const { return m_db_path + ".key"; }
  // Keeps `key` as the link key from now on instead of reading its file per
  // use (a long-running server reads it once at start).
  void hold_link_key(std::string key) { m_env.link_key = std::make_shared<const std::string>(std::move(key)); }

  // The unit of work: runs `f(Session&)` in one write transaction (BEGIN
  // IMMEDIATE) with the session `who(Database&)` makes inside it, and
  // commits. Everything `f` saves, audits and queues commits together or not
  // at all; the mail it queued is delivered after, by the caller (deliver).
  template <typename Who, typename F> auto write(Who&& who, F&& f) {
    std::unique_lock<std::mutex> turn;
    if (m_writers != nullptr) {
      turn = std::unique_lock<std::mutex>(*m_writers);
    }
    storage::Transaction tx(m_db, storage::TxMode::write);
    accounts::Session s = who(m_db);
    if constexpr (std::is_void_v<decltype(f(s))>) {
      f(s);
      tx.commit();
    } else {
      auto result = f(s);
      tx.commit();
      return result;
    }
  }

  // A draft's unit of work (an autosaved answer): as write, with a commit
  // that is a WAL append without an fsync (storage::RelaxedSync). A killed
  // server loses nothing; a power cut may roll back the last drafts, never a
  // submit or a decision, whose full commit makes the drafts before it
  // durable too. Half the cost of an autosave was its fsync.
  template <typename Who, typename F> auto write_draft(Who&& who, F&& f) {
    storage::RelaxedSync relaxed(m_db);
    return write(std::forward<Who>(who), std::forward<F>(f));
  }

  // Runs `f(Database&)` in one read transaction: a consistent snapshot.
  template <typename F> auto read(F&& f) {
    storage::Transaction tx(m_db, storage::TxMode::read);
    if constexpr (std::is_void_v<decltype(f(m_db))>) {
      f(m_db);
      tx.commit();
    } else {
      auto result = f(m_db);
      tx.commit();
      return result;
    }
  }

  // Workspaces of one process that share `writers` take turns at writing
  // (the portal's workers): waiting on a mutex is fair and costs nothing,
  // where SQLite's busy wait between connections of one process is neither.
  void share_writer_turns(std::mutex& writers) { m_writers = &writers; }

  // Delivers due messages (only `ids`, when given; at most `limit` claims, 0:
  // all) under the run lock. Returns nullopt when another run holds the lock.
  // Throws ConfigError when no transport is configured or it cannot be built.
  std::optional<mail::DeliveryReport> deliver(const std::optional<std::vector<int64_t>>& ids, int limit = 0);

private:
  storage::Database& m_db;
  const config::Config& m_config;
  const util::Clock& m_clock;
  std::string m_db_path;
  std::string m_base_dir;
  requests::Env m_env;
  std::mutex* m_writers = nullptr;
};

// The checks and fill-ins of every claimed outbox row: reminders that no
// longer apply are cancelled, and one-time codes are put into their message
// (they are never stored); a code's email is cancelled once the code is
// used, replaced or expired by `clock`.
mail::StillApplies prepare_outgoing(const requests::Env& env, const util::Clock& clock);

// Where the file store of the database at `db_path` lives: "files" beside
// a SQLite file.
std::string files_root_for(const std::string& db_path);

// Where the link key of the database at `db_path` lives: PATH.key beside a
// SQLite file; on PostgreSQL the file [database] key_file names (relative to
// `base_dir`), never the database itself, or "" when the config names none
// (requests::link_key then says so).
std::string link_key_path_for(const std::string& db_path, const config::Config& config, const std::string& base_dir);

} // namespace practice::app
