#include "practice/accounts/staff_store.hpp"

#include "practice/error.hpp"
#include "practice/storage/resolve.hpp"

namespace practice::accounts {

namespace {

constexpr std::string_view k_select_staff = R"sql(
SELECT id, name, email, role, view_all_accounts, created_at, removed_at FROM staff)sql";

Staff read_staff(const storage::Statement& s) {
  Staff st;
  st.id = s.int64(0);
  st.name = s.text(1);
  st.email = s.text(2);
  st.role = parse_role(s.text_view(3)).value_or(Role::member);
  st.view_all_accounts = s.int64(4) != 0;
  st.created_at = s.time(5);
  st.removed_at = s.opt_time(6);
  return st;
}

} // namespace

int64_t StaffStore::insert(const Staff& st) {
  storage::Statement s(m_db, R"sql(
INSERT INTO staff (name, email, role, view_all_accounts, created_at) VALUES (?, ?, ?, ?, ?))sql");
  s.bind_all(st.name, st.email, to_string(st.role), st.view_all_accounts,
             util::format_iso(st.created_at));
  s.run();
  return m_db.last_insert_id();
}

void StaffStore::update(const Staff& st) {
  storage::Statement s(m_db, R"sql(
UPDATE staff SET name = ?2, email = ?3, role = ?4, view_all_accounts = ?5, removed_at = ?6
WHERE id = ?1)sql");
  s.bind_all(st.id, st.name, st.email, to_string(st.role), st.view_all_accounts,
             util::format_iso(st.removed_at));
  s.run();
}

std::optional<Staff> StaffStore::get(int64_t id) {
  storage::Statement s(m_db, std::string(k_select_staff) + " WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_staff(s);
}

std::optional<Staff> StaffStore::find_by_email(std::string_view email) {
  storage::Statement s(m_db, std::string(k_select_staff) + " WHERE email = ? AND removed_at IS NULL");
  s.bind(1, email);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_staff(s);
}

std::vector<Staff> StaffStore::list(IncludeRemoved include) {
  storage::Statement s(m_db, std::string(k_select_staff) +
                                 (include == IncludeRemoved::yes ? "" : " WHERE removed_at IS NULL") +
                                 " ORDER BY id");
  std::vector<Staff> out;
  while (s.step()) {
    out.push_back(read_staff(s));
  }
  return out;
}

int64_t StaffStore::count_active() {
  storage::Statement s(m_db, "SELECT count(*) FROM staff WHERE removed_at IS NULL");
  s.step();
  return s.int64(0);
}

int64_t StaffStore::count_active_owners() {
  storage::Statement s(m_db,
                       "SELECT count(*) FROM staff WHERE removed_at IS NULL AND role = 'owner'");
  s.step();
  return s.int64(0);
}

Staff StaffStore::resolve(std::string_view ref) {
  static constexpr storage::RefQueries k_queries{
      "staff member",
      "name or email",
      "SELECT id FROM staff WHERE id = ?1 AND removed_at IS NULL",
      "SELECT id, email FROM staff WHERE removed_at IS NULL AND (email = ?1 OR name = ?1)",
      "SELECT name FROM staff WHERE removed_at IS NULL UNION ALL "
      "SELECT email FROM staff WHERE removed_at IS NULL",
  };
  const int64_t id = storage::resolve_ref(m_db, k_queries, ref);
  auto st = get(id);
  if (!st) {
    throw NotFound("no such staff member");
  }
  return *st;
}

std::vector<Ref> StaffStore::assigned_accounts(int64_t staff_id) {
  storage::Statement s(m_db, R"sql(
SELECT a.id, a.name FROM account_staff x JOIN accounts a ON a.id = x.account_id
WHERE x.staff_id = ? ORDER BY a.name, a.id)sql");
  s.bind(1, staff_id);
  std::vector<Ref> out;
  while (s.step()) {
    out.push_back({s.int64(0), s.text(1), {}});
  }
  return out;
}

} // namespace practice::accounts
