#include "practice/mail/mailer.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/firm_store.hpp"
#include "practice/error.hpp"
#include "practice/mail/file_transport.hpp"
#include "practice/mail/outbox_store.hpp"
#include "practice/mail/smtp_transport.hpp"
#include "practice/mail/templates.hpp"
#include "practice/util/process.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <set>

namespace practice::mail {

MailSettings mail_settings(storage::Database& db, const config::Config& config) {
  MailSettings s;
  const auto firm = accounts::FirmStore(db).get();
  s.from.name = firm ? firm->name : config.firm_name.value_or("");
  if (firm && firm->email) {
    s.from.email = *firm->email;
  } else if (config.firm_email) {
    s.from.email = *config.firm_email;
  } else {
    throw ConfigError("the firm has no email address to send mail from",
                      "run 'practice init --email office@example.com' or set [firm] email");
  }
  if (!config.path.empty()) {
    const auto slash = config.path.find_last_of('/');
    s.templates_dir =
        (slash == std::string::npos ? std::string(".") : config.path.substr(0, slash)) + "/templates";
  }
  s.portal_base_url = config.portal_base_url;
  s.language = accounts::firm_language(firm, config.firm_language);
  return s;
}

std::vector<Mailbox> firm_recipients(storage::Database& db, const config::Config& config, int64_t account_id) {
  std::vector<Mailbox> out;
  std::set<std::string> seen;
  for (const auto& a : config.firm_notify) {
    if (seen.insert(util::to_lower(a)).second) {
      out.push_back({"", a});
    }
  }
  if (const auto account = accounts::AccountStore(db).get(account_id)) {
    for (const auto& st : account->assigned) {
      if (seen.insert(util::to_lower(st.email)).second) {
        out.push_back({st.name, st.email});
      }
    }
  }
  return out;
}

std::optional<int64_t> queue_mail(storage::Database& db, const MailSettings& settings,
                                  util::TimePoint now, const Outgoing& out) {
  nlohmann::json data = out.data;
  data["firm_name"] = settings.from.name.empty() ? settings.from.email : settings.from.name;
  const std::string& language = out.language.empty() ? settings.language : out.language;
  const RenderedText text = render_mail_template(out.template_name, language, data, settings.templates_dir);
  Message m;
  m.language = language;
  m.from = settings.from;
  m.to = out.to;
  m.subject = text.subject;
  m.body = text.body;
  m.message_id = new_message_id(domain_of(settings.from.email));
  m.date = now;
  m.extra_headers = out.extra_headers;
  const std::string rendered = render(m);
  NewMessage row;
  row.dedupe_key = out.dedupe_key.empty() ? "message:" + m.message_id : out.dedupe_key;
  row.kind = out.kind;
  row.item = out.item;
  row.account_id = out.account_id;
  row.rcpt = out.to.email;
  row.message_id = m.message_id;
  row.subject = m.subject;
  row.message = rendered;
  return OutboxStore(db).enqueue(row, now);
}

std::vector<OutboxRow> list_outbox(storage::Database& db, std::optional<OutboxState> state, int limit) {
  return OutboxStore(db).list(state, limit, OutboxStore::Message::left_out);
}

std::optional<OutboxRow> find_outbox_message(storage::Database& db, int64_t id) { return OutboxStore(db).get(id); }

std::unique_ptr<Transport> make_transport(const config::Config& config, const std::string& base_dir,
                                          const std::string& helo_domain) {
  if (!config.mail_transport) {
    return nullptr;
  }
  if (*config.mail_transport == "file") {
    std::string dir = config.mail_dir;
    if (dir.empty() || dir.front() != '/') {
      dir = base_dir + "/" + dir;
    }
    return std::make_unique<FileTransport>(dir);
  }
  return std::make_unique<SmtpTransport>(smtp_settings(config, helo_domain));
}

SmtpSettings smtp_settings(const config::Config& config, const std::string& helo_domain) {
  SmtpSettings s;
  s.url = config.smtp.url;
  s.security = config.smtp.security;
  s.username = config.smtp.username;
  s.ca_file = config.smtp.ca_file;
  s.helo_domain = helo_domain;
  const auto& c = config.smtp;
  s.timeouts.connect = std::chrono::seconds(c.connect_timeout_seconds);
  s.timeouts.greeting = std::chrono::seconds(c.greeting_timeout_seconds);
  s.timeouts.command = std::chrono::seconds(c.command_timeout_seconds);
  s.timeouts.data_start = std::chrono::seconds(c.data_start_timeout_seconds);
  s.timeouts.data_block = std::chrono::seconds(c.data_block_timeout_seconds);
  s.timeouts.final_reply = std::chrono::seconds(c.final_reply_timeout_seconds);
  if (c.timeout_seconds > 0) {
    // The old single setting, when a config still has it: every reply.
    s.timeouts.greeting = s.timeouts.command = s.timeouts.data_start = s.timeouts.final_reply =
        std::chrono::seconds(c.timeout_seconds);
  }
  if (s.username) {
    if (config.smtp.password_command) {
      s.password = util::first_line_of(*config.smtp.password_command, "smtp.password_command",
                                       std::chrono::seconds(10));
    } else if (config.smtp.password_env) {
      const char* v = std::getenv(config.smtp.password_env->c_str());
      if (v == nullptr || *v == '\0') {
        throw ConfigError(fmt::format("smtp.password_env names {}, which is not set",
                                      *config.smtp.password_env));
      }
      s.password = v;
    } else if (config.smtp.password) {
      s.password = config.smtp.password;
    } else {
      throw ConfigError("smtp.username is set but no password source is",
                        "set smtp.password_command or smtp.password_env");
    }
  }
  return s;
}

} // namespace practice::mail
