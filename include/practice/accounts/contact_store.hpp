#pragma once

#include "practice/accounts/model.hpp"
#include "practice/storage/database.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace practice::accounts {

class ContactStore {
public:
  explicit ContactStore(storage::Database& db) : m_db(db) {}

  int64_t insert(const Contact& contact);
  // Saves name, email, notify and portal.
  void update(const Contact& contact);
  // Marks the contact removed; it keeps its id for the records that name it.
  void remove(int64_t id, util::TimePoint at);
  std::optional<Contact> get(int64_t id);
  // Active contacts, of one account or of all.
  std::vector<Contact> list(std::optional<int64_t> account_id);
  // An active contact of `account_id` with this email.
  std::optional<Contact> find_by_email(int64_t account_id, std::string_view email);
  // Resolves an id, email or exact name among active contacts (of one
  // account when given); throws NotFound, or InvalidInput when ambiguous.
  int64_t resolve(std::string_view ref, std::optional<int64_t> account_id);

private:
  storage::Database& m_db;
};

} // namespace practice::accounts
