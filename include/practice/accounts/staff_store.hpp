#pragma once

#include "practice/accounts/model.hpp"
#include "practice/storage/database.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace practice::accounts {

enum class IncludeRemoved { no, yes };

class StaffStore {
public:
  explicit StaffStore(storage::Database& db) : m_db(db) {}

  int64_t insert(const Staff& staff);
  void update(const Staff& staff);
  std::optional<Staff> get(int64_t id);
  // Active (not removed) staff with this email, case-insensitively.
  std::optional<Staff> find_by_email(std::string_view email);
  std::vector<Staff> list(IncludeRemoved include);
  int64_t count_active();
  int64_t count_active_owners();
  // Resolves an id, email or exact name among active staff; throws NotFound.
  Staff resolve(std::string_view ref);
  // The accounts a staff member is assigned to.
  std::vector<Ref> assigned_accounts(int64_t staff_id);

private:
  storage::Database& m_db;
};

} // namespace practice::accounts
