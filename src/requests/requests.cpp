#include "practice/requests/requests.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/permissions.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/audit/people.hpp"
#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/mail/slots.hpp"
#include "practice/requests/link_key_store.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sys/stat.h>

namespace practice::requests {

namespace {

using nlohmann::json;

std::string item_of(int64_t id) { return fmt::format("request:{}", id); }

void record(accounts::Session& s, const Request& r, std::string_view action, const json& details,
            const std::optional<audit::Actor>& actor = std::nullopt) {
  audit::AuditLog(s.db).record(s.now, actor.value_or(s.actor), r.account_id, item_of(r.id), action,
                               details);
}

void require_access(accounts::Session& s, int64_t account_id) { accounts::require_account_access(s, account_id); }

Request load(storage::Database& db, int64_t id) {
  auto r = RequestStore(db).get(id);
  if (!r) {
    throw NotFound(fmt::format("no request with id {}", id), "list them with 'practice request list'");
  }
  return *r;
}

[[noreturn]] void refuse(const Request& r, std::string_view what) {
  throw Conflict(fmt::format("request {} is {}: {}", r.id, to_string(r.status), what));
}

Reminders apply_flags(Reminders base, const ReminderFlags& f) {
  if (f.every_days) {
    if (*f.every_days < 1 || *f.every_days > 365) {
      throw InvalidInput("--remind-every takes a number of days from 1 to 365");
    }
    base.every_days = *f.every_days;
  }
  if (f.count) {
    if (*f.count < 0 || *f.count > 100) {
      throw InvalidInput("--reminders takes a count from 0 to 100");
    }
    base.count = *f.count;
  }
  if (f.off) {
    base.on = false;
  }
  return base;
}

// Turns --to values into recipients: an account contact (by email or name)
// or any valid address, "Name <address>" too (a third party, who reads
// `language`, or the firm's); no --to means the contacts with notify on.
std::vector<Recipient> resolve_recipients(storage::Database& db, int64_t account_id,
                                          const std::vector<std::string>& to, bool login,
                                          const std::optional<std::string>& language) {
  accounts::ContactStore contacts(db);
  std::vector<Recipient> out;
  std::set<std::string> seen;
  const auto add = [&](Recipient r) {
    if (seen.insert(util::to_lower(r.email)).second) {
      out.push_back(std::move(r));
    }
  };
  const auto find_contact = [&](std::string_view ref) -> std::optional<accounts::Contact> {
    try {
      return contacts.get(contacts.resolve(ref, account_id));
    } catch (const NotFound&) {
      return std::nullopt;
    }
  };
  // One rule on every path: a request that needs a login goes only to
  // contacts who can sign in (portal access); anyone else could never open it.
  if (to.empty()) {
    for (const auto& c : contacts.list(account_id)) {
      if (c.notify && (!login || c.portal)) {
        add({0, c.id, c.name, c.email, 1, c.language});
      }
    }
    return out;
  }
  for (const auto& t : to) {
    std::optional<util::NamedEmail> named;
    std::optional<accounts::Contact> contact = find_contact(t);
    if (!contact) {
      named = util::require_named_email("--to", t);
      contact = find_contact(named->email);
    }
    if (contact) {
      if (login && !contact->portal) {
        throw InvalidInput(fmt::format("{} has no portal access, and only contacts with portal access can "
                                       "answer a request that needs a login",
                                       contact->email),
                           fmt::format("give them access with 'practice contact edit {} --portal on', or add "
                                       "--no-login to let anyone with the link answer",
                                       contact->email));
      }
      add({0, contact->id, contact->name, contact->email, 1, contact->language});
      continue;
    }
    if (login) {
      throw InvalidInput(fmt::format("{} is not a contact of this account, and only contacts with "
                                     "portal access can answer a request that needs a login",
                                     named->email),
                         "add --no-login to let anyone with the link answer");
    }
    add({0, std::nullopt, named->name, named->email, 1, language});
  }
  return out;
}

// A --language is for third parties (contacts read their own): refused when no recipient is one.
void check_language_use(const std::optional<std::string>& language, const std::vector<Recipient>& recipients,
                        const std::string& account) {
  if (!language) {
    return;
  }
  if (std::none_of(recipients.begin(), recipients.end(), [](const Recipient& r) { return !r.contact_id; })) {
    throw InvalidInput(fmt::format("--language is for recipients who are not contacts, and every recipient is a "
                                   "contact of \"{}\"",
                                   account),
                       "a contact reads their own language: 'practice contact edit CONTACT --language L'");
  }
}

std::optional<std::string> check_language(const std::optional<std::string>& language) {
  return language ? std::optional<std::string>(i18n::require_language(*language)) : std::nullopt;
}

std::optional<std::string> link_url(const Env& env, const std::string& token) { return portal_url(env, "r", token); }

// Queues the request's email to each recipient, in the language they read;
// returns the outbox ids.
std::vector<int64_t> queue_request_mail(accounts::Session& s, const Env& env, const Request& r,
                                        const std::string& template_name, const std::string& key_part,
                                        const std::optional<std::string>& message = std::nullopt) {
  const auto settings = mail::mail_settings(s.db, env.config);
  // The link itself goes in only at delivery (recipient_link): the outbox never holds it.
  const bool linked = env.config.portal_base_url && !env.config.portal_base_url->empty();
  std::vector<int64_t> ids;
  for (const auto& rc : r.recipients) {
    const std::string lang = rc.language.value_or(settings.language);
    json questions = json::array();
    for (const auto& q : r.questions) {
      // Without a portal link the client answers by reply: they need the choices.
      std::string options;
      if (q.type == QuestionType::yesno) {
        options = i18n::text(lang, "mail.request_sent.yes_no");
      }
      for (const auto& o : q.options) {
        options += (options.empty() ? "" : " / ") + o;
      }
      questions.push_back({{"number", std::to_string(q.position)},
                           {"prompt", q.prompt},
                           {"required", q.required},
                           {"options", options.empty() ? json(nullptr) : json(options)},
                           {"file", q.type == QuestionType::file}});
    }
    const auto until = linked ? link_until_text(env, lang, s.now) : std::nullopt;
    mail::Outgoing out;
    out.template_name = template_name;
    out.to = {rc.name, rc.email};
    out.language = lang;
    out.kind = template_name == "request_sent" ? "request" : template_name;
    out.item = item_of(r.id);
    out.account_id = r.account_id;
    out.dedupe_key = key_part.empty() ? std::string()
                                      : fmt::format("request:{}:{}:{}", r.id, key_part, util::to_lower(rc.email));
    out.data = {{"recipient_name", rc.name.empty() ? json(nullptr) : json(rc.name)},
                {"on_behalf_of", rc.contact_id ? json(nullptr) : json(r.account_name)},
                {"title", r.title},
                {"message", message ? json(*message) : (r.message ? json(*r.message) : json(nullptr))},
                {"question_count", std::to_string(r.questions.size())},
                {"question_count_text",
                 i18n::say_count(lang, "count.questions", static_cast<int64_t>(r.questions.size()))},
                {"questions", questions},
                {"sent_on", r.sent_at ? json(i18n::format_date(lang, std::chrono::floor<std::chrono::days>(*r.sent_at)))
                                      : json(nullptr)},
                {"link", linked ? json(mail::k_link_slot) : json(nullptr)},
                {"link_until", until ? json(*until) : json(nullptr)}};
    if (const auto id = mail::queue_mail(s.db, settings, s.now, out)) {
      ids.push_back(*id);
    }
  }
  return ids;
}

Outcome do_send(accounts::Session& s, const Env& env, Request r) {
  if (r.questions.empty()) {
    throw InvalidInput(fmt::format("request {} has no questions to send", r.id),
                       fmt::format("add one with 'practice request question add {} --type text --prompt ...'", r.id));
  }
  if (r.recipients.empty()) {
    throw InvalidInput(fmt::format("request {} has no recipients: account \"{}\" has no contacts "
                                   "with notify on{}",
                                   r.id, r.account_name, r.login ? " and portal access" : ""),
                       r.login ? "give a contact portal access with 'practice contact edit CONTACT --portal on', "
                                 "or send it with --no-login"
                               : "give --to CONTACT_OR_EMAIL");
  }
  r.status = Status::pending;
  r.sent_at = s.now;
  r.last_notified_at = s.now;
  r.last_activity_at = s.now;
  RequestStore(s.db).update(r);
  Outcome out;
  out.outbox_ids = queue_request_mail(s, env, r, "request_sent", "sent");
  json to = json::array();
  for (const auto& rc : r.recipients) {
    to.push_back(rc.email);
  }
  record(s, r, "sent", {{"to", to}});
  out.requests.push_back(std::move(r));
  return out;
}

// Who a client-side action is recorded under: a client in the portal acts as
// themselves; with --by, the recipient it was entered for (the staff member is
// kept in the details); else the staff.
std::pair<audit::Actor, std::string> client_actor(accounts::Session& s, const Request& r,
                                                  const std::optional<std::string>& by) {
  if (s.client) {
    const bool recipient = std::any_of(r.recipients.begin(), r.recipients.end(), [&](const Recipient& rc) {
      return util::to_lower(rc.email) == util::to_lower(s.client->email);
    });
    if (!recipient) {
      throw PermissionDenied(fmt::format("{} is not a recipient of request {}", s.client->email, r.id));
    }
    return {s.actor, s.client->email};
  }
  if (!by) {
    return {s.actor, s.actor.name};
  }
  const std::string wanted = util::to_lower(util::trim(*by));
  for (const auto& rc : r.recipients) {
    if (util::to_lower(rc.email) == wanted || util::to_lower(rc.name) == wanted) {
      return {audit::Actor{rc.contact_id ? audit::ActorKind::contact : audit::ActorKind::third_party,
                           rc.contact_id, rc.email},
              rc.email};
    }
  }
  if (!r.login) {
    const std::string email = util::require_email("--by", *by);
    return {audit::Actor{audit::ActorKind::third_party, std::nullopt, email}, email};
  }
  throw InvalidInput(fmt::format("\"{}\" is not a recipient of request {}", *by, r.id),
                     "use a recipient's email or name as 'request show' lists them");
}

// How a client-side action came in, for its audit row.
void mark_channel(const accounts::Session& s, const std::optional<std::string>& by, json& details) {
  if (s.client) {
    details["via"] = "portal";
  } else if (by) {
    details["entered_by"] = s.actor.name;
  }
}

// The question at `position`, or NotFound.
const Question& question_at(const Request& r, int position) {
  if (position < 1 || position > static_cast<int>(r.questions.size())) {
    throw NotFound(fmt::format("request {} has no question {}", r.id, position),
                   fmt::format("see the questions with 'practice request show {}'", r.id));
  }
  return r.questions[static_cast<size_t>(position - 1)];
}

Request load_for_answers(accounts::Session& s, int64_t id) {
  Request r = load(s.db, id);
  accounts::require_item_access(s, r.account_id);
  if (!accepts_answers(r.status)) {
    refuse(r, r.status == Status::draft ? "send it before recording answers" : "it takes no more answers");
  }
  return r;
}

} // namespace

Request get_request(storage::Database& db, int64_t id) { return load(db, id); }

std::vector<Request> list_requests(storage::Database& db, const RequestFilter& f) { return RequestStore(db).list(f); }

void each_request(storage::Database& db, const RequestFilter& f, const std::function<void(const Request&)>& fn) {
  RequestStore(db).each(f, fn);
}

std::pair<int64_t, Definition> get_template(storage::Database& db, std::string_view name_or_id) {
  auto found = RequestStore(db).find_template_with_id(name_or_id);
  if (!found) {
    throw NotFound(fmt::format("no request template named \"{}\"", name_or_id),
                   "list them with 'practice template list'");
  }
  return std::move(*found);
}

std::vector<std::pair<int64_t, Definition>> list_templates(storage::Database& db) {
  return RequestStore(db).list_templates();
}

int64_t add_template(accounts::Session& s, const Definition& d) {
  accounts::require_staff_actor(s);
  RequestStore store(s.db);
  if (store.find_template(d.name)) {
    throw Conflict(fmt::format("a request template named \"{}\" exists already", d.name),
                   fmt::format("remove it first with 'practice template remove \"{}\"'", d.name));
  }
  const auto id = store.insert_template(d, s.now);
  audit::AuditLog(s.db).record(s.now, s.actor, std::nullopt, fmt::format("template:{}", id), "created",
                               {{"name", d.name}});
  return id;
}

std::optional<std::string> portal_url(const Env& env, std::string_view kind, const std::string& token) {
  if (!env.config.portal_base_url || env.config.portal_base_url->empty()) {
    return std::nullopt;
  }
  std::string base = *env.config.portal_base_url;
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return fmt::format("{}/{}/{}", base, kind, token);
}

std::optional<std::string> link_until_text(const Env& env, std::string_view lang, util::TimePoint now) {
  if (env.config.portal_link_expiry_days <= 0) {
    return std::nullopt;
  }
  // The link dies that many days after this email, at this time of day: the
  // day before is the last one it works all day.
  const auto dies = std::chrono::floor<std::chrono::days>(now + std::chrono::days(env.config.portal_link_expiry_days));
  return i18n::format_date(lang, dies - std::chrono::days(1));
}

std::optional<std::string> recipient_link(storage::Database& db, const Env& env, const std::string& key, int64_t id,
                                          const std::string& email) {
  const auto rc = RequestStore(db).find_recipient(id, email);
  if (!rc) {
    return std::nullopt;
  }
  return link_url(env, link_token(key, id, rc->id, rc->email, rc->generation));
}

std::vector<int64_t> notify_recipients(accounts::Session& s, const Env& env, const Request& r,
                                       const std::string& template_name, const std::string& dedupe_part,
                                       const std::optional<std::string>& message) {
  return queue_request_mail(s, env, r, template_name, dedupe_part, message);
}

Outcome resend(accounts::Session& s, const Env& env, int64_t id, const std::optional<std::string>& message) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (!links_active(r.status)) {
    refuse(r, "only a pending or in-progress request can be resent");
  }
  std::optional<std::string> clean;
  if (message) {
    clean = util::require_text("the message", *message, 10000);
  }
  r.last_notified_at = s.now;
  r.last_activity_at = s.now;
  RequestStore(s.db).update(r);
  Outcome out;
  out.outbox_ids = queue_request_mail(s, env, r, "resend", "", clean ? clean : r.message);
  record(s, r, "resent", {{"message", clean ? json(*clean) : json(nullptr)}, {"emails", out.outbox_ids.size()}});
  out.requests.push_back(load(s.db, id));
  return out;
}

Outcome create_requests(accounts::Session& s, const Env& env, const NewRequest& in) {
  if (in.accounts.empty()) {
    throw UsageError("give --account");
  }
  if (in.template_name && in.definition) {
    throw UsageError("give --template or --file, not both");
  }
  RequestStore store(s.db);
  std::optional<Definition> def = in.definition;
  if (in.template_name) {
    def = store.find_template(*in.template_name);
    if (!def) {
      throw NotFound(fmt::format("no request template named \"{}\"", *in.template_name),
                     "list them with 'practice template list'");
    }
  }
  if (!def && !in.title) {
    throw UsageError("give --title (or --template or --file)");
  }
  Reminders base{true, env.config.reminders.every_days, env.config.reminders.count};
  if (def && def->reminders) {
    base = *def->reminders;
  }
  const Reminders reminders = apply_flags(base, in.reminders);
  const std::string title = util::require_line("the title", in.title ? *in.title : def->title, 200);
  std::optional<std::string> message = def ? def->message : std::nullopt;
  if (in.message) {
    message = util::require_text("the message", *in.message, 10000);
  }
  const bool login = in.no_login ? false : (def ? def->login : true);
  const auto language = check_language(in.language);
  accounts::AccountStore accounts(s.db);
  Outcome out;
  for (const auto& ref : in.accounts) {
    const auto account = *accounts.get(accounts.resolve(ref));
    require_access(s, account.id);
    if (account.archived_at) {
      throw Conflict(fmt::format("account \"{}\" is archived", account.name));
    }
    Request r;
    r.account_id = account.id;
    r.account_name = account.name;
    r.template_name = in.template_name ? std::optional(def->name) : std::nullopt;
    r.title = title;
    r.message = message;
    r.login = login;
    r.status = Status::draft;
    r.reminders = reminders;
    r.created_by = audit::People(s.db).person(s.actor);
    r.created_at = s.now;
    r.last_activity_at = s.now;
    r.id = store.insert(r);
    if (def) {
      for (const auto& q : def->questions) {
        store.insert_question(r.id, q);
      }
    }
    const auto recipients = resolve_recipients(s.db, account.id, in.to, login, language);
    check_language_use(language, recipients, account.name);
    store.set_recipients(r.id, recipients);
    record(s, r, "created",
           {{"title", r.title}, {"template", r.template_name ? json(*r.template_name) : json(nullptr)}});
    Request full = load(s.db, r.id);
    if (in.draft) {
      out.requests.push_back(std::move(full));
      continue;
    }
    // Not do_send's refusal: that names this request, which the rollback of
    // this error takes away again. The hint names only what will exist.
    if (full.questions.empty()) {
      throw InvalidInput("a request needs at least one question before it is sent",
                         "create it with --draft, add questions with 'practice request question add ID "
                         "--type text --prompt ...', then send it with 'practice request send ID'; "
                         "or start from --template NAME or --file FILE.toml");
    }
    auto sent = do_send(s, env, std::move(full));
    out.requests.push_back(std::move(sent.requests.front()));
    out.outbox_ids.insert(out.outbox_ids.end(), sent.outbox_ids.begin(), sent.outbox_ids.end());
  }
  return out;
}

Outcome send_request(accounts::Session& s, const Env& env, int64_t id) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (r.status != Status::draft) {
    refuse(r, "only a draft can be sent; to send it again use 'practice request resend'");
  }
  return do_send(s, env, std::move(r));
}

Request edit_request(accounts::Session& s, const Env& /*env*/, int64_t id, const RequestChanges& in) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (r.status == Status::submitted || r.status == Status::completed || r.status == Status::cancelled) {
    refuse(r, "it can no longer be edited");
  }
  const bool frozen = !questions_editable(r.status);
  if (frozen && (in.title || in.message || in.to || in.login)) {
    refuse(r, "the client has started answering, so only reminder settings and job links can change");
  }
  json changed = json::object();
  if (in.title) {
    r.title = util::require_line("the title", *in.title, 200);
    changed["title"] = r.title;
  }
  if (in.message) {
    r.message = util::require_text("the message", *in.message, 10000);
    changed["message"] = *r.message;
  }
  if (in.login) {
    r.login = *in.login;
    changed["login"] = r.login;
  }
  const Reminders before = r.reminders;
  r.reminders = apply_flags(r.reminders, in.reminders);
  if (in.reminders_on) {
    r.reminders.on = true;
  }
  if (r.reminders.on != before.on || r.reminders.every_days != before.every_days ||
      r.reminders.count != before.count) {
    changed["reminders"] = {{"on", r.reminders.on}, {"every_days", r.reminders.every_days},
                            {"count", r.reminders.count}};
  }
  RequestStore store(s.db);
  const auto language = check_language(in.language);
  if (in.to || in.login) {
    const auto recipients = resolve_recipients(
        s.db, r.account_id,
        in.to ? *in.to : std::vector<std::string>{}, r.login, language);
    if (in.to) {
      check_language_use(language, recipients, r.account_name);
      store.set_recipients(r.id, recipients);
      json to = json::array();
      for (const auto& rc : recipients) {
        to.push_back(rc.email);
      }
      changed["to"] = to;
    }
  }
  if (language && !in.to) {
    // Only who reads it changes: the recipients (and their links) stay.
    check_language_use(language, r.recipients, r.account_name);
    for (const auto& rc : r.recipients) {
      if (!rc.contact_id && rc.language != language) {
        store.set_recipient_language(rc.id, language);
        changed["language"] = *language;
      }
    }
  }
  if (changed.empty()) {
    return r;
  }
  r.last_activity_at = s.now;
  store.update(r);
  record(s, r, "edited", {{"changed", changed}});
  return load(s.db, id);
}

Request add_question(accounts::Session& s, int64_t id, Question q) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (!questions_editable(r.status)) {
    refuse(r, "questions are frozen once the client has started");
  }
  q.position = static_cast<int>(r.questions.size()) + 1;
  validate_question(q);
  q.prompt = std::string(util::trim(q.prompt));
  RequestStore(s.db).insert_question(r.id, q);
  record(s, r, "question_added", {{"position", q.position}, {"type", to_string(q.type)}, {"prompt", q.prompt}});
  return load(s.db, id);
}

Request edit_question(accounts::Session& s, int64_t id, int position, const QuestionChanges& in) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (!questions_editable(r.status)) {
    refuse(r, "questions are frozen once the client has started");
  }
  if (position < 1 || position > static_cast<int>(r.questions.size())) {
    throw NotFound(fmt::format("request {} has no question {}", r.id, position));
  }
  Question q = r.questions[static_cast<size_t>(position - 1)];
  if (in.prompt) {
    q.prompt = *in.prompt;
  }
  if (in.options) {
    q.options = *in.options;
  }
  if (in.required) {
    q.required = *in.required;
  }
  validate_question(q);
  RequestStore(s.db).update_question(q);
  record(s, r, "question_edited", {{"position", position}});
  return load(s.db, id);
}

Request remove_question(accounts::Session& s, int64_t id, int position) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (!questions_editable(r.status)) {
    refuse(r, "questions are frozen once the client has started");
  }
  if (position < 1 || position > static_cast<int>(r.questions.size())) {
    throw NotFound(fmt::format("request {} has no question {}", r.id, position));
  }
  RequestStore(s.db).delete_question(r.id, position);
  record(s, r, "question_removed", {{"position", position}});
  return load(s.db, id);
}

Request answer(accounts::Session& s, const Env& env, int64_t id, const AnswerInput& in) {
  Request r = load_for_answers(s, id);
  const Question& q = question_at(r, in.position);
  const auto [actor, by] = client_actor(s, r, in.by);
  RequestStore store(s.db);
  json details = {{"question", q.position}};
  if (q.type == QuestionType::file) {
    if (in.files.empty() || !in.values.empty()) {
      throw InvalidInput(fmt::format("question {} asks for a file", q.position), "answer it with --file PATH");
    }
    storage::FileStore files(env.files_root, env.max_file_size);
    json names = json::array();
    for (size_t i = 0; i < in.files.size(); ++i) {
      const auto stored = files.put(s.db, in.files[i], s.now);
      const std::string name = storage::safe_file_name(i < in.file_names.size() ? in.file_names[i] : in.files[i]);
      store.add_answer_file(q.id, stored.sha256, name, stored.size, s.now);
      names.push_back({{"name", name}, {"sha256", stored.sha256}, {"size", stored.size}});
    }
    store.save_answer(q.id, json::array().dump(), actor, s.now);
    details["files"] = names;
  } else {
    if (!in.files.empty()) {
      throw InvalidInput(fmt::format("question {} is a {} question, not a file", q.position, to_string(q.type)));
    }
    const std::string value = normalize_answer(q, in.values);
    store.save_answer(q.id, value, actor, s.now);
    details["value"] = json::parse(value);
  }
  mark_channel(s, in.by, details);
  const Status before = r.status;
  r.status = Status::in_progress;
  r.last_activity_at = s.now;
  store.update(r);
  if (before == Status::pending) {
    json started = json::object();
    mark_channel(s, in.by, started);
    record(s, r, "started", started, actor);
  }
  record(s, r, "answered", details, actor);
  return load(s.db, id);
}

Request clear_answer(accounts::Session& s, int64_t id, int position) {
  Request r = load_for_answers(s, id);
  const Question& q = question_at(r, position);
  if (!r.answers[static_cast<size_t>(position - 1)]) {
    return r;
  }
  const auto [actor, by] = client_actor(s, r, std::nullopt);
  RequestStore store(s.db);
  store.delete_answer(q.id);
  r.last_activity_at = s.now;
  store.update(r);
  json details = {{"question", q.position}};
  mark_channel(s, std::nullopt, details);
  record(s, r, "answer_cleared", details, actor);
  return load(s.db, id);
}

Request remove_answer_file(accounts::Session& s, int64_t id, int position, int64_t file_id) {
  Request r = load_for_answers(s, id);
  const Question& q = question_at(r, position);
  const auto& a = r.answers[static_cast<size_t>(position - 1)];
  const auto file = a ? std::find_if(a->files.begin(), a->files.end(), [&](const auto& f) { return f.id == file_id; })
                      : std::vector<AttachedFile>::const_iterator{};
  if (!a || file == a->files.end()) {
    throw NotFound(fmt::format("question {} of request {} has no file {}", position, r.id, file_id));
  }
  const auto [actor, by] = client_actor(s, r, std::nullopt);
  RequestStore store(s.db);
  json details = {{"question", q.position}, {"file", {{"name", file->name}, {"sha256", file->sha256}}}};
  if (a->files.size() == 1) {
    store.delete_answer(q.id);
  } else {
    store.remove_answer_file(q.id, file_id);
  }
  r.last_activity_at = s.now;
  store.update(r);
  mark_channel(s, std::nullopt, details);
  record(s, r, "file_removed", details, actor);
  return load(s.db, id);
}

Outcome submit(accounts::Session& s, const Env& env, int64_t id, const std::optional<std::string>& by) {
  Request r = load(s.db, id);
  accounts::require_item_access(s, r.account_id);
  if (!accepts_answers(r.status)) {
    refuse(r, "only a pending or in-progress request can be submitted");
  }
  const auto missing = missing_required(r.questions, r.answers);
  if (!missing.empty()) {
    std::string list;
    for (const int m : missing) {
      list += fmt::format("{}{} (\"{}\")", list.empty() ? "" : ", ", m,
                          r.questions[static_cast<size_t>(m - 1)].prompt);
    }
    throw InvalidInput(fmt::format("request {} cannot be submitted: required question{} {} {} no answer",
                                   r.id, missing.size() == 1 ? "" : "s", list,
                                   missing.size() == 1 ? "has" : "have"));
  }
  const auto [actor, who] = client_actor(s, r, by);
  r.status = Status::submitted;
  r.submitted_at = s.now;
  r.last_activity_at = s.now;
  RequestStore(s.db).update(r);
  json details = json::object();
  mark_channel(s, by, details);
  record(s, r, "submitted", details, actor);
  // Tell the firm: its notify addresses and the staff assigned to the account.
  const auto notify = mail::firm_recipients(s.db, env.config, r.account_id);
  Outcome out;
  if (!notify.empty()) {
    const auto settings = mail::mail_settings(s.db, env.config);
    json answers = json::array();
    for (size_t i = 0; i < r.questions.size(); ++i) {
      std::string text = "-";
      if (r.answers[i]) {
        const json v = json::parse(r.answers[i]->value);
        if (r.questions[i].type == QuestionType::file) {
          text.clear();
          for (const auto& f : r.answers[i]->files) {
            text += (text.empty() ? "" : ", ") + f.name;
          }
        } else if (v.is_array()) {
          text.clear();
          for (const auto& x : v) {
            text += (text.empty() ? "" : ", ") + x.get<std::string>();
          }
        } else {
          text = v.get<std::string>();
        }
      }
      answers.push_back({{"number", std::to_string(i + 1)}, {"prompt", r.questions[i].prompt}, {"answer", text}});
    }
    for (const auto& to : notify) {
      mail::Outgoing m;
      m.template_name = "request_submitted";
      m.to = to;
      m.language = "en"; // staff read English
      m.kind = "notice";
      m.item = item_of(r.id);
      m.account_id = r.account_id;
      m.dedupe_key = fmt::format("request:{}:submitted:{}", r.id, util::to_lower(to.email));
      m.data = {{"title", r.title}, {"account", r.account_name}, {"submitted_by", who},
                {"answers", answers}, {"request_id", std::to_string(r.id)}};
      if (const auto qid = mail::queue_mail(s.db, settings, s.now, m)) {
        out.outbox_ids.push_back(*qid);
      }
    }
  }
  out.requests.push_back(load(s.db, id));
  return out;
}

Request complete(accounts::Session& s, int64_t id) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (r.status != Status::pending && r.status != Status::in_progress && r.status != Status::submitted) {
    refuse(r, "only a pending, in-progress or submitted request can be completed");
  }
  r.status = Status::completed;
  r.completed_at = s.now;
  r.last_activity_at = s.now;
  RequestStore(s.db).update(r);
  record(s, r, "completed", json::object());
  return r;
}

Request cancel(accounts::Session& s, int64_t id, const std::optional<std::string>& reason) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  if (r.status == Status::submitted || r.status == Status::completed || r.status == Status::cancelled) {
    refuse(r, "only a request that is not done can be cancelled");
  }
  r.status = Status::cancelled;
  r.cancelled_at = s.now;
  if (reason) {
    r.cancel_reason = util::require_text("the reason", *reason, 2000);
  }
  r.last_activity_at = s.now;
  RequestStore(s.db).update(r);
  record(s, r, "cancelled", {{"reason", r.cancel_reason ? json(*r.cancel_reason) : json(nullptr)}});
  return r;
}

Request relink(accounts::Session& s, int64_t id, const std::optional<std::string>& to) {
  Request r = load(s.db, id);
  require_access(s, r.account_id);
  RequestStore store(s.db);
  json who = json::array();
  for (const auto& rc : r.recipients) {
    if (!to || util::to_lower(rc.email) == util::to_lower(util::trim(*to)) ||
        util::to_lower(rc.name) == util::to_lower(util::trim(*to))) {
      store.bump_generation(rc.id);
      who.push_back(rc.email);
    }
  }
  if (who.empty()) {
    throw NotFound(fmt::format("\"{}\" is not a recipient of request {}", to.value_or(""), r.id));
  }
  record(s, r, "relinked", {{"to", who}});
  return load(s.db, id);
}

std::vector<Link> links(storage::Database& db, const Env& env, const Request& r) {
  const std::string key = link_key(db, env);
  std::vector<Link> out;
  for (const auto& rc : r.recipients) {
    const std::string token = link_token(key, r.id, rc.id, rc.email, rc.generation);
    out.push_back({rc.email, token, link_url(env, token), links_active(r.status)});
  }
  return out;
}

void require_link_key_path(const std::string& path) {
  if (path.empty()) {
    throw ConfigError("a firm on PostgreSQL needs [database] key_file in the config: the link key is never kept "
                      "in the database",
                      "set key_file to the same key file on every machine ('practice init' makes it)");
  }
}

void check_link_key(const std::string& key, const std::string& fingerprint, const std::string& path) {
  if (!same_token(link_key_fingerprint(key), fingerprint)) {
    throw ConfigError(fmt::format("the link key {} is not this firm's (its fingerprint differs from the one the "
                                  "database keeps): copy the firm's key file there from the machine that holds it",
                                  path));
  }
}

std::string link_key(storage::Database& db, const Env& env) {
  if (env.link_key) {
    return *env.link_key;
  }
  require_link_key_path(env.link_key_path);
  LinkKeyStore store(db);
  if (const auto fingerprint = store.fingerprint()) {
    // The firm has a key: a new one here would break every link already sent.
    const auto key = read_link_key(env.link_key_path);
    if (!key) {
      throw ConfigError(fmt::format("the link key {} is missing: copy it (0600) from the machine that holds the "
                                    "firm's key; a new key would break every link already sent",
                                    env.link_key_path));
    }
    check_link_key(*key, *fingerprint, env.link_key_path);
    return *key;
  }
  // The firm's first key, or one made before fingerprints were kept.
  const std::string key = load_or_create_link_key(env.link_key_path);
  check_link_key(key, store.record(link_key_fingerprint(key)), env.link_key_path);
  return key;
}

std::optional<LinkTarget> open_link(storage::Database& db, const Env& env, const std::string& token,
                                    util::TimePoint now, LinkUse use) {
  const auto parts = parse_token(token);
  if (!parts) {
    return std::nullopt;
  }
  const auto r = RequestStore(db).get(parts->request_id);
  const auto viewable = [](Status st) { return st == Status::submitted || st == Status::completed; };
  if (!r || !(links_active(r->status) || (use == LinkUse::view && viewable(r->status)))) {
    return std::nullopt;
  }
  const std::string key = link_key(db, env);
  for (const auto& rc : r->recipients) {
    if (rc.id != parts->recipient_id) {
      continue;
    }
    if (!same_token(token, link_token(key, r->id, rc.id, rc.email, rc.generation))) {
      return std::nullopt;
    }
    if (env.config.portal_link_expiry_days > 0 && r->last_notified_at &&
        now > *r->last_notified_at + std::chrono::days(env.config.portal_link_expiry_days)) {
      return std::nullopt;
    }
    return LinkTarget{*r, rc};
  }
  return std::nullopt;
}

std::vector<std::string> export_request(storage::Database& db, const Env& env, const Request& r,
                                        const std::string& dir) {
  // A new folder, or an empty one made for it (mktemp -d): never over files.
  storage::prepare_export_dir(dir);
  storage::FileStore files(env.files_root, env.max_file_size);
  std::vector<std::string> written;
  json questions = json::array();
  for (size_t i = 0; i < r.questions.size(); ++i) {
    const auto& q = r.questions[i];
    json entry = {{"number", q.position}, {"type", to_string(q.type)}, {"prompt", q.prompt},
                  {"required", q.required}, {"answer", nullptr}, {"files", json::array()}};
    if (r.answers[i]) {
      entry["answer"] = json::parse(r.answers[i]->value);
      entry["answered_by"] = audit::person_json(r.answers[i]->answered_by);
      entry["answered_by_kind"] = audit::to_string(r.answers[i]->answered_by.actor.kind);
      entry["answered_at"] = util::format_iso(r.answers[i]->answered_at);
      for (const auto& f : r.answers[i]->files) {
        const std::string name = fmt::format("{}-{}-{}", q.position, f.id, storage::safe_file_name(f.name));
        std::ifstream in(files.local_path(db, f.sha256), std::ios::binary);
        std::ofstream out(dir + "/" + name, std::ios::binary);
        out << in.rdbuf();
        if (!in || !out) {
          throw InvalidInput(fmt::format("cannot copy {} out of the file store", f.name));
        }
        written.push_back(dir + "/" + name);
        entry["files"].push_back({{"name", f.name}, {"file", name}, {"sha256", f.sha256}, {"size", f.size}});
      }
      if (q.type == QuestionType::file) {
        entry["answer"] = entry["files"]; // a file question's answer is its files
      }
    }
    questions.push_back(entry);
  }
  const json doc = {{"id", r.id}, {"account", r.account_name}, {"title", r.title},
                    {"status", to_string(r.status)}, {"questions", questions}};
  std::ofstream out(dir + "/answers.json", std::ios::binary);
  out << doc.dump(2) << "\n";
  written.push_back(dir + "/answers.json");
  return written;
}

} // namespace practice::requests
