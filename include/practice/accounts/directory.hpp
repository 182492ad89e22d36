#pragma once

#include "practice/accounts/model.hpp"
#include "practice/accounts/session.hpp"

#include <optional>
#include <string>
#include <string_view>

// The firm's people and clients: every change validates its input, checks the
// actor may make it, saves it and writes its audit row. Call inside the
// command's write transaction; on any throw, nothing of it must be committed.
namespace practice::accounts {

struct InitResult {
  Firm firm;
  bool created = false; // false: the firm existed already
};
// Records the firm (name defaults to "My firm"); an existing firm keeps its
// record unless a name or email is given.
InitResult init_firm(Session& s, const std::optional<std::string>& name,
                     const std::optional<std::string>& email);

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

Account add_account(Session& s, std::string_view name, AccountType type);

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
};
Contact add_contact(Session& s, const NewContact& in);

struct ContactChanges {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<bool> notify;
  std::optional<bool> portal;
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

} // namespace practice::accounts
