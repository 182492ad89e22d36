#include "practice/app/workspace.hpp"

#include "practice/app/portal_access.hpp"
#include "practice/error.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/reminders/reminders.hpp"
#include "practice/requests/links.hpp"
#include "practice/util/file_lock.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

namespace practice::app {

namespace {

std::string folder_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

} // namespace

Workspace::Workspace(storage::Database& db, const config::Config& config, const util::Clock& clock,
                     std::string db_path, std::string base_dir)
    : m_db(db), m_config(config), m_clock(clock), m_db_path(std::move(db_path)), m_base_dir(std::move(base_dir)),
      m_env{config, m_db_path + ".key", folder_of(m_db_path) + "/files",
            int64_t{config.files_max_size_mb} * 1024 * 1024} {}

std::optional<mail::DeliveryReport> Workspace::deliver(const std::optional<std::vector<int64_t>>& ids, int limit) {
  const mail::MailSettings settings = read([&](storage::Database& db) { return mail::mail_settings(db, m_config); });
  auto transport = mail::make_transport(m_config, m_base_dir, mail::domain_of(settings.from.email));
  if (!transport) {
    throw ConfigError("no mail transport is configured, so mail stays queued",
                      "set [mail] transport = \"smtp\" (with [smtp] url) or \"file\" in config.toml");
  }
  // One delivery run at a time; the leases would keep two apart anyway, this
  // saves them the work.
  auto lock = util::FileLock::try_lock(m_db_path + ".lock");
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
  return mail::deliver(m_db, m_clock, *transport, settings.from.email, options, prepare_outgoing(m_env));
}

mail::StillApplies prepare_outgoing(const requests::Env& env) {
  auto reminders_apply = reminders::still_applies();
  return [reminders_apply, key_path = env.link_key_path](storage::Database& db,
                                                         mail::OutboxRow& row) -> std::optional<std::string> {
    if (row.kind == "portal_code" && row.item) {
      const auto id = util::parse_int(row.item->substr(row.item->find(':') + 1));
      const auto slot = row.message.find(k_code_slot);
      const auto nonce = id ? portal_code_nonce(db, *id) : std::nullopt;
      if (!nonce || slot == std::string::npos) {
        return std::string("its code no longer exists");
      }
      row.message.replace(slot, k_code_slot.size(),
                          derive_code(requests::load_or_create_link_key(key_path), *id, *nonce));
      return std::nullopt;
    }
    return reminders_apply(db, row);
  };
}

} // namespace practice::app
