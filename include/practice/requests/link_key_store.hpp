#pragma once

#include "practice/storage/database.hpp"

#include <optional>
#include <string>

namespace practice::requests {

// The one row that holds the fingerprint of the firm's link key
// (link_key_fingerprint): never the key.
class LinkKeyStore {
public:
  explicit LinkKeyStore(storage::Database& db) : m_db(db) {}

  // The fingerprint the firm's key has, or nullopt while none is recorded.
  std::optional<std::string> fingerprint();
  // Records `fingerprint` unless one is there already; returns the one that
  // is there afterwards (another process's, when it recorded first).
  std::string record(const std::string& fingerprint);

private:
  storage::Database& m_db;
};

} // namespace practice::requests
