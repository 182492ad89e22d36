#include "practice/accounts/account_store.hpp"

#include "practice/storage/resolve.hpp"

#include <algorithm>
#include <unordered_map>

namespace practice::accounts {

namespace {

constexpr std::string_view k_columns = R"sql(
SELECT a.id, a.name, a.type, a.created_at, a.archived_at, a.reminders_paused, a.reminders_paused_until)sql";
constexpr std::string_view k_contact_count = R"sql(,
       (SELECT count(*) FROM contacts c WHERE c.account_id = a.id AND c.removed_at IS NULL)
FROM accounts a)sql";

Account read_account(const storage::Statement& s) {
  Account a;
  a.id = s.int64(0);
  a.name = s.text(1);
  a.type = parse_account_type(s.text_view(2)).value_or(AccountType::individual);
  a.created_at = s.time(3);
  a.archived_at = s.opt_time(4);
  a.reminders_paused = s.int64(5) != 0;
  a.reminders_paused_until = s.opt_time(6);
  if (!s.is_null(7)) {
    a.contact_count = s.int64(7);
  }
  return a;
}

} // namespace

int64_t AccountStore::insert(const Account& a) {
  storage::Statement s(m_db,
                       "INSERT INTO accounts (name, type, created_at, archived_at) VALUES (?, ?, ?, ?)");
  s.bind_all(a.name, to_string(a.type), util::format_iso(a.created_at),
             util::format_iso(a.archived_at));
  s.run();
  return m_db.last_insert_id();
}

void AccountStore::update(const Account& a) {
  storage::Statement s(m_db, "UPDATE accounts SET name = ?2, type = ?3, archived_at = ?4, "
                             "reminders_paused = ?5, reminders_paused_until = ?6 WHERE id = ?1");
  s.bind_all(a.id, a.name, to_string(a.type), util::format_iso(a.archived_at), a.reminders_paused,
             util::format_iso(a.reminders_paused_until));
  s.run();
}

std::optional<Account> AccountStore::get(int64_t id) {
  storage::Statement s(m_db, std::string(k_columns) + std::string(k_contact_count) +
                                 " WHERE a.id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  Account a = read_account(s);
  storage::Statement staff(m_db, R"sql(
SELECT s.id, s.name, s.email FROM account_staff x JOIN staff s ON s.id = x.staff_id
WHERE x.account_id = ? ORDER BY s.name, s.id)sql");
  staff.bind(1, id);
  while (staff.step()) {
    a.assigned.push_back({staff.int64(0), staff.text(1), staff.text(2)});
  }
  return a;
}

std::vector<Account> AccountStore::list(const AccountFilter& f) {
  std::vector<Account> out;
  each(f, [&](const Account& a) { out.push_back(a); });
  return out;
}

void AccountStore::each(const AccountFilter& f, const std::function<void(const Account&)>& fn) {
  // Counts and assignments come from one plain scan each, read first and
  // merged into each account as it is read: cheaper than a correlated
  // subquery per row, and than GROUP BY or ORDER BY in SQL, which here cost
  // more than the counting and sorting below (10,000 accounts).
  std::unordered_map<int64_t, int64_t> counts;
  storage::Statement c(m_db, "SELECT account_id FROM contacts WHERE removed_at IS NULL");
  while (c.step()) {
    ++counts[c.int64(0)];
  }
  std::unordered_map<int64_t, std::vector<Ref>> assigned;
  storage::Statement staff(m_db, R"sql(
SELECT x.account_id, s.id, s.name, s.email FROM account_staff x JOIN staff s ON s.id = x.staff_id)sql");
  while (staff.step()) {
    assigned[staff.int64(0)].push_back({staff.int64(1), staff.text(2), staff.text(3)});
  }
  for (auto& [account, refs] : assigned) {
    std::sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
      return a.name != b.name ? a.name < b.name : a.id < b.id; // as get() orders them
    });
  }
  storage::Statement s(m_db, std::string(k_columns) + R"sql(, NULL FROM accounts a
WHERE (?1 = 1 OR a.archived_at IS NULL)
  AND (CAST(?2 AS BIGINT) IS NULL OR EXISTS (SELECT 1 FROM account_staff x WHERE x.account_id = a.id AND x.staff_id = ?2))
ORDER BY a.name COLLATE NOCASE, a.id)sql");
  s.stream();
  s.bind(1, f.archived == IncludeArchived::yes);
  s.bind(2, f.assigned_to);
  while (s.step()) {
    Account a = read_account(s);
    if (const auto it = counts.find(a.id); it != counts.end()) {
      a.contact_count = it->second;
    }
    if (auto it = assigned.find(a.id); it != assigned.end()) {
      a.assigned = std::move(it->second);
    }
    fn(a);
  }
}

int64_t AccountStore::resolve(std::string_view ref) {
  static constexpr storage::RefQueries k_queries{
      "account",
      "name",
      "SELECT id FROM accounts WHERE id = ?1",
      "SELECT id, type || CASE WHEN archived_at IS NULL THEN '' ELSE ', archived' END, archived_at IS NULL "
      "FROM accounts WHERE name = ?1 COLLATE NOCASE ORDER BY id",
      "SELECT name FROM accounts",
  };
  return storage::resolve_ref(m_db, k_queries, ref);
}

std::optional<Account> AccountStore::active_named(std::string_view name) {
  storage::Statement s(m_db, "SELECT id FROM accounts WHERE name = ?1 COLLATE NOCASE AND archived_at IS NULL "
                             "ORDER BY id LIMIT 1");
  s.bind(1, name);
  if (!s.step()) {
    return std::nullopt;
  }
  return get(s.int64(0));
}

bool AccountStore::is_assigned(int64_t account_id, int64_t staff_id) {
  storage::Statement s(m_db,
                       "SELECT 1 FROM account_staff WHERE account_id = ? AND staff_id = ?");
  s.bind_all(account_id, staff_id);
  return s.step();
}

void AccountStore::assign(int64_t account_id, int64_t staff_id, util::TimePoint at) {
  storage::Statement s(m_db, R"sql(
INSERT INTO account_staff (account_id, staff_id, assigned_at) VALUES (?, ?, ?)
ON CONFLICT DO NOTHING)sql");
  s.bind_all(account_id, staff_id, util::format_iso(at));
  s.run();
}

void AccountStore::unassign(int64_t account_id, int64_t staff_id) {
  storage::Statement s(m_db, "DELETE FROM account_staff WHERE account_id = ? AND staff_id = ?");
  s.bind_all(account_id, staff_id);
  s.run();
}

} // namespace practice::accounts
