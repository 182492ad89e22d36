#pragma once

#include "practice/accounts/account_store.hpp" // AccountFilter
#include "practice/accounts/model.hpp"
#include "practice/accounts/session.hpp"
#include "practice/accounts/staff_store.hpp" // IncludeRemoved

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The firm's people and clients: every change validates its input, checks the
// actor may make it, saves it and writes its audit row. Call inside the
// command's write transaction; on any throw, nothing of it must be committed.
namespace practice::accounts {

struct InitResult {
  Firm firm;
  bool created = false;             // false: the firm existed already
  std::vector<std::string> ignored; // given but left as they were: "name", "email"
};
// Records the firm when it has none yet (name defaults to "My firm"). An
// existing firm is never changed, whatever is given (edit_firm changes it):
// the fields given that differ from its record are listed in `ignored`.
// Throws InvalidInput for an invalid name or email either way.
InitResult init_firm(Session& s, const std::optional<std::string>& name,
                     const std::optional<std::string>& email);

// The firm's record; throws NotFound before init wrote it.
Firm get_firm(storage::Database& db);

struct FirmChanges {
  std::optional<std::string> name;
  std::optional<std::string> email;    // the From: of the firm's mail
  std::optional<std::string> language; // its clients' language; "" goes back to the config's
};
// Changes the firm's name, email or language, audited (firm:1 "edited") with what
// changed; nothing changed, nothing audited. Owners and admins only: throws
// PermissionDenied for anyone else, InvalidInput for an invalid value.
Firm edit_firm(Session& s, const FirmChanges& in);

struct NewStaff {
  std::string name;
  std::string email;
  std::optional<Role> role; // default: owner for the first staff member, member after
  bool view_all_accounts = false;
};
Staff add_staff(Session& s, const NewStaff& in);

struct StaffChanges {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<Role> role;
  std::optional<bool> view_all_accounts;
};
Staff edit_staff(Session& s, std::string_view ref, const StaffChanges& in);
// Removes a staff member (kept for the records that name them); the last owner
// cannot be removed.
Staff remove_staff(Session& s, std::string_view ref);

enum class Duplicate { refuse, allow };
// Throws Conflict, naming it, when an active account has the name already
// (case-insensitive) and `duplicate` is refuse; archived ones do not count.
Account add_account(Session& s, std::string_view name, AccountType type, Duplicate duplicate = Duplicate::refuse);

struct AccountChanges {
  std::optional<std::string> name;
  std::optional<AccountType> type;
  std::optional<bool> pause_reminders;            // true: pause, false: resume
  std::optional<util::TimePoint> paused_until;    // with pause
};
Account edit_account(Session& s, std::string_view ref, const AccountChanges& in);

enum class Archive { archive, restore };
Account archive_account(Session& s, std::string_view ref, Archive what);

enum class Assign { assign, unassign };
Account assign_staff(Session& s, std::string_view account_ref, std::string_view staff_ref,
                     Assign what);

struct NewContact {
  std::string account;
  std::string name;
  std::string email;
  bool notify = true;
  bool portal = false;
  std::optional<std::string> language; // a client language code; nullopt: the firm's
};
Contact add_contact(Session& s, const NewContact& in);

struct ContactChanges {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<bool> notify;
  std::optional<bool> portal;
  std::optional<std::string> language; // "" goes back to the firm's
};
// `account` narrows the lookup of `ref` to one account's contacts.
Contact edit_contact(Session& s, std::string_view ref, const std::optional<std::string>& account,
                     const ContactChanges& in);
Contact remove_contact(Session& s, std::string_view ref, const std::optional<std::string>& account);

// Read helpers that resolve references the same way the changes do.
Account get_account(storage::Database& db, std::string_view ref);
Staff get_staff(storage::Database& db, std::string_view ref);
Contact get_contact(storage::Database& db, std::string_view ref,
                    const std::optional<std::string>& account);

// The id of the account `ref` names (an id or exact name, case-insensitive),
// without loading it; throws NotFound.
int64_t resolve_account(storage::Database& db, std::string_view ref);
// The accounts `filter` keeps, with contact counts and assigned staff, by name.
std::vector<Account> list_accounts(storage::Database& db, const AccountFilter& filter);
// The same accounts in the same order, passed to `fn` one at a time as they
// are read: a listing of many thousands is never held whole.
void each_account(storage::Database& db, const AccountFilter& filter,
                  const std::function<void(const Account&)>& fn);
// Active contacts, of one account or (nullopt) of all.
std::vector<Contact> list_contacts(storage::Database& db, std::optional<int64_t> account_id);
// The staff, with the removed ones too when `include` says so.
std::vector<Staff> list_staff(storage::Database& db, IncludeRemoved include);
// The accounts staff member `staff_id` is assigned to.
std::vector<Ref> assigned_accounts(storage::Database& db, int64_t staff_id);

} // namespace practice::accounts
