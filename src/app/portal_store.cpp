#include "practice/app/portal_store.hpp"

namespace practice::app {

namespace {

CodeRow read_code(const storage::Statement& s) {
  return {s.int64(0), s.text(1), s.int64(2), s.text(3), s.time(4), s.time(5), static_cast<int>(s.int64(6)), s.text(7)};
}

} // namespace

std::optional<CodeRow> PortalStore::latest_code(const std::string& email) {
  storage::Statement s(m_db, R"sql(
SELECT id, email, contact_id, nonce, created_at, expires_at, tries_left, state FROM portal_codes
WHERE email = ? ORDER BY id DESC LIMIT 1)sql");
  s.bind(1, email);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_code(s);
}

std::optional<CodeRow> PortalStore::get_code(int64_t id) {
  storage::Statement s(m_db, R"sql(
SELECT id, email, contact_id, nonce, created_at, expires_at, tries_left, state FROM portal_codes WHERE id = ?)sql");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_code(s);
}

void PortalStore::replace_open_codes(const std::string& email) {
  storage::Statement s(m_db, "UPDATE portal_codes SET state = 'replaced' WHERE email = ? AND state = 'open'");
  s.bind(1, email);
  s.run();
}

int64_t PortalStore::insert_code(const std::string& email, int64_t contact_id, int64_t account_id,
                                 const std::string& nonce, util::TimePoint now, util::TimePoint expires_at,
                                 int tries) {
  storage::Statement s(m_db, R"sql(
INSERT INTO portal_codes (email, contact_id, account_id, nonce, created_at, expires_at, tries_left, state)
VALUES (?, ?, ?, ?, ?, ?, ?, 'open'))sql");
  s.bind_all(email, contact_id, account_id, nonce, util::format_iso(now), util::format_iso(expires_at), tries);
  s.run();
  return m_db.last_insert_id();
}

void PortalStore::set_code_state(int64_t id, int tries_left, const std::string& state) {
  storage::Statement s(m_db, "UPDATE portal_codes SET tries_left = ?, state = ? WHERE id = ?");
  s.bind_all(tries_left, state, id);
  s.run();
}

void PortalStore::insert_session(const std::string& id_hash, int64_t contact_id, int64_t account_id,
                                 util::TimePoint now) {
  storage::Statement s(m_db, R"sql(
INSERT INTO portal_sessions (id_hash, contact_id, account_id, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4))sql");
  s.bind_all(id_hash, contact_id, account_id, util::format_iso(now));
  s.run();
}

std::optional<SessionRow> PortalStore::get_session(const std::string& id_hash) {
  storage::Statement s(
      m_db, "SELECT id_hash, contact_id, account_id, last_seen_at, ended_at FROM portal_sessions WHERE id_hash = ?");
  s.bind(1, id_hash);
  if (!s.step()) {
    return std::nullopt;
  }
  return SessionRow{s.text(0), s.int64(1), s.int64(2), s.time(3), s.opt_time(4)};
}

void PortalStore::touch_session(const std::string& id_hash, util::TimePoint now) {
  storage::Statement s(m_db, "UPDATE portal_sessions SET last_seen_at = ? WHERE id_hash = ? AND ended_at IS NULL");
  s.bind_all(util::format_iso(now), id_hash);
  s.run();
}

void PortalStore::end_session(const std::string& id_hash, util::TimePoint now) {
  storage::Statement s(m_db, "UPDATE portal_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL");
  s.bind_all(util::format_iso(now), id_hash);
  s.run();
}

} // namespace practice::app
