#include "practice/accounts/contact_store.hpp"

#include "practice/storage/resolve.hpp"

namespace practice::accounts {

namespace {

constexpr std::string_view k_select_contact = R"sql(
SELECT c.id, c.account_id, a.name, c.name, c.email, c.notify, c.portal, c.created_at, c.language
FROM contacts c JOIN accounts a ON a.id = c.account_id)sql";

Contact read_contact(const storage::Statement& s) {
  Contact c;
  c.id = s.int64(0);
  c.account_id = s.int64(1);
  c.account_name = s.text(2);
  c.name = s.text(3);
  c.email = s.text(4);
  c.notify = s.int64(5) != 0;
  c.portal = s.int64(6) != 0;
  c.created_at = s.time(7);
  c.language = s.opt_text(8);
  return c;
}

} // namespace

int64_t ContactStore::insert(const Contact& c) {
  storage::Statement s(m_db, R"sql(
INSERT INTO contacts (account_id, name, email, notify, portal, created_at, language)
VALUES (?, ?, ?, ?, ?, ?, ?))sql");
  s.bind_all(c.account_id, c.name, c.email, c.notify, c.portal, util::format_iso(c.created_at), c.language);
  s.run();
  return m_db.last_insert_id();
}

void ContactStore::update(const Contact& c) {
  storage::Statement s(m_db,
                       "UPDATE contacts SET name = ?2, email = ?3, notify = ?4, portal = ?5, language = ?6 "
                       "WHERE id = ?1");
  s.bind_all(c.id, c.name, c.email, c.notify, c.portal, c.language);
  s.run();
}

void ContactStore::remove(int64_t id, util::TimePoint at) {
  storage::Statement s(m_db, "UPDATE contacts SET removed_at = ?2 WHERE id = ?1");
  s.bind_all(id, util::format_iso(at));
  s.run();
}

std::optional<Contact> ContactStore::get(int64_t id) {
  storage::Statement s(m_db, std::string(k_select_contact) + " WHERE c.id = ? AND c.removed_at IS NULL");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_contact(s);
}

std::vector<Contact> ContactStore::list(std::optional<int64_t> account_id) {
  storage::Statement s(m_db, std::string(k_select_contact) + R"sql(
WHERE c.removed_at IS NULL AND (CAST(?1 AS BIGINT) IS NULL OR c.account_id = ?1)
ORDER BY a.name COLLATE NOCASE, a.id, c.name COLLATE NOCASE, c.id)sql");
  s.bind(1, account_id);
  std::vector<Contact> out;
  while (s.step()) {
    out.push_back(read_contact(s));
  }
  return out;
}

std::optional<Contact> ContactStore::find_by_email(int64_t account_id, std::string_view email) {
  storage::Statement s(m_db, std::string(k_select_contact) +
                                 " WHERE c.account_id = ? AND c.email = ? AND c.removed_at IS NULL");
  s.bind_all(account_id, email);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_contact(s);
}

int64_t ContactStore::resolve(std::string_view ref, std::optional<int64_t> account_id) {
  // ?2 scopes every query to one account when given.
  static constexpr std::string_view k_scope = " AND (CAST(?2 AS BIGINT) IS NULL OR account_id = ?2)";
  const std::string by_id =
      std::string("SELECT id FROM contacts WHERE id = ?1 AND removed_at IS NULL") +
      std::string(k_scope);
  const std::string by_key =
      std::string("SELECT c.id, c.email || ' of ' || a.name FROM contacts c JOIN accounts a ON "
                  "a.id = c.account_id WHERE c.removed_at IS NULL AND (c.email = ?1 OR c.name = ?1) "
                  "AND (CAST(?2 AS BIGINT) IS NULL OR c.account_id = ?2) ORDER BY c.id");
  const std::string all = std::string("SELECT name FROM contacts WHERE removed_at IS NULL") +
                          std::string(k_scope) +
                          " UNION ALL SELECT email FROM contacts WHERE removed_at IS NULL" +
                          std::string(k_scope);
  const storage::RefQueries q{"contact", "name or email", by_id, by_key, all};
  return storage::resolve_ref(m_db, q, ref, account_id);
}

} // namespace practice::accounts
