#include "practice/accounts/directory.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/firm_store.hpp"
#include "practice/accounts/permissions.hpp"
#include "practice/accounts/staff_store.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace practice::accounts {

namespace {

using nlohmann::json;

std::string item(std::string_view kind, int64_t id) { return fmt::format("{}:{}", kind, id); }

void record(Session& s, std::optional<int64_t> account_id, const std::string& it,
            std::string_view action, const json& details) {
  audit::AuditLog(s.db).record(s.now, s.actor, account_id, it, action, details);
}

// Adds {"field": [old, new]} to `changed` when the value changes.
template <typename T>
void note_change(json& changed, std::string_view field, const T& old_value, const T& new_value) {
  if (old_value != new_value) {
    changed[std::string(field)] = json::array({old_value, new_value});
  }
}

std::string check_language(std::string_view value) { return i18n::require_language(value); }

void require_staff_manager(const Session& s, Role target_role) {
  require_staff_actor(s);
  if (s.staff && !may_manage_staff(*s.staff, target_role)) {
    throw PermissionDenied(
        fmt::format("{} ({}) may not manage {} staff members", s.staff->email,
                    to_string(s.staff->role), to_string(target_role)),
        target_role == Role::owner ? "ask an owner" : "ask an owner or an admin");
  }
}

void require_account_access(Session& s, const Account& a) { accounts::require_account_access(s, a.id); }

void require_not_archived(const Account& a) {
  if (a.archived_at) {
    throw Conflict(fmt::format("account \"{}\" is archived", a.name),
                   fmt::format("restore it first with 'practice account unarchive {}'", a.id));
  }
}

std::string check_name(std::string_view what, std::string_view value) {
  return util::require_line(what, value, 200);
}

void require_free_staff_email(StaffStore& store, const std::string& email,
                              std::optional<int64_t> except) {
  if (const auto other = store.find_by_email(email); other && other->id != except) {
    throw Conflict(fmt::format("staff member {} already has the email {}", other->id, email));
  }
}

} // namespace

InitResult init_firm(Session& s, const std::optional<std::string>& name,
                     const std::optional<std::string>& email) {
  // Anyone may set up a new firm (no staff exist yet), but never a client.
  if (s.client) {
    throw PermissionDenied("a client cannot do this");
  }
  FirmStore store(s.db);
  const auto existing = store.get();
  std::optional<std::string> clean_name;
  std::optional<std::string> clean_email;
  if (name) {
    clean_name = check_name("the firm name", *name);
  }
  if (email) {
    clean_email = util::require_email("the firm email", *email);
  }
  if (existing) {
    InitResult r{*existing, false, {}};
    if (clean_name && *clean_name != existing->name) {
      r.ignored.emplace_back("name");
    }
    if (clean_email && clean_email != existing->email) {
      r.ignored.emplace_back("email");
    }
    return r;
  }
  Firm firm{clean_name.value_or("My firm"), clean_email, s.now, std::nullopt};
  store.put(firm);
  record(s, std::nullopt, "firm:1", "created",
         {{"name", firm.name}, {"email", firm.email ? json(*firm.email) : json(nullptr)}});
  return {firm, true, {}};
}

Firm get_firm(storage::Database& db) {
  auto firm = FirmStore(db).get();
  if (!firm) {
    throw NotFound("the firm has no record yet", "run 'practice init --firm NAME --email ADDRESS'");
  }
  return std::move(*firm);
}

Firm edit_firm(Session& s, const FirmChanges& in) {
  require_staff_actor(s);
  if (s.staff && !may_edit_firm(*s.staff)) {
    throw PermissionDenied(fmt::format("{} ({}) may not change the firm's record", s.staff->email,
                                       to_string(s.staff->role)),
                           "ask an owner or an admin");
  }
  const Firm firm = get_firm(s.db);
  Firm next = firm;
  if (in.name) {
    next.name = check_name("the firm name", *in.name);
  }
  if (in.email) {
    next.email = util::require_email("the firm email", *in.email);
  }
  if (in.language) {
    next.language = util::trim(*in.language).empty() ? std::nullopt
                                                     : std::optional<std::string>(check_language(*in.language));
  }
  const auto opt_json = [](const std::optional<std::string>& e) { return e ? json(*e) : json(nullptr); };
  json changed = json::object();
  note_change(changed, "name", firm.name, next.name);
  note_change(changed, "email", opt_json(firm.email), opt_json(next.email));
  note_change(changed, "language", opt_json(firm.language), opt_json(next.language));
  if (changed.empty()) {
    return firm;
  }
  FirmStore(s.db).put(next);
  record(s, std::nullopt, "firm:1", "edited", {{"changed", changed}});
  return next;
}

Staff add_staff(Session& s, const NewStaff& in) {
  StaffStore store(s.db);
  Staff st;
  st.name = check_name("the staff member's name", in.name);
  st.email = util::require_email("the staff member's email", in.email);
  const bool first = store.count_active() == 0;
  st.role = in.role.value_or(first ? Role::owner : Role::member);
  st.view_all_accounts = in.view_all_accounts;
  st.created_at = s.now;
  require_staff_manager(s, st.role);
  require_free_staff_email(store, st.email, std::nullopt);
  if (first && st.role != Role::owner) {
    throw InvalidInput("the first staff member must be an owner",
                       "leave out --role, or use --role owner");
  }
  st.id = store.insert(st);
  record(s, std::nullopt, item("staff", st.id), "created",
         {{"name", st.name},
          {"email", st.email},
          {"role", to_string(st.role)},
          {"view_all_accounts", st.view_all_accounts}});
  return st;
}

Staff edit_staff(Session& s, std::string_view ref, const StaffChanges& in) {
  StaffStore store(s.db);
  Staff st = store.resolve(ref);
  Staff next = st;
  if (in.name) {
    next.name = check_name("the staff member's name", *in.name);
  }
  if (in.email) {
    next.email = util::require_email("the staff member's email", *in.email);
    require_free_staff_email(store, next.email, st.id);
  }
  if (in.role) {
    next.role = *in.role;
  }
  if (in.view_all_accounts) {
    next.view_all_accounts = *in.view_all_accounts;
  }
  require_staff_manager(s, st.role);
  require_staff_manager(s, next.role);
  if (st.role == Role::owner && next.role != Role::owner && store.count_active_owners() == 1) {
    throw Conflict(fmt::format("{} is the last owner", st.email),
                   "make another staff member an owner first");
  }
  json changed = json::object();
  note_change(changed, "name", st.name, next.name);
  note_change(changed, "email", st.email, next.email);
  note_change(changed, "role", std::string(to_string(st.role)), std::string(to_string(next.role)));
  note_change(changed, "view_all_accounts", st.view_all_accounts, next.view_all_accounts);
  if (changed.empty()) {
    return st;
  }
  store.update(next);
  record(s, std::nullopt, item("staff", st.id), "edited", {{"changed", changed}});
  return next;
}

Staff remove_staff(Session& s, std::string_view ref) {
  StaffStore store(s.db);
  Staff st = store.resolve(ref);
  require_staff_manager(s, st.role);
  if (st.role == Role::owner && store.count_active_owners() == 1) {
    throw Conflict(fmt::format("{} is the last owner and cannot be removed", st.email),
                   "make another staff member an owner first");
  }
  st.removed_at = s.now;
  store.update(st);
  record(s, std::nullopt, item("staff", st.id), "removed", {{"email", st.email}});
  return st;
}

Account add_account(Session& s, std::string_view name, AccountType type, Duplicate duplicate) {
  Account a;
  a.name = check_name("the account name", name);
  a.type = type;
  a.created_at = s.now;
  require_staff_actor(s);
  AccountStore store(s.db);
  if (duplicate == Duplicate::refuse) {
    if (const auto same = store.active_named(a.name)) {
      throw Conflict(fmt::format("account {} is already named \"{}\"", same->id, same->name),
                     fmt::format("use account {}, or add --allow-duplicate for a second client of that name",
                                 same->id));
    }
  }
  a.id = store.insert(a);
  record(s, a.id, item("account", a.id), "created",
         {{"name", a.name}, {"type", to_string(a.type)}});
  // A member who adds a client works on it: assign them so they may change it later.
  if (s.staff && !may_work_on_account(*s.staff, false)) {
    store.assign(a.id, s.staff->id, s.now);
    record(s, a.id, item("account", a.id), "assigned", {{"staff", s.staff->email}});
  }
  return *store.get(a.id);
}

Account edit_account(Session& s, std::string_view ref, const AccountChanges& in) {
  AccountStore store(s.db);
  Account a = *store.get(store.resolve(ref));
  Account next = a;
  if (in.name) {
    next.name = check_name("the account name", *in.name);
    // As add does: a name another active account has would make every
    // reference by that name ambiguous.
    if (const auto same = store.active_named(next.name); same && same->id != a.id && !a.archived_at) {
      throw Conflict(fmt::format("account {} is already named \"{}\"", same->id, same->name),
                     "choose a name no active account has (account show lists them)");
    }
  }
  if (in.type) {
    next.type = *in.type;
  }
  if (in.pause_reminders) {
    next.reminders_paused = *in.pause_reminders;
    next.reminders_paused_until = *in.pause_reminders ? in.paused_until : std::nullopt;
  }
  require_account_access(s, a);
  json changed = json::object();
  note_change(changed, "name", a.name, next.name);
  note_change(changed, "type", std::string(to_string(a.type)), std::string(to_string(next.type)));
  note_change(changed, "reminders_paused", a.reminders_paused, next.reminders_paused);
  note_change(changed, "reminders_paused_until", util::format_iso(a.reminders_paused_until).value_or(""),
              util::format_iso(next.reminders_paused_until).value_or(""));
  if (changed.empty()) {
    return a;
  }
  store.update(next);
  record(s, a.id, item("account", a.id), "edited", {{"changed", changed}});
  return next;
}

Account archive_account(Session& s, std::string_view ref, Archive what) {
  AccountStore store(s.db);
  Account a = *store.get(store.resolve(ref));
  require_account_access(s, a);
  if (what == Archive::archive && a.archived_at) {
    throw Conflict(fmt::format("account \"{}\" is already archived", a.name));
  }
  if (what == Archive::restore && !a.archived_at) {
    throw Conflict(fmt::format("account \"{}\" is not archived", a.name));
  }
  if (what == Archive::restore) {
    if (const auto same = store.active_named(a.name)) {
      throw Conflict(fmt::format("account {} is already named \"{}\"; unarchived, account {} would share its name",
                                 same->id, same->name, a.id),
                     fmt::format("rename one first, e.g. 'practice account edit {} --name NEW'", a.id));
    }
  }
  a.archived_at = what == Archive::archive ? std::optional(s.now) : std::nullopt;
  store.update(a);
  record(s, a.id, item("account", a.id), what == Archive::archive ? "archived" : "unarchived",
         json::object());
  return a;
}

Account assign_staff(Session& s, std::string_view account_ref, std::string_view staff_ref,
                     Assign what) {
  AccountStore accounts(s.db);
  const Account a = *accounts.get(accounts.resolve(account_ref));
  const Staff st = StaffStore(s.db).resolve(staff_ref);
  require_staff_actor(s);
  if (s.staff && !may_assign_staff(*s.staff)) {
    throw PermissionDenied(fmt::format("{} ({}) may not assign staff to accounts", s.staff->email,
                                       to_string(s.staff->role)),
                           "ask an owner or an admin");
  }
  const bool assigned = accounts.is_assigned(a.id, st.id);
  if (what == Assign::assign) {
    require_not_archived(a);
    if (assigned) {
      throw Conflict(fmt::format("{} is already assigned to account \"{}\"", st.email, a.name));
    }
    accounts.assign(a.id, st.id, s.now);
  } else {
    if (!assigned) {
      throw Conflict(fmt::format("{} is not assigned to account \"{}\"", st.email, a.name));
    }
    accounts.unassign(a.id, st.id);
  }
  record(s, a.id, item("account", a.id), what == Assign::assign ? "assigned" : "unassigned",
         {{"staff", st.email}, {"staff_id", st.id}});
  return *accounts.get(a.id);
}

Contact add_contact(Session& s, const NewContact& in) {
  AccountStore accounts(s.db);
  const Account a = *accounts.get(accounts.resolve(in.account));
  Contact c;
  c.account_id = a.id;
  c.account_name = a.name;
  c.name = check_name("the contact's name", in.name);
  c.email = util::require_email("the contact's email", in.email);
  c.notify = in.notify;
  c.portal = in.portal;
  c.language = in.language ? std::optional<std::string>(check_language(*in.language)) : std::nullopt;
  c.created_at = s.now;
  require_account_access(s, a);
  require_not_archived(a);
  ContactStore store(s.db);
  if (const auto other = store.find_by_email(a.id, c.email)) {
    throw Conflict(fmt::format("account \"{}\" already has a contact with the email {} (contact {})",
                               a.name, c.email, other->id));
  }
  c.id = store.insert(c);
  record(s, a.id, item("contact", c.id), "created",
         {{"name", c.name}, {"email", c.email}, {"notify", c.notify}, {"portal", c.portal},
          {"language", c.language ? json(*c.language) : json(nullptr)}});
  return c;
}

Contact edit_contact(Session& s, std::string_view ref, const std::optional<std::string>& account,
                     const ContactChanges& in) {
  Contact c = get_contact(s.db, ref, account);
  Contact next = c;
  if (in.name) {
    next.name = check_name("the contact's name", *in.name);
  }
  if (in.email) {
    next.email = util::require_email("the contact's email", *in.email);
  }
  if (in.notify) {
    next.notify = *in.notify;
  }
  if (in.portal) {
    next.portal = *in.portal;
  }
  if (in.language) {
    next.language = util::trim(*in.language).empty() ? std::nullopt
                                                     : std::optional<std::string>(check_language(*in.language));
  }
  AccountStore accounts(s.db);
  require_account_access(s, *accounts.get(c.account_id));
  ContactStore store(s.db);
  if (const auto other = store.find_by_email(c.account_id, next.email); other && other->id != c.id) {
    throw Conflict(fmt::format("account \"{}\" already has a contact with the email {} (contact {})",
                               c.account_name, next.email, other->id));
  }
  json changed = json::object();
  note_change(changed, "name", c.name, next.name);
  note_change(changed, "email", c.email, next.email);
  note_change(changed, "notify", c.notify, next.notify);
  note_change(changed, "portal", c.portal, next.portal);
  const auto language_json = [](const std::optional<std::string>& l) { return l ? json(*l) : json(nullptr); };
  note_change(changed, "language", language_json(c.language), language_json(next.language));
  if (changed.empty()) {
    return c;
  }
  store.update(next);
  record(s, c.account_id, item("contact", c.id), "edited", {{"changed", changed}});
  return next;
}

Contact remove_contact(Session& s, std::string_view ref, const std::optional<std::string>& account) {
  Contact c = get_contact(s.db, ref, account);
  AccountStore accounts(s.db);
  require_account_access(s, *accounts.get(c.account_id));
  ContactStore(s.db).remove(c.id, s.now);
  record(s, c.account_id, item("contact", c.id), "removed", {{"email", c.email}});
  return c;
}

Account get_account(storage::Database& db, std::string_view ref) {
  AccountStore store(db);
  return *store.get(store.resolve(ref));
}

Staff get_staff(storage::Database& db, std::string_view ref) { return StaffStore(db).resolve(ref); }

Contact get_contact(storage::Database& db, std::string_view ref,
                    const std::optional<std::string>& account) {
  std::optional<int64_t> account_id;
  if (account) {
    account_id = AccountStore(db).resolve(*account);
  }
  ContactStore store(db);
  return *store.get(store.resolve(ref, account_id));
}

int64_t resolve_account(storage::Database& db, std::string_view ref) { return AccountStore(db).resolve(ref); }

std::vector<Account> list_accounts(storage::Database& db, const AccountFilter& filter) {
  return AccountStore(db).list(filter);
}

void each_account(storage::Database& db, const AccountFilter& filter,
                  const std::function<void(const Account&)>& fn) {
  AccountStore(db).each(filter, fn);
}

std::vector<Contact> list_contacts(storage::Database& db, std::optional<int64_t> account_id) {
  return ContactStore(db).list(account_id);
}

std::vector<Staff> list_staff(storage::Database& db, IncludeRemoved include) { return StaffStore(db).list(include); }

std::vector<Ref> assigned_accounts(storage::Database& db, int64_t staff_id) {
  return StaffStore(db).assigned_accounts(staff_id);
}

} // namespace practice::accounts
