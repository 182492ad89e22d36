#include "practice/accounts/firm_store.hpp"

namespace practice::accounts {

std::optional<Firm> FirmStore::get() {
  storage::Statement s(m_db, "SELECT name, email, created_at, language FROM firm WHERE id = 1");
  if (!s.step()) {
    return std::nullopt;
  }
  return Firm{s.text(0), s.opt_text(1), s.time(2), s.opt_text(3)};
}

void FirmStore::put(const Firm& firm) {
  storage::Statement s(m_db, R"sql(
INSERT INTO firm (id, name, email, created_at, language) VALUES (1, ?1, ?2, ?3, ?4)
ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, language = excluded.language)sql");
  s.bind_all(firm.name, firm.email, util::format_iso(firm.created_at), firm.language);
  s.run();
}

} // namespace practice::accounts
