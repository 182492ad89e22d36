#include "practice/app/workspace.hpp"

#include "practice/app/portal_access.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/mail/slots.hpp"
#include "practice/error.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/reminders/reminders.hpp"
#include "practice/requests/links.hpp"
#include "practice/util/sha256.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

namespace practice::app {

namespace {

std::string folder_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

} // namespace

std::string files_root_for(const std::string& db_path) {
  if (!storage::is_postgres_url(db_path)) {
    return folder_of(db_path) + "/files";
  }
  // This machine's cache of the database's files, one folder per database.
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = cache != nullptr && *cache != '\0' ? std::string(cache)
                                                                : std::string(home != nullptr ? home : ".") + "/.cache";
  return fmt::format("{}/practice/files-{}", base, util::sha256_hex(db_path).substr(0, 16));
}

std::string link_key_path_for(const std::string& db_path, const config::Config& config, const std::string& base_dir) {
  if (!storage::is_postgres_url(db_path)) {
    return db_path + ".key";
  }
  if (!config.database_key_file || config.database_key_file->empty()) {
    return "";
  }
  const auto& file = *config.database_key_file;
  return file.starts_with('/') ? file : base_dir + "/" + file;
}

Workspace::Workspace(storage::Database& db, const config::Config& config, const util::Clock& clock,
                     std::string db_path, std::string base_dir)
    : m_db(db), m_config(config), m_clock(clock), m_db_path(std::move(db_path)), m_base_dir(std::move(base_dir)),
      m_env{config, link_key_path_for(m_db_path, config, m_base_dir), files_root_for(m_db_path),
            int64_t{config.files_max_size_mb} * 1024 * 1024, {}} {}

std::optional<mail::DeliveryReport> Workspace::deliver(const std::optional<std::vector<int64_t>>& ids, int limit) {
  const mail::MailSettings settings = read([&](storage::Database& db) { return mail::mail_settings(db, m_config); });
  auto transport = mail::make_transport(m_config, m_base_dir, mail::domain_of(settings.from.email));
  if (!transport) {
    throw ConfigError("no mail transport is configured, so mail stays queued",
                      "set [mail] transport = \"smtp\" (with [smtp] url) or \"file\" in config.toml");
  }
  // One delivery run at a time; the leases would keep two apart anyway, this
  // saves them the work.
  auto lock = m_db.try_run_lock("delivery");
  if (!lock) {
    return std::nullopt;
  }
  mail::DeliveryOptions options;
  options.only = ids;
  options.limit = limit;
  options.run_lock = mail::HoldsRunLock::yes;
  options.connections = m_config.smtp.connections;
  options.lease = std::chrono::seconds((options.batch + options.connections) *
                                       (m_config.smtp.timeout_seconds * 2 + m_config.smtp.connect_timeout_seconds));
  return mail::deliver(m_db, m_clock, *transport, settings.from.email, options, prepare_outgoing(m_env, m_clock));
}

mail::StillApplies prepare_outgoing(const requests::Env& env, const util::Clock& clock) {
  auto reminders_apply = reminders::still_applies();
  // The link key is read on the first row that needs it, once per run, not
  // once per message.
  auto key = std::make_shared<std::optional<std::string>>();
  const auto link_key = [key, env](storage::Database& db) -> const std::string& {
    if (!*key) {
      *key = requests::link_key(db, env);
    }
    return **key;
  };
  return [reminders_apply, env, link_key,
          &clock](storage::Database& db, mail::OutboxRow& row) -> std::optional<std::string> {
    if (row.kind == "portal_code") {
      const auto colon = row.item ? row.item->find(':') : std::string::npos;
      const auto id = colon == std::string::npos ? std::nullopt : util::parse_int(row.item->substr(colon + 1));
      const auto nonce = id ? portal_code_nonce(db, *id, clock.now()) : std::nullopt;
      // Every slot of the body, even one a long line's soft break split (a
      // firm's own template may show the code more than once).
      if (!nonce ||
          !mail::fill_slot(row.message, k_code_slot,
                           derive_code(link_key(db), *id, *nonce))) {
        return std::string("its code no longer exists");
      }
      return std::nullopt;
    }
    if (auto why = reminders_apply(db, row)) {
      return why;
    }
    // A client's link is put in now, as it stands: a relinked recipient gets the new one.
    if (row.item && row.kind != "notice" &&
        (row.item->rfind("request:", 0) == 0 || row.item->rfind("approval:", 0) == 0)) {
      const auto colon = row.item->find(':');
      const auto id = util::parse_int(row.item->substr(colon + 1));
      if (!id) {
        return std::nullopt;
      }
      const auto url = row.item->compare(0, colon, "request") == 0
                           ? requests::recipient_link(db, env, link_key(db), *id, row.rcpt)
                           : approvals::contact_link(env, link_key(db), *id, row.rcpt);
      if (!mail::fill_slot(row.message, mail::k_link_slot, url.value_or(""))) {
        return std::nullopt;
      }
      if (!url) {
        return std::string("the client's link no longer exists (recipient removed or no [portal] base_url)");
      }
    }
    return std::nullopt;
  };
}

} // namespace practice::app
