#include "practice/reminders/reminder_store.hpp"

#include <fmt/format.h>

namespace practice::reminders {

namespace {

// The outbox kinds of the emails about an item that go to the client; the
// firm's own notices about it ("notice") never count as notifying the client.
// It takes the place of $KINDS in the queries below.
constexpr std::string_view k_client_kinds = "('request', 'approval', 'reminder', 'resend')";

// One query per kind of item awaiting a client; a new kind of item adds a
// UNION ALL branch here and a check in still_applies. `recorded` is the
// item's own record of its last notification (set when an email is queued).
constexpr std::string_view k_request_items = R"sql(
SELECT 'request' AS kind, r.id AS id, r.account_id AS account_id, a.name AS account_name, r.title AS title,
       r.reminders_on AS reminders_on, r.remind_every_days AS every_days, r.reminder_count AS reminder_count,
       r.reminders_sent AS reminders_sent, coalesce(r.last_notified_at, r.sent_at, r.created_at) AS recorded,
       'request:' || r.id AS item,
       EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
               WHERE l.item_kind = 'request' AND l.item_id = r.id AND j.archived_at IS NOT NULL) AS stopped,
       a.reminders_paused AS paused, a.reminders_paused_until AS paused_until
FROM requests r JOIN accounts a ON a.id = r.account_id
WHERE r.status IN ('pending', 'in_progress'))sql";

// Named as the request branch names them: looked up alone (ReminderStore::item)
// it is the whole query, and the outer query reads the columns by these names.
constexpr std::string_view k_approval_items = R"sql(
SELECT 'approval' AS kind, p.id AS id, p.account_id AS account_id, a.name AS account_name, d.name AS title,
       p.reminders_on AS reminders_on, p.remind_every_days AS every_days, p.reminder_count AS reminder_count,
       p.reminders_sent AS reminders_sent, coalesce(p.last_notified_at, p.requested_at) AS recorded,
       'approval:' || p.id AS item,
       EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
               WHERE l.item_kind = 'approval' AND l.item_id = p.id AND j.archived_at IS NOT NULL) AS stopped,
       a.reminders_paused AS paused, a.reminders_paused_until AS paused_until
FROM approvals p JOIN documents d ON d.id = p.document_id JOIN accounts a ON a.id = p.account_id
WHERE p.status = 'pending')sql";

// Around the items: when an email about each last reached the client, and
// since when a newer one waits undelivered (queued or being sent).
constexpr std::string_view k_with_outbox_head = R"sql(
SELECT kind, id, account_id, account_name, title, reminders_on, every_days, reminder_count, reminders_sent,
       coalesce(last_sent, recorded), stopped, paused, paused_until,
       (SELECT min(o.created_at) FROM outbox o
        WHERE o.item = x.item AND o.kind IN $KINDS AND o.state IN ('queued', 'sending')
          AND (x.last_sent IS NULL OR o.created_at > x.last_sent))
FROM (SELECT i.*, (SELECT max(o.sent_at) FROM outbox o
                   WHERE o.item = i.item AND o.kind IN $KINDS AND o.state = 'sent') AS last_sent
      FROM ()sql";
constexpr std::string_view k_with_outbox_tail = ") i) x";

constexpr std::string_view k_todo = R"sql(
SELECT kind, id, title, status, coalesce(last_sent, recorded) FROM (
  SELECT 'request' AS kind, r.id AS id, r.title AS title, r.status AS status,
         coalesce(r.last_notified_at, r.sent_at) AS recorded,
         (SELECT max(o.sent_at) FROM outbox o
          WHERE o.item = 'request:' || r.id AND o.kind IN $KINDS AND o.state = 'sent') AS last_sent
  FROM requests r
  WHERE r.account_id = ?1 AND r.status IN ('pending', 'in_progress')
  UNION ALL
  SELECT 'approval', p.id, d.name, p.status, coalesce(p.last_notified_at, p.requested_at),
         (SELECT max(o.sent_at) FROM outbox o
          WHERE o.item = 'approval:' || p.id AND o.kind IN $KINDS AND o.state = 'sent')
  FROM approvals p JOIN documents d ON d.id = p.document_id
  WHERE p.account_id = ?1 AND p.status = 'pending')
ORDER BY 5 DESC, 1, 2 DESC)sql";

std::string with_kinds(std::string_view sql) {
  std::string out(sql);
  for (size_t at = out.find("$KINDS"); at != std::string::npos; at = out.find("$KINDS", at)) {
    out.replace(at, 6, k_client_kinds);
  }
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

std::vector<Item> ReminderStore::query(const std::optional<std::string>& kind, std::optional<int64_t> id,
                                       std::optional<int64_t> account_id) {
  // A lookup by id gets a query of its own so it uses the primary key.
  std::string inner;
  if (kind) {
    inner = std::string(*kind == "request" ? k_request_items : k_approval_items) +
            (*kind == "request" ? " AND r.id = ?1" : " AND p.id = ?1");
  } else {
    inner = std::string(k_request_items) + " AND (?1 IS NULL OR r.account_id = ?1) UNION ALL " +
            std::string(k_approval_items) + " AND (?1 IS NULL OR p.account_id = ?1)";
  }
  storage::Statement s(m_db, with_kinds(std::string(k_with_outbox_head) + inner + std::string(k_with_outbox_tail)));
  if (kind) {
    s.bind(1, id);
  } else {
    s.bind(1, account_id);
  }
  std::vector<Item> out;
  while (s.step()) {
    out.push_back(read_item(s));
  }
  return out;
}

std::vector<Item> ReminderStore::items(std::optional<int64_t> account_id) {
  return query(std::nullopt, std::nullopt, account_id);
}

std::vector<Item> ReminderStore::item(const std::string& kind, int64_t id) { return query(kind, id, std::nullopt); }

void ReminderStore::count_reminder(const Item& i, util::TimePoint now) {
  const std::string table = i.kind == "request" ? "requests" : "approvals";
  storage::Statement s(m_db, fmt::format("UPDATE {} SET reminders_sent = reminders_sent + 1, last_notified_at = ?2 "
                                         "WHERE id = ?1",
                                         table));
  s.bind_all(i.id, util::format_iso(now));
  s.run();
}

std::vector<TodoEntry> ReminderStore::todo(int64_t account_id) {
  storage::Statement s(m_db, with_kinds(k_todo));
  s.bind(1, account_id);
  std::vector<TodoEntry> out;
  while (s.step()) {
    out.push_back({s.text(0), s.int64(1), s.text(2), s.text(3), s.time(4)});
  }
  return out;
}

} // namespace practice::reminders
