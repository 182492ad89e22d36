#include "practice/requests/link_key_store.hpp"

namespace practice::requests {

std::optional<std::string> LinkKeyStore::fingerprint() {
  storage::Statement s(m_db, "SELECT fingerprint FROM link_key WHERE id = 1");
  if (!s.step()) {
    return std::nullopt;
  }
  return s.text(0);
}

std::string LinkKeyStore::record(const std::string& fingerprint) {
  storage::Statement(m_db, "INSERT INTO link_key (id, fingerprint) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING")
      .bind(1, fingerprint)
      .run();
  return this->fingerprint().value_or(fingerprint);
}

} // namespace practice::requests
