#pragma once

#include "practice/accounts/model.hpp"
#include "practice/storage/database.hpp"

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace practice::accounts {

enum class IncludeArchived { no, yes };

struct AccountFilter {
  IncludeArchived archived = IncludeArchived::no;
  std::optional<int64_t> assigned_to; // staff id
};

class AccountStore {
public:
  explicit AccountStore(storage::Database& db) : m_db(db) {}

  int64_t insert(const Account& account);
  // Saves name, type and archived_at.
  void update(const Account& account);
  // With contact count and assigned staff.
  std::optional<Account> get(int64_t id);
  std::vector<Account> list(const AccountFilter& filter);
  // The same accounts in the same order, one at a time: a listing of many
  // thousands is printed as it is read, never held whole.
  void each(const AccountFilter& filter, const std::function<void(const Account&)>& fn);
  // Resolves an id or exact name (case-insensitive); throws NotFound.
  int64_t resolve(std::string_view ref);
  // The active (not archived) account with this name, case-insensitive; the
  // oldest when duplicates were allowed.
  std::optional<Account> active_named(std::string_view name);

  bool is_assigned(int64_t account_id, int64_t staff_id);
  void assign(int64_t account_id, int64_t staff_id, util::TimePoint at);
  void unassign(int64_t account_id, int64_t staff_id);

private:
  storage::Database& m_db;
};

} // namespace practice::accounts
