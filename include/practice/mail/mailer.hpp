#pragma once

#include "practice/mail/smtp_transport.hpp"

#include "practice/config/config.hpp"
#include "practice/mail/message.hpp"
#include "practice/mail/outbox_store.hpp" // OutboxRow, OutboxState
#include "practice/mail/transport.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// Queuing mail inside a command's transaction (the transactional outbox) and
// building the transport that delivers it.
namespace practice::mail {

struct MailSettings {
  Mailbox from;                              // the firm's name and address
  std::optional<std::string> templates_dir;  // overrides of the built-in templates
  std::optional<std::string> portal_base_url;
  std::string language = "en";               // the firm's: client mail's unless the recipient reads another
};

// The sender comes from the firm record (practice init --email), else from
// the config's [firm]; so does the language (accounts::firm_language).
// Throws ConfigError when there is no address to send from.
MailSettings mail_settings(storage::Database& db, const config::Config& config);

// Who hears of a client's submission or decision: the firm's [firm] notify
// addresses and the staff assigned to the account, each address once.
std::vector<Mailbox> firm_recipients(storage::Database& db, const config::Config& config, int64_t account_id);

struct Outgoing {
  std::string template_name;
  nlohmann::json data; // the template's values; firm_name is added
  Mailbox to;
  std::string language; // the recipient's; empty: the firm's (MailSettings::language)
  std::string kind;
  std::optional<std::string> item;
  std::optional<int64_t> account_id;
  std::string dedupe_key; // empty: unique to this message
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

// Renders and queues one message in the caller's transaction; returns its
// outbox id, or nullopt when a message with the same dedupe key exists.
std::optional<int64_t> queue_mail(storage::Database& db, const MailSettings& settings,
                                  util::TimePoint now, const Outgoing& out);

// Up to `limit` outbox messages, newest first, of one state or (nullopt) of
// all; without their message text (find_outbox_message has it).
std::vector<OutboxRow> list_outbox(storage::Database& db, std::optional<OutboxState> state, int limit);
// The outbox message `id`, or nullopt when there is none.
std::optional<OutboxRow> find_outbox_message(storage::Database& db, int64_t id);

// The transport the config asks for, or nullptr when none is configured
// (mail stays queued). Relative paths are taken from `base_dir`. The SMTP
// password is read here: password_command, password_env or password.
std::unique_ptr<Transport> make_transport(const config::Config& config,
                                          const std::string& base_dir,
                                          const std::string& helo_domain);

// The [smtp] settings of the config, the password read from its source.
SmtpSettings smtp_settings(const config::Config& config, const std::string& helo_domain);

} // namespace practice::mail
