#include "practice/app/portal_access.hpp"

#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/firm_store.hpp"
#include "practice/reminders/reminders.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/app/portal_store.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/requests/links.hpp"
#include "practice/util/random.hpp"
#include "practice/util/sha256.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <openssl/crypto.h>

namespace practice::app {

namespace {

using nlohmann::json;

std::string item_of(int64_t contact_id) { return fmt::format("contact:{}", contact_id); }

void record(accounts::Session& s, const accounts::Contact& c, std::string_view action, json details) {
  details["via"] = "portal";
  audit::AuditLog(s.db).record(s.now, audit::Actor{audit::ActorKind::contact, c.id, c.email}, c.account_id,
                               item_of(c.id), action, details);
}

} // namespace

std::string derive_code(const std::string& key, int64_t id, const std::string& nonce) {
  const std::string mac = util::hmac_sha256_hex(key, fmt::format("portal-code:{}:{}", id, nonce));
  // 48 bits of the MAC, reduced to six digits: a bias below one in 10^8.
  const uint64_t n = std::stoull(mac.substr(0, 12), nullptr, 16);
  return fmt::format("{:06}", n % 1000000);
}

std::optional<std::string> portal_code_nonce(storage::Database& db, int64_t id, util::TimePoint now) {
  const auto code = PortalStore(db).get_code(id);
  if (!code || code->state != "open" || code->tries_left <= 0 || now >= code->expires_at) {
    return std::nullopt;
  }
  return code->nonce;
}

bool code_pending(storage::Database& db, const std::string& email, util::TimePoint now) {
  const auto code = PortalStore(db).latest_code(email);
  return code && code->state == "open" && now < code->expires_at && code->tries_left > 0;
}

CodeIssued issue_code(accounts::Session& s, const requests::Env& env, const accounts::Contact& contact,
                      const std::string& title) {
  PortalStore store(s.db);
  CodeIssued out;
  if (const auto last = store.latest_code(contact.email); last && s.now < last->created_at + k_code_interval) {
    out.retry_after = std::chrono::duration_cast<std::chrono::seconds>(last->created_at + k_code_interval - s.now);
    if (out.retry_after < std::chrono::seconds(1)) {
      out.retry_after = std::chrono::seconds(1);
    }
    return out;
  }
  store.replace_open_codes(contact.email);
  const std::string nonce = util::to_hex(util::random_bytes(16));
  const int64_t id =
      store.insert_code(contact.email, contact.id, contact.account_id, nonce, s.now, s.now + k_code_lifetime, k_code_tries);
  const auto settings = mail::mail_settings(s.db, env.config);
  mail::Outgoing m;
  m.template_name = "portal_code";
  m.to = {contact.name, contact.email};
  m.language = contact.language.value_or(settings.language);
  m.kind = "portal_code";
  m.item = fmt::format("portal_code:{}", id);
  m.account_id = contact.account_id;
  m.dedupe_key = fmt::format("portal_code:{}", id);
  m.data = {{"recipient_name", contact.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(contact.name)},
            {"title", title},
            {"code", std::string(k_code_slot)},
            {"minutes", std::to_string(k_code_lifetime.count())},
            {"minutes_text", i18n::say_count(m.language, "count.minutes", k_code_lifetime.count())}};
  out.outbox_id = mail::queue_mail(s.db, settings, s.now, m);
  record(s, contact, "code_sent", {{"code", id}});
  return out;
}

CodeCheck check_code(accounts::Session& s, const requests::Env& env, const accounts::Contact& contact,
                     const std::string& typed) {
  PortalStore store(s.db);
  const auto code = store.latest_code(contact.email);
  if (!code || code->state != "open" || code->contact_id != contact.id || s.now >= code->expires_at ||
      code->tries_left <= 0) {
    return {CodeCheck::Result::none, 0};
  }
  const std::string key = requests::link_key(s.db, env);
  const std::string expected = derive_code(key, code->id, code->nonce);
  std::string digits;
  for (const char c : typed) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '-') {
      digits = "x";
      break;
    }
  }
  if (digits.size() == expected.size() && CRYPTO_memcmp(digits.data(), expected.data(), expected.size()) == 0) {
    store.set_code_state(code->id, code->tries_left, "used");
    record(s, contact, "signed_in", {{"code", code->id}});
    return {CodeCheck::Result::ok, code->tries_left};
  }
  const int left = code->tries_left - 1;
  store.set_code_state(code->id, left, left == 0 ? "exhausted" : "open");
  record(s, contact, "code_wrong", {{"code", code->id}, {"tries_left", left}});
  return {left == 0 ? CodeCheck::Result::none : CodeCheck::Result::wrong, left};
}

std::string start_session(accounts::Session& s, const accounts::Contact& contact) {
  const std::string id = util::to_hex(util::random_bytes(32));
  PortalStore(s.db).insert_session(util::sha256_hex(id), contact.id, contact.account_id, s.now);
  return id;
}

std::optional<PortalSession> find_session(storage::Database& db, const std::string& id, util::TimePoint now) {
  if (id.size() != 64) {
    return std::nullopt;
  }
  const auto row = PortalStore(db).get_session(util::sha256_hex(id));
  if (!row || row->ended_at || now >= row->last_seen_at + k_session_idle) {
    return std::nullopt;
  }
  const auto contact = accounts::ContactStore(db).get(row->contact_id);
  if (!contact || !contact->portal || contact->account_id != row->account_id) {
    return std::nullopt;
  }
  return PortalSession{row->id_hash, row->contact_id, row->account_id, row->last_seen_at};
}

void touch_session(storage::Database& db, const PortalSession& session, util::TimePoint now) {
  if (now >= session.last_seen + std::chrono::minutes(1)) {
    PortalStore(db).touch_session(session.id_hash, now);
  }
}

void end_session(accounts::Session& s, const std::string& id) {
  PortalStore(s.db).end_session(util::sha256_hex(id), s.now);
}

FirmFace firm_face(storage::Database& db, const config::Config& config) {
  const auto firm = accounts::FirmStore(db).get();
  FirmFace out;
  out.language = accounts::firm_language(firm, config.firm_language);
  if (firm && !firm->name.empty()) {
    out.name = firm->name;
  } else {
    out.name = config.firm_name ? *config.firm_name : i18n::text(out.language, "portal.your_accountant");
  }
  return out;
}

std::optional<accounts::Contact> find_contact(storage::Database& db, int64_t id) {
  return accounts::ContactStore(db).get(id);
}

std::vector<TodoItem> client_todo(storage::Database& db, const std::string& key, const accounts::Contact& contact) {
  std::vector<TodoItem> out;
  for (const auto& e : reminders::todo(db, contact.account_id)) {
    if (e.kind == "request") {
      const auto r = requests::RequestStore(db).get(e.id);
      if (!r) {
        continue;
      }
      for (const auto& rc : r->recipients) {
        if (rc.contact_id == contact.id) {
          out.push_back({e.kind, e.title, requests::link_token(key, r->id, rc.id, rc.email, rc.generation),
                         e.last_notified});
        }
      }
    } else if (contact.notify) {
      out.push_back({e.kind, e.title, requests::approval_link_token(key, e.id, contact.email), e.last_notified});
    }
  }
  return out;
}

std::string csrf_token(const std::string& key, std::string_view binding) {
  return util::hmac_sha256_hex(key, fmt::format("portal-csrf:{}", binding)).substr(0, 40);
}

} // namespace practice::app
