#include "practice/approvals/approvals.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/permissions.hpp"
#include "practice/audit/people.hpp"
#include "practice/approvals/approval_store.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/mail/slots.hpp"
#include "practice/requests/links.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sys/stat.h>

namespace practice::approvals {

namespace {

using nlohmann::json;

void require_access(accounts::Session& s, int64_t account_id) { accounts::require_account_access(s, account_id); }

void record(accounts::Session& s, std::optional<int64_t> account, const std::string& item, std::string_view action,
            const json& details, const std::optional<audit::Actor>& actor = std::nullopt) {
  audit::AuditLog(s.db).record(s.now, actor.value_or(s.actor), account, item, action, details);
}

std::string item_of(int64_t id) { return fmt::format("approval:{}", id); }

// Queues `template_name` to each contact with notify on; returns the outbox ids.
std::vector<int64_t> mail_contacts(accounts::Session& s, const requests::Env& env, const Approval& a,
                                   const std::string& template_name, const std::optional<std::string>& message,
                                   const std::string& key_part) {
  const auto settings = mail::mail_settings(s.db, env.config);
  std::vector<int64_t> ids;
  for (const auto& c : accounts::ContactStore(s.db).list(a.document.account_id)) {
    if (!c.notify) {
      continue;
    }
    const std::string lang = c.language.value_or(settings.language);
    mail::Outgoing out;
    out.template_name = template_name;
    out.to = {c.name, c.email};
    out.language = lang;
    out.kind = template_name == "approval_requested" ? "approval" : template_name;
    out.item = item_of(a.id);
    out.account_id = a.document.account_id;
    // A resend is intentional every time: no dedupe key (unique per message).
    out.dedupe_key = key_part.empty() ? std::string()
                                      : fmt::format("approval:{}:{}:{}", a.id, key_part, util::to_lower(c.email));
    // The link goes in only at delivery (contact_link): the outbox never holds it.
    const bool linked = env.config.portal_base_url && !env.config.portal_base_url->empty();
    const auto until = linked ? requests::link_until_text(env, lang, s.now) : std::nullopt;
    out.data = {{"recipient_name", c.name},
                {"title", i18n::say(lang, "mail.approval_of", {{"document", a.document.name}})},
                {"document", a.document.name},
                {"description", a.document.description ? json(*a.document.description) : json(nullptr)},
                {"message", message ? json(*message) : json(nullptr)},
                {"sent_on", i18n::format_date(lang, std::chrono::floor<std::chrono::days>(a.requested_at))},
                {"link", linked ? json(mail::k_link_slot) : json(nullptr)},
                {"link_until", until ? json(*until) : json(nullptr)}};
    if (const auto id = mail::queue_mail(s.db, settings, s.now, out)) {
      ids.push_back(*id);
    }
  }
  return ids;
}

std::vector<int64_t> notify_firm(accounts::Session& s, const requests::Env& env, const Approval& a,
                                 const std::string& who) {
  const auto notify = mail::firm_recipients(s.db, env.config, a.document.account_id);
  std::vector<int64_t> ids;
  if (notify.empty()) {
    return ids;
  }
  const auto settings = mail::mail_settings(s.db, env.config);
  const bool ok = a.status == Status::approved;
  for (const auto& to : notify) {
    mail::Outgoing m;
    m.template_name = "approval_decided";
    m.to = to;
    m.language = "en"; // staff read English
    m.kind = "notice";
    m.item = item_of(a.id);
    m.account_id = a.document.account_id;
    m.dedupe_key = fmt::format("approval:{}:decided:{}", a.id, util::to_lower(to.email));
    m.data = {{"decision", ok ? "Approved" : "Disapproved"}, {"decision_lower", ok ? "approved" : "disapproved"},
              {"decided_by", who}, {"document", a.document.name}, {"account", a.document.account_name},
              {"reasons", a.reasons}, {"comment", a.comment ? json(*a.comment) : json(nullptr)},
              {"approval_id", std::to_string(a.id)}};
    if (const auto id = mail::queue_mail(s.db, settings, s.now, m)) {
      ids.push_back(*id);
    }
  }
  return ids;
}

std::pair<audit::Actor, std::string> client_actor(accounts::Session& s, const Approval& a,
                                                  const std::optional<std::string>& by) {
  if (s.client) {
    return {s.actor, s.client->email};
  }
  if (!by) {
    return {s.actor, s.actor.name};
  }
  accounts::ContactStore contacts(s.db);
  const auto c = contacts.get(contacts.resolve(*by, a.document.account_id));
  return {audit::Actor{audit::ActorKind::contact, c->id, c->email}, c->email};
}

// How a client-side decision came in, for its audit row.
void mark_channel(const accounts::Session& s, const std::optional<std::string>& by, json& details) {
  if (s.client) {
    details["via"] = "portal";
  } else if (by) {
    details["entered_by"] = s.actor.name;
  }
}

Approval load(storage::Database& db, int64_t id) {
  auto a = ApprovalStore(db).get_approval(id);
  if (!a) {
    throw NotFound(fmt::format("no approval with id {}", id), "list them with 'practice approval list'");
  }
  return *a;
}

void require_pending(const Approval& a, std::string_view what) {
  if (a.status != Status::pending) {
    throw Conflict(fmt::format("approval {} is {}: {}", a.id, to_string(a.status), what));
  }
}

} // namespace

Folder add_folder(accounts::Session& s, const std::string& name, bool client_can_view) {
  accounts::require_staff_actor(s);
  const std::string n = util::require_line("the folder name", name, 100);
  ApprovalStore store(s.db);
  for (const auto& f : store.list_folders()) {
    if (util::to_lower(f.name) == util::to_lower(n)) {
      throw Conflict(fmt::format("a folder named \"{}\" exists already", n));
    }
  }
  const auto id = store.insert_folder(n, client_can_view, s.now);
  record(s, std::nullopt, fmt::format("folder:{}", id), "created", {{"name", n}, {"client_can_view", client_can_view}});
  return store.resolve_folder(std::to_string(id));
}

Folder edit_folder(accounts::Session& s, const std::string& name, bool client_can_view) {
  accounts::require_staff_actor(s);
  ApprovalStore store(s.db);
  Folder f = store.resolve_folder(name);
  store.set_folder_visibility(f.id, client_can_view);
  record(s, std::nullopt, fmt::format("folder:{}", f.id), "edited", {{"client_can_view", client_can_view}});
  f.client_can_view = client_can_view;
  return f;
}

std::vector<Folder> list_folders(storage::Database& db) { return ApprovalStore(db).list_folders(); }

Folder get_folder(storage::Database& db, std::string_view ref) { return ApprovalStore(db).resolve_folder(ref); }

Document add_document(accounts::Session& s, const requests::Env& env, const std::string& account,
                      const std::string& path, const std::optional<std::string>& folder,
                      const std::optional<std::string>& description) {
  accounts::AccountStore accounts(s.db);
  const auto acc = *accounts.get(accounts.resolve(account));
  require_access(s, acc.id);
  ApprovalStore store(s.db);
  Document d;
  d.account_id = acc.id;
  if (folder) {
    d.folder_id = store.resolve_folder(*folder).id;
  }
  if (description) {
    d.description = util::require_text("the description", *description, 2000);
  }
  const auto stored = storage::FileStore(env.files_root, env.max_file_size).put(s.db, path, s.now);
  d.name = storage::safe_file_name(path);
  d.sha256 = stored.sha256;
  d.size = stored.size;
  d.uploaded_by = audit::People(s.db).person(s.actor);
  d.uploaded_at = s.now;
  d.id = store.insert_document(d);
  record(s, acc.id, fmt::format("document:{}", d.id), "uploaded",
         {{"name", d.name}, {"sha256", d.sha256}, {"size", d.size}});
  return *store.get_document(d.id);
}

Document get_document(storage::Database& db, int64_t id) {
  auto d = ApprovalStore(db).get_document(id);
  if (!d || d->removed_at) {
    throw NotFound(fmt::format("no document with id {}", id), "list them with 'practice doc list'");
  }
  return *d;
}

Document edit_document(accounts::Session& s, int64_t id, const DocumentChanges& in) {
  const Document d = get_document(s.db, id);
  require_access(s, d.account_id);
  ApprovalStore store(s.db);
  Document next = d;
  if (in.folder) {
    if (util::trim(*in.folder).empty()) {
      next.folder_id.reset();
      next.folder_name.reset();
    } else {
      const auto f = store.resolve_folder(*in.folder);
      next.folder_id = f.id;
      next.folder_name = f.name;
    }
    if (next.folder_id != d.folder_id) {
      if (const auto pending = store.pending_for_document(d.id)) {
        throw Conflict(fmt::format("document {} has approval {} pending: its folder stays while the client decides",
                                   d.id, *pending),
                       fmt::format("cancel it first with 'practice approval cancel {}'", *pending));
      }
    }
  }
  if (in.description) {
    next.description = util::trim(*in.description).empty()
                           ? std::nullopt
                           : std::optional<std::string>(util::require_text("the description", *in.description, 2000));
  }
  json changed = json::object();
  const auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
  if (next.folder_id != d.folder_id) {
    changed["folder"] = json::array({opt(d.folder_name), opt(next.folder_name)});
  }
  if (next.description != d.description) {
    changed["description"] = json::array({opt(d.description), opt(next.description)});
  }
  if (changed.empty()) {
    return d;
  }
  store.update_document(next);
  record(s, d.account_id, fmt::format("document:{}", d.id), "edited", {{"changed", changed}});
  return get_document(s.db, d.id);
}

Document remove_document(accounts::Session& s, int64_t id) {
  Document d = get_document(s.db, id);
  require_access(s, d.account_id);
  ApprovalStore store(s.db);
  if (const auto pending = store.pending_for_document(d.id)) {
    throw Conflict(fmt::format("document {} has approval {} pending", d.id, *pending),
                   fmt::format("cancel it first with 'practice approval cancel {}'", *pending));
  }
  store.remove_document(d.id, s.now);
  record(s, d.account_id, fmt::format("document:{}", d.id), "removed", {{"name", d.name}});
  d.removed_at = s.now;
  return d;
}

std::vector<Document> list_documents(storage::Database& db, std::optional<int64_t> account_id,
                                     std::optional<int64_t> folder_id) {
  return ApprovalStore(db).list_documents(account_id, folder_id);
}

int64_t export_document(storage::Database& db, const requests::Env& env, const Document& d, const std::string& to) {
  struct stat st {};
  if (::stat(to.c_str(), &st) == 0) {
    throw Conflict(fmt::format("{} already exists", to), "choose another --to");
  }
  std::ifstream in(document_path(db, env, d), std::ios::binary);
  std::ofstream out(to, std::ios::binary);
  out << in.rdbuf();
  if (!in || !out) {
    throw InvalidInput(fmt::format("cannot write {}", to));
  }
  return d.size;
}

std::string document_path(storage::Database& db, const requests::Env& env, const Document& d) {
  return storage::FileStore(env.files_root, env.max_file_size).local_path(db, d.sha256);
}

std::string document_file_name(const Document& d) { return storage::safe_file_name(d.name); }

Outcome request_approval(accounts::Session& s, const requests::Env& env, int64_t document_id,
                         const std::optional<std::string>& message, const requests::ReminderFlags& reminders) {
  const Document d = get_document(s.db, document_id);
  require_access(s, d.account_id);
  if (!d.client_can_view) {
    throw InvalidInput(
        d.folder_name ? fmt::format("document {} is in the folder \"{}\", which the client cannot view", d.id, *d.folder_name)
                      : fmt::format("document {} is in no folder, so the client cannot view it", d.id),
        d.folder_name ? fmt::format("run 'practice folder edit \"{}\" --client-can-view on'", *d.folder_name)
                      : std::string("add it again with --folder set to a folder the client can view"));
  }
  ApprovalStore store(s.db);
  if (const auto pending = store.pending_for_document(d.id)) {
    throw Conflict(fmt::format("approval {} for document {} is pending already", *pending, d.id),
                   fmt::format("resend it with 'practice approval resend {}'", *pending));
  }
  bool any = false;
  for (const auto& c : accounts::ContactStore(s.db).list(d.account_id)) {
    any = any || c.notify;
  }
  if (!any) {
    throw InvalidInput(fmt::format("account \"{}\" has no contact with notify on to ask", d.account_name));
  }
  Approval a;
  a.document = d;
  a.status = Status::pending;
  if (message) {
    a.message = util::require_text("the message", *message, 10000);
  }
  a.reminders = {true, env.config.reminders.every_days, env.config.reminders.count};
  if (reminders.every_days) {
    a.reminders.every_days = *reminders.every_days;
  }
  if (reminders.count) {
    a.reminders.count = *reminders.count;
  }
  a.reminders.on = !reminders.off;
  if (a.reminders.every_days < 1 || a.reminders.every_days > 365 || a.reminders.count < 0 || a.reminders.count > 100) {
    throw InvalidInput("reminders: every 1 to 365 days, 0 to 100 of them");
  }
  a.requested_by = audit::People(s.db).person(s.actor);
  a.requested_at = s.now;
  a.last_notified_at = s.now;
  a.id = store.insert_approval(a);
  Outcome out;
  out.outbox_ids = mail_contacts(s, env, a, "approval_requested", a.message, "requested");
  record(s, d.account_id, item_of(a.id), "requested", {{"document", d.id}, {"name", d.name}});
  out.approvals.push_back(load(s.db, a.id));
  return out;
}

Outcome approve(accounts::Session& s, const requests::Env& env, int64_t id, const std::optional<std::string>& by) {
  Approval a = load(s.db, id);
  accounts::require_item_access(s, a.document.account_id);
  require_pending(a, "only a pending approval can be decided");
  const auto [actor, who] = client_actor(s, a, by);
  a.status = Status::approved;
  a.decided_by = audit::People(s.db).person(actor);
  a.decided_at = s.now;
  ApprovalStore(s.db).update_approval(a);
  json details = json::object();
  mark_channel(s, by, details);
  record(s, a.document.account_id, item_of(a.id), "approved", details, actor);
  Outcome out;
  out.outbox_ids = notify_firm(s, env, a, who);
  out.approvals.push_back(a);
  return out;
}

Outcome disapprove(accounts::Session& s, const requests::Env& env, int64_t id, const std::vector<std::string>& reasons,
                   const std::optional<std::string>& comment, const std::optional<std::string>& by) {
  Approval a = load(s.db, id);
  accounts::require_item_access(s, a.document.account_id);
  require_pending(a, "only a pending approval can be decided");
  if (reasons.empty()) {
    throw InvalidInput("a disapproval needs at least one --reason");
  }
  std::vector<std::string> clean;
  for (const auto& r : reasons) {
    clean.push_back(util::require_text("a reason", r, 2000));
  }
  const auto [actor, who] = client_actor(s, a, by);
  a.status = Status::disapproved;
  a.reasons = clean;
  if (comment) {
    a.comment = util::require_text("the comment", *comment, 10000);
  }
  a.decided_by = audit::People(s.db).person(actor);
  a.decided_at = s.now;
  ApprovalStore(s.db).update_approval(a);
  json details = {{"reasons", clean}};
  mark_channel(s, by, details);
  record(s, a.document.account_id, item_of(a.id), "disapproved", details, actor);
  Outcome out;
  out.outbox_ids = notify_firm(s, env, a, who);
  out.approvals.push_back(a);
  return out;
}

Approval cancel(accounts::Session& s, int64_t id) {
  Approval a = load(s.db, id);
  require_access(s, a.document.account_id);
  require_pending(a, "only a pending approval can be cancelled");
  a.status = Status::cancelled;
  a.cancelled_at = s.now;
  ApprovalStore(s.db).update_approval(a);
  record(s, a.document.account_id, item_of(a.id), "cancelled", json::object());
  return a;
}

Outcome resend(accounts::Session& s, const requests::Env& env, const std::optional<int64_t>& id,
               const std::optional<std::string>& account, const std::optional<std::string>& message) {
  ApprovalStore store(s.db);
  std::vector<Approval> chosen;
  if (id) {
    Approval a = load(s.db, *id);
    require_pending(a, "only a pending approval can be resent");
    chosen.push_back(a);
  } else {
    ApprovalFilter f;
    f.status = Status::pending;
    if (account) {
      f.account_id = accounts::AccountStore(s.db).resolve(*account);
    }
    chosen = store.list_approvals(f);
  }
  std::optional<std::string> clean;
  if (message) {
    clean = util::require_text("the message", *message, 10000);
  }
  Outcome out;
  for (auto& a : chosen) {
    require_access(s, a.document.account_id);
    a.last_notified_at = s.now; // to the top of the client's to-do; reminders count from here
    store.update_approval(a);
    const auto ids = mail_contacts(s, env, a, "resend", clean ? clean : a.message, "");
    out.outbox_ids.insert(out.outbox_ids.end(), ids.begin(), ids.end());
    record(s, a.document.account_id, item_of(a.id), "resent",
           {{"message", clean ? json(*clean) : json(nullptr)}, {"emails", ids.size()}});
    out.approvals.push_back(a);
  }
  return out;
}

Approval get_approval(storage::Database& db, int64_t id) { return load(db, id); }

std::vector<Approval> list_approvals(storage::Database& db, const ApprovalFilter& f) {
  return ApprovalStore(db).list_approvals(f);
}

void each_approval(storage::Database& db, const ApprovalFilter& f, const std::function<void(const Approval&)>& fn) {
  ApprovalStore(db).each_approval(f, fn);
}

std::unordered_set<int64_t> accounts_with_pending_approvals(storage::Database& db) {
  return ApprovalStore(db).accounts_with_pending();
}

std::optional<std::string> contact_link(const requests::Env& env, const std::string& key, int64_t id,
                                        const std::string& email) {
  return requests::portal_url(env, "a", requests::approval_link_token(key, id, email));
}

std::optional<LinkTarget> open_link(storage::Database& db, const requests::Env& env, const std::string& token,
                                    util::TimePoint now, requests::LinkUse use) {
  if (token.size() < 67 || token[0] != 'a') {
    return std::nullopt;
  }
  const auto dot = token.find('.');
  if (dot == std::string::npos || token.size() - dot - 1 != 64) {
    return std::nullopt;
  }
  const auto id = util::parse_int(token.substr(1, dot - 1));
  if (!id) {
    return std::nullopt;
  }
  const auto a = ApprovalStore(db).get_approval(*id);
  // A removed document is shown to nobody: its link is dead like any other.
  if (!a || a->document.removed_at ||
      !(a->status == Status::pending || (use == requests::LinkUse::view && a->status != Status::cancelled))) {
    return std::nullopt;
  }
  if (env.config.portal_link_expiry_days > 0 && a->last_notified_at &&
      now > *a->last_notified_at + std::chrono::days(env.config.portal_link_expiry_days)) {
    return std::nullopt;
  }
  const std::string key = requests::link_key(db, env);
  for (const auto& c : accounts::ContactStore(db).list(a->document.account_id)) {
    if (requests::same_token(token, requests::approval_link_token(key, a->id, c.email))) {
      return LinkTarget{*a, c};
    }
  }
  return std::nullopt;
}

std::vector<int64_t> notify_contacts(accounts::Session& s, const requests::Env& env, const Approval& a,
                                     const std::string& template_name, const std::string& dedupe_part,
                                     const std::optional<std::string>& message) {
  return mail_contacts(s, env, a, template_name, message ? message : a.message, dedupe_part);
}

} // namespace practice::approvals
