#include "practice/reminders/reminder_store.hpp"

#include "practice/storage/sql.hpp"

#include <fmt/format.h>

namespace practice::reminders {

namespace {

// The outbox kinds of the emails about an item that go to the client; the
// firm's own notices about it ("notice") never count as notifying the client.
// It takes the place of $KINDS in the queries below.
constexpr std::string_view k_client_kinds = "('request', 'approval', 'reminder', 'resend')";

// When an email about the item $ITEM last reached the client (the newest
// sent_at of its emails to the client), and since when a newer one waits
// undelivered (queued or being sent): one seek into outbox_item each.
// The state is compared through coalesce (it is never NULL) so that no
// index on state can serve it: during a burst of sends PostgreSQL's
// statistics still say almost nothing is 'sent', and it then scanned every
// sent row by the state index for each item, once per email delivered
// (5 ms each at 3,000 sent; remind --run over 10,000 took 83 s).
constexpr std::string_view k_last_sent = R"sql((SELECT max(o.sent_at) FROM outbox o
   WHERE o.item = $ITEM AND o.kind IN $KINDS AND coalesce(o.state, '') = 'sent'))sql";
constexpr std::string_view k_waiting_since = R"sql((SELECT min(o.created_at) FROM outbox o
   WHERE o.item = $ITEM AND o.kind IN $KINDS AND coalesce(o.state, '') IN ('queued', 'sending')
     AND o.created_at > coalesce($LAST_SENT, '')))sql";

// One query per kind of item awaiting a client; a new kind of item adds a
// UNION ALL branch here and a check in still_applies. Before the outbox knew
// of any email, the last notification is the item's own record (set when
// an email is queued). Each row is read once, with no query around it: a
// subquery in FROM would copy every row's values once more.
constexpr std::string_view k_request_items = R"sql(
SELECT 'request' AS kind, r.id AS id, r.account_id AS account_id, a.name AS account_name, r.title AS title,
       r.reminders_on AS reminders_on, r.remind_every_days AS every_days, r.reminder_count AS reminder_count,
       r.reminders_sent AS reminders_sent,
       coalesce($LAST_SENT, r.last_notified_at, r.sent_at, r.created_at) AS last_notified,
       EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
               WHERE l.item_kind = 'request' AND l.item_id = r.id AND j.archived_at IS NOT NULL) AS stopped,
       a.reminders_paused AS paused, a.reminders_paused_until AS paused_until, $WAITING_SINCE AS waiting_since
FROM requests r JOIN accounts a ON a.id = r.account_id
WHERE r.status IN ('pending', 'in_progress'))sql";

constexpr std::string_view k_approval_items = R"sql(
SELECT 'approval', p.id, p.account_id, a.name, d.name, p.reminders_on, p.remind_every_days, p.reminder_count,
       p.reminders_sent, coalesce($LAST_SENT, p.last_notified_at, p.requested_at),
       EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
               WHERE l.item_kind = 'approval' AND l.item_id = p.id AND j.archived_at IS NOT NULL),
       a.reminders_paused, a.reminders_paused_until, $WAITING_SINCE
FROM approvals p JOIN documents d ON d.id = p.document_id JOIN accounts a ON a.id = p.account_id
WHERE p.status = 'pending')sql";

constexpr std::string_view k_todo = R"sql(
SELECT kind, id, title, status, coalesce(last_sent, recorded) FROM (
  SELECT 'request' AS kind, r.id AS id, r.title AS title, r.status AS status,
         coalesce(r.last_notified_at, r.sent_at) AS recorded,
         $REQUEST_LAST_SENT AS last_sent
  FROM requests r
  WHERE r.account_id = ?1 AND r.status IN ('pending', 'in_progress')
  UNION ALL
  SELECT 'approval', p.id, d.name, p.status, coalesce(p.last_notified_at, p.requested_at), $APPROVAL_LAST_SENT
  FROM approvals p JOIN documents d ON d.id = p.document_id
  WHERE p.account_id = ?1 AND p.status = 'pending') AS items
ORDER BY 5 DESC, 1, 2 DESC)sql";

void replace_all(std::string& text, std::string_view name, std::string_view value) {
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
    text.replace(at, name.size(), value);
  }
}

std::string with_kinds(std::string_view sql) {
  std::string out(sql);
  replace_all(out, "$KINDS", k_client_kinds);
  return out;
}

// One kind's items with their outbox columns; `item` is the SQL of the
// item's name in the outbox ('request:' || r.id).
std::string items_of(std::string_view select, std::string_view item) {
  std::string out(select);
  replace_all(out, "$WAITING_SINCE", k_waiting_since);
  replace_all(out, "$LAST_SENT", k_last_sent);
  replace_all(out, "$ITEM", item);
  return with_kinds(out);
}

// The SQL of each kind's name in the outbox, in the queries above.
constexpr std::string_view k_request_item = "'request:' || r.id";
constexpr std::string_view k_approval_item = "'approval:' || p.id";

std::string request_items() { return items_of(k_request_items, k_request_item); }
std::string approval_items() { return items_of(k_approval_items, k_approval_item); }

// k_last_sent of the item named by the SQL `item`.
std::string last_sent_of(std::string_view item) {
  std::string out(k_last_sent);
  replace_all(out, "$ITEM", item);
  return out;
}

Item read_item(const storage::Statement& s) {
  Item i;
  i.kind = s.text(0);
  i.id = s.int64(1);
  i.account_id = s.int64(2);
  i.account_name = s.text(3);
  i.title = s.text(4);
  i.settings = {s.int64(5) != 0, static_cast<int>(s.int64(6)), static_cast<int>(s.int64(7))};
  i.sent = static_cast<int>(s.int64(8));
  i.last_notified = s.time(9);
  i.stopped = s.int64(10) != 0;
  const bool paused = s.int64(11) != 0;
  const auto until = s.opt_time(12);
  i.paused = paused && !until;
  if (paused && until) {
    i.paused_until = until;
  }
  i.waiting_since = s.opt_time(13);
  return i;
}

} // namespace

std::string ReminderStore::items_sql(std::optional<int64_t> account_id, ItemSet set, ItemOrder order,
                                     storage::Dialect d) {
  std::string sql = request_items();
  if (account_id) {
    sql += " AND r.account_id = ?1";
  }
  if (set == ItemSet::reminders_left) {
    sql += " AND r.reminders_on = 1 AND r.reminders_sent < r.reminder_count";
  }
  sql += " UNION ALL ";
  sql += approval_items();
  if (account_id) {
    sql += " AND p.account_id = ?1";
  }
  if (set == ItemSet::reminders_left) {
    sql += " AND p.reminders_on = 1 AND p.reminders_sent < p.reminder_count";
  }
  if (order == ItemOrder::due) {
    // By the due moment: the last notification plus the interval, or the
    // end of the account's pause when that is later.
    using storage::sql::epoch_seconds;
    sql = "SELECT * FROM (" + sql + ") AS items ORDER BY " +
          storage::sql::greatest(d, "coalesce(" + epoch_seconds(d, "last_notified") + ", 0) + 86400 * every_days",
                                 "CASE WHEN paused = 1 AND paused_until IS NOT NULL THEN coalesce(" +
                                     epoch_seconds(d, "paused_until") + ", 0) ELSE 0 END") +
          ", kind = 'approval', id";
  }
  return sql;
}

std::string ReminderStore::item_sql(const std::string& kind) {
  // A lookup by id gets a query of its own so it uses the primary key.
  return kind == "request" ? request_items() + " AND r.id = ?1" : approval_items() + " AND p.id = ?1";
}

std::string ReminderStore::todo_sql() {
  std::string out(k_todo);
  replace_all(out, "$REQUEST_LAST_SENT", last_sent_of(k_request_item));
  replace_all(out, "$APPROVAL_LAST_SENT", last_sent_of(k_approval_item));
  return with_kinds(out);
}

void ReminderStore::each_item(std::optional<int64_t> account_id, ItemSet set, ItemOrder order,
                              const std::function<void(const Item&)>& fn) {
  storage::Statement s(m_db, items_sql(account_id, set, order, m_db.dialect()));
  s.stream();
  if (account_id) {
    s.bind(1, *account_id);
  }
  while (s.step()) {
    fn(read_item(s));
  }
}

std::vector<Item> ReminderStore::items(std::optional<int64_t> account_id) {
  std::vector<Item> out;
  each_item(account_id, ItemSet::all, ItemOrder::stored, [&](const Item& i) { out.push_back(i); });
  return out;
}

std::vector<Item> ReminderStore::item(const std::string& kind, int64_t id) {
  storage::Statement s(m_db, item_sql(kind));
  s.bind(1, id);
  std::vector<Item> out;
  while (s.step()) {
    out.push_back(read_item(s));
  }
  return out;
}

void ReminderStore::count_reminder(const Item& i, util::TimePoint now) {
  const std::string table = i.kind == "request" ? "requests" : "approvals";
  storage::Statement s(m_db, fmt::format("UPDATE {} SET reminders_sent = reminders_sent + 1, last_notified_at = ?2 "
                                         "WHERE id = ?1",
                                         table));
  s.bind_all(i.id, util::format_iso(now));
  s.run();
}

std::vector<TodoEntry> ReminderStore::todo(int64_t account_id) {
  storage::Statement s(m_db, todo_sql());
  s.bind(1, account_id);
  std::vector<TodoEntry> out;
  while (s.step()) {
    out.push_back({s.text(0), s.int64(1), s.text(2), s.text(3), s.time(4)});
  }
  return out;
}

} // namespace practice::reminders
