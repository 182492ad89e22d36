#pragma once

#include "practice/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::accounts {

enum class Role { owner, admin, member };
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view s);

enum class AccountType { individual, company };
std::string_view to_string(AccountType type);
std::optional<AccountType> parse_account_type(std::string_view s);

// The languages client-facing text is written in, as codes ("en" first):
// those with a catalogue (i18n::languages).
const std::vector<std::string>& client_languages();
// The code `s` names (any case, surrounding space ignored), or nullopt when
// practice does not write that language.
std::optional<std::string> parse_language(std::string_view s);

struct Firm {
  std::string name;
  std::optional<std::string> email;
  util::TimePoint created_at;
  std::optional<std::string> language; // its clients' language unless a contact says; nullopt: the config's
};

// The language the firm writes to clients in: its record's, else
// `configured` ([firm] language), else English. Pure.
std::string firm_language(const std::optional<Firm>& firm, const std::optional<std::string>& configured);

struct Staff {
  int64_t id = 0;
  std::string name;
  std::string email;
  Role role = Role::member;
  bool view_all_accounts = false;
  util::TimePoint created_at;
  std::optional<util::TimePoint> removed_at;
};

// A short reference to another record, for lists inside a record.
struct Ref {
  int64_t id = 0;
  std::string name;
  std::string email; // empty where the record has none
};

struct Account {
  int64_t id = 0;
  std::string name;
  AccountType type = AccountType::individual;
  util::TimePoint created_at;
  std::optional<util::TimePoint> archived_at;
  int64_t contact_count = 0;
  std::vector<Ref> assigned; // staff assigned to the account
  bool reminders_paused = false;
  std::optional<util::TimePoint> reminders_paused_until; // with paused: until then
};

struct Contact {
  int64_t id = 0;
  int64_t account_id = 0;
  std::string account_name;
  std::string name;
  std::string email;
  bool notify = true;
  bool portal = false;
  std::optional<std::string> language; // nullopt: the firm's
  util::TimePoint created_at;
};

} // namespace practice::accounts
