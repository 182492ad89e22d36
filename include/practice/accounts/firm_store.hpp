#pragma once

#include "practice/accounts/model.hpp"
#include "practice/storage/database.hpp"

#include <optional>

namespace practice::accounts {

class FirmStore {
public:
  explicit FirmStore(storage::Database& db) : m_db(db) {}

  // The firm's record; nullopt before init wrote it.
  std::optional<Firm> get();
  // Creates or replaces the single firm row.
  void put(const Firm& firm);

private:
  storage::Database& m_db;
};

} // namespace practice::accounts
