#include "context.hpp"

#include "practice/error.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace practice::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string home_dir() {
  std::string home = env("HOME");
  if (home.empty()) {
    // cron may run without HOME.
    if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_dir != nullptr) {
      home = pw->pw_dir;
    }
  }
  if (home.empty()) {
    throw ConfigError("cannot find the home folder (HOME is not set)", "pass --db PATH");
  }
  return home;
}

std::string xdg(const char* var, const char* fallback) {
  std::string dir = env(var);
  if (dir.empty() || dir.front() != '/') {
    dir = home_dir() + "/" + fallback;
  }
  return dir;
}

} // namespace

const config::Config& Context::config() {
  if (!m_config) {
    const bool given = global.config && !global.config->empty();
    m_config = config::load_config(config_path(), given ? config::MissingFile::error : config::MissingFile::defaults);
    for (const auto& w : m_config->warnings) {
      out.warn(w);
    }
  }
  return *m_config;
}

std::string Context::config_path() const {
  if (global.config && !global.config->empty()) {
    return *global.config;
  }
  return xdg("XDG_CONFIG_HOME", ".config") + "/practice/config.toml";
}

std::string Context::db_path() {
  if (global.db && !global.db->empty()) {
    return *global.db;
  }
  if (const auto& url = config().database_url; url && !url->empty()) {
    return *url;
  }
  return xdg("XDG_DATA_HOME", ".local/share") + "/practice/practice.db";
}

std::string Context::link_key_path() { return app::link_key_path_for(db_path(), config(), base_dir()); }

std::string Context::os_user() const {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return pw->pw_name;
  }
  const std::string user = env("USER");
  return user.empty() ? "unknown" : user;
}

const util::Clock& Context::clock() {
  now();
  return *m_clock;
}

std::string Context::base_dir() {
  const std::string& path = config().path;
  if (path.empty() && storage::is_postgres_url(db_path())) {
    return ".";
  }
  const std::string from = path.empty() ? db_path() : path;
  const auto slash = from.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : from.substr(0, slash);
}

util::TimePoint Context::now() {
  if (!m_clock) {
    if (global.now) {
      // An empty --now is a mistake (an unset shell variable), not a request
      // for the real clock: a backfill must not run at today's date.
      if (global.now->empty()) {
        throw InvalidInput("--now is empty; give the time to run at",
                           "use a date such as 2026-03-01 or a time such as 2026-03-01T09:00:00Z, "
                           "or leave out --now for the real clock");
      }
      const auto t = util::parse_iso(*global.now);
      if (!t) {
        throw InvalidInput(fmt::format("--now \"{}\" is not an ISO 8601 time", *global.now),
                           "use a date such as 2026-03-01 or a time such as 2026-03-01T09:00:00Z");
      }
      m_clock = std::make_unique<util::FixedClock>(*t);
    } else {
      m_clock = std::make_unique<util::SystemClock>();
    }
  }
  return m_clock->now();
}

int Context::busy_timeout_ms() const {
  if (const auto t = util::parse_int(env("PRACTICE_BUSY_TIMEOUT_MS")); t && *t >= 0 && *t <= 600000) {
    return static_cast<int>(*t);
  }
  return 10000;
}

storage::Database& Context::database(storage::OpenMode mode) {
  if (!m_db) {
    // Every command that uses the database also runs with the config: a
    // broken config fails every such command the same way.
    config();
    m_db = std::make_unique<storage::Database>(db_path(), mode, busy_timeout_ms());
    m_migrations_applied = storage::apply_migrations(*m_db);
  }
  return *m_db;
}

app::Workspace& Context::workspace() {
  if (!m_workspace) {
    auto& db = database();
    m_workspace = std::make_unique<app::Workspace>(db, config(), clock(), db_path(), base_dir());
  }
  return *m_workspace;
}

nlohmann::ordered_json Context::deliver_after_commit(const std::vector<int64_t>& ids) {
  nlohmann::ordered_json summary = {{"queued", ids.size()}, {"sent", 0},     {"deferred", 0},
                                    {"failed", 0},          {"cancelled", 0}};
  if (ids.empty()) {
    return summary;
  }
  const auto n = ids.size();
  const std::string what = n == 1 ? "1 message" : fmt::format("{} messages", n);
  try {
    const auto report = deliver(ids);
    if (!report) {
      out.note(fmt::format("{} queued; another delivery run is in progress", what));
      summary["deferred"] = n;
      return summary;
    }
    summary["sent"] = report->sent;
    summary["deferred"] = report->deferred;
    summary["failed"] = report->failed;
    summary["cancelled"] = report->cancelled;
    if (report->stopped) {
      out.warn(fmt::format("{} queued: the mail server could not be used ({}); "
                           "'practice outbox flush' sends {} later",
                           report->deferred == 1 ? "1 message stays" : fmt::format("{} messages stay", report->deferred),
                           report->stop_reason, report->deferred == 1 ? "it" : "them"));
    } else if (report->deferred > 0 || report->failed > 0) {
      out.warn(fmt::format("{} deferred for retry, {} failed; see 'practice outbox'", report->deferred,
                           report->failed));
    }
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::config && e.kind() != ErrorKind::mail_unavailable) {
      throw;
    }
    out.note(fmt::format("{} queued: {}", what, e.what()));
    summary["deferred"] = n;
  }
  return summary;
}

accounts::Session Context::session(storage::Database& db) {
  std::optional<std::string> as = global.as;
  if (!as || as->empty()) {
    as = config().user;
  }
  return accounts::make_session(db, now(), as, os_user());
}

} // namespace practice::cli
