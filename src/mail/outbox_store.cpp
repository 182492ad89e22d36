#include "practice/mail/outbox_store.hpp"

#include "practice/mail/message.hpp"
#include "practice/storage/sql.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace practice::mail {

namespace {

constexpr std::string_view k_columns = R"sql(
SELECT id, dedupe_key, kind, item, account_id, rcpt, message_id, subject, message, state,
       attempts, uncertain, next_attempt_at, first_attempt_at, lease_owner, lease_until,
       last_code, last_reply, created_at, sent_at, dated_at, handed_over_at
FROM outbox)sql";

OutboxRow read_row(const storage::Statement& s) {
  OutboxRow r;
  r.id = s.int64(0);
  r.dedupe_key = s.text(1);
  r.kind = s.text(2);
  r.item = s.opt_text(3);
  r.account_id = s.opt_int64(4);
  r.rcpt = s.text(5);
  r.message_id = s.text(6);
  r.subject = s.text(7);
  r.message = s.text(8);
  r.state = parse_outbox_state(s.text_view(9)).value_or(OutboxState::queued);
  r.attempts = s.int64(10);
  r.uncertain = s.int64(11);
  r.next_attempt_at = s.time(12);
  r.first_attempt_at = s.opt_time(13);
  r.lease_owner = s.opt_text(14);
  r.lease_until = s.opt_time(15);
  r.last_code = s.opt_int64(16);
  r.last_reply = s.opt_text(17);
  r.created_at = s.time(18);
  r.sent_at = s.opt_time(19);
  r.dated_at = s.opt_time(20);
  r.handed_over_at = s.opt_time(21);
  if (r.dated_at && !r.message.empty()) {
    // The message as it went out: dated when first handed to the server.
    r.message = with_date(r.message, *r.dated_at);
  }
  return r;
}

// "250 2.0.0 queued": a line as the server sent it, starting with its code.
bool is_reply_line(std::string_view reply) {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return reply.size() >= 3 && std::all_of(reply.begin(), reply.begin() + 3, digit) &&
         (reply.size() == 3 || reply[3] == ' ' || reply[3] == '-');
}

} // namespace

std::string_view to_string(OutboxState s) {
  switch (s) {
  case OutboxState::queued:
    return "queued";
  case OutboxState::sending:
    return "sending";
  case OutboxState::sent:
    return "sent";
  case OutboxState::failed:
    return "failed";
  case OutboxState::cancelled:
    return "cancelled";
  }
  return "queued";
}

std::string last_reply_text(const OutboxRow& r) {
  if (r.last_reply && !r.last_reply->empty()) {
    if (is_reply_line(*r.last_reply) || !r.last_code) {
      return *r.last_reply; // the server's own line carries its code
    }
    return fmt::format("{} (last reply {})", *r.last_reply, *r.last_code);
  }
  return r.last_code ? std::to_string(*r.last_code) : std::string("-");
}

std::optional<OutboxState> parse_outbox_state(std::string_view s) {
  for (const auto st : {OutboxState::queued, OutboxState::sending, OutboxState::sent,
                        OutboxState::failed, OutboxState::cancelled}) {
    if (to_string(st) == s) {
      return st;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> OutboxStore::enqueue(const NewMessage& m, util::TimePoint now) {
  storage::Statement s(m_db, fmt::format(R"sql(
INSERT INTO outbox (dedupe_key, kind, item, account_id, rcpt, message_id, subject, message,
                    next_attempt_at, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {}, ?9, ?9)
ON CONFLICT (dedupe_key) DO NOTHING)sql", storage::sql::message_value(m_db.dialect(), "?8")));
  s.bind_all(m.dedupe_key, m.kind, m.item, m.account_id, m.rcpt, m.message_id, m.subject,
             m.message, util::format_iso(now));
  s.run();
  if (m_db.changes() == 0) {
    return std::nullopt;
  }
  return m_db.last_insert_id();
}

std::vector<OutboxRow> OutboxStore::claim(const std::string& owner, util::TimePoint now,
                                          util::TimePoint lease_until, int limit,
                                          const std::vector<std::string>& dead_owners,
                                          const std::optional<std::vector<int64_t>>& only) {
  // Dead owners and the id filter travel as JSON arrays (json_each), so one
  // statement serves any number of them.
  const std::string dead = nlohmann::json(dead_owners).dump();
  std::optional<std::string> ids;
  if (only) {
    ids = nlohmann::json(*only).dump();
  }
  const std::string iso_now = util::format_iso(now);
  const auto d = m_db.dialect();
  storage::Statement s(m_db, fmt::format(R"sql(
UPDATE outbox
SET state = 'sending', lease_owner = ?1, lease_until = ?2, attempts = attempts + 1,
    -- Taken over from a run that stopped past the final dot: the server may
    -- have the message already, so sending it again may make a duplicate.
    uncertain = uncertain + CASE WHEN state = 'sending' AND handed_over_at IS NOT NULL THEN 1 ELSE 0 END,
    handed_over_at = NULL
WHERE id IN (
  -- Two searches, each along the outbox_due index: a single one with OR
  -- would read and sort every due row for each batch.
  SELECT id FROM (
    SELECT id, next_attempt_at FROM outbox
    -- Never this run's own rows: one whose lease ran out while it waited
    -- in the run's batch is still the run's to send.
    WHERE state = 'sending' AND lease_owner IS DISTINCT FROM ?1
      AND (lease_until < ?3 OR lease_owner IN {dead})
      AND (CAST(?5 AS TEXT) IS NULL OR id IN {ids})
    UNION ALL
    SELECT id, next_attempt_at FROM (
      SELECT id, next_attempt_at FROM outbox
      WHERE state = 'queued' AND next_attempt_at <= ?3
        AND (CAST(?5 AS TEXT) IS NULL OR id IN {ids})
      ORDER BY next_attempt_at, id
      LIMIT ?6) AS queued) AS due
  ORDER BY next_attempt_at, id
  LIMIT ?6)
RETURNING id)sql",
                                         fmt::arg("dead", storage::sql::json_values(d, "?4", false)),
                                         fmt::arg("ids", storage::sql::json_values(d, "?5", true))));
  s.bind_all(owner, util::format_iso(lease_until), iso_now, dead, ids, int64_t{limit});
  std::vector<int64_t> claimed;
  while (s.step()) {
    claimed.push_back(s.int64(0));
  }
  std::vector<OutboxRow> rows;
  rows.reserve(claimed.size());
  for (const auto id : claimed) {
    if (auto r = get(id)) {
      r->claimed_at = now;
      rows.push_back(std::move(*r));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const OutboxRow& a, const OutboxRow& b) {
    return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at
                                                  : a.id < b.id;
  });
  return rows;
}

std::vector<std::string> OutboxStore::sending_owners() {
  storage::Statement s(m_db, "SELECT DISTINCT lease_owner FROM outbox WHERE state = 'sending' "
                             "AND lease_owner IS NOT NULL");
  std::vector<std::string> out;
  while (s.step()) {
    out.push_back(s.text(0));
  }
  return out;
}

bool OutboxStore::mark_handed_over(int64_t id, const std::string& owner, util::TimePoint date,
                                   util::TimePoint now, util::TimePoint lease_until) {
  storage::Statement s(m_db, R"sql(
UPDATE outbox
SET dated_at = coalesce(dated_at, ?3), handed_over_at = ?4,
    lease_until = CASE WHEN lease_until IS NULL OR lease_until < ?5 THEN ?5 ELSE lease_until END
WHERE id = ?1 AND state = 'sending' AND lease_owner = ?2)sql");
  s.bind_all(id, owner, util::format_iso(date), util::format_iso(now), util::format_iso(lease_until));
  s.run();
  return m_db.changes() == 1;
}

bool OutboxStore::record(int64_t id, const std::string& owner, const AttemptResult& r,
                         util::TimePoint now) {
  storage::Statement s(m_db, R"sql(
UPDATE outbox
SET state = ?3, lease_owner = NULL, lease_until = NULL, handed_over_at = NULL,
    uncertain = uncertain + ?5, attempts = attempts - ?6,
    -- An attempt that never reached the message (the server was down or
    -- refused us) leaves its schedule and history as they were...
    next_attempt_at = CASE WHEN ?6 = 1 THEN next_attempt_at ELSE ?4 END,
    first_attempt_at = CASE WHEN ?6 = 1 THEN first_attempt_at ELSE coalesce(first_attempt_at, ?9) END,
    -- ...but its reason (connection refused, no STARTTLS) is what the firm
    -- needs to see; a result without a reply line keeps the last one.
    last_code = CASE WHEN CAST(?8 AS TEXT) IS NULL THEN coalesce(?7, last_code) ELSE ?7 END,
    last_reply = coalesce(?8, last_reply),
    sent_at = CASE WHEN ?3 = 'sent' THEN ?9 ELSE sent_at END
WHERE id = ?1 AND state = 'sending' AND lease_owner = ?2)sql");
  s.bind_all(id, owner, to_string(r.state), util::format_iso(r.next_attempt_at),
             int64_t{r.uncertain ? 1 : 0}, int64_t{r.counts ? 0 : 1}, r.code,
             r.reply.empty() ? std::nullopt : std::optional<std::string>(r.reply),
             util::format_iso(now));
  s.run();
  return m_db.changes() == 1;
}

void OutboxStore::release(int64_t id, const std::string& owner) {
  storage::Statement s(m_db, R"sql(
UPDATE outbox SET state = 'queued', lease_owner = NULL, lease_until = NULL,
                  attempts = attempts - 1
WHERE id = ?1 AND state = 'sending' AND lease_owner = ?2)sql");
  s.bind_all(id, owner);
  s.run();
}

void OutboxStore::cancel(int64_t id, const std::string& owner, const std::string& why) {
  storage::Statement s(m_db, R"sql(
UPDATE outbox SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, handed_over_at = NULL,
                  attempts = attempts - 1, last_code = NULL, last_reply = ?3
WHERE id = ?1 AND state = 'sending' AND lease_owner = ?2)sql");
  s.bind_all(id, owner, why);
  s.run();
}

std::optional<OutboxRow> OutboxStore::newer_for_recipient(const OutboxRow& row,
                                                         const std::vector<std::string>& kinds) {
  if (!row.item) {
    return std::nullopt;
  }
  storage::Statement s(m_db, std::string(k_columns) + R"sql(
WHERE item = ?1 AND id > ?2 AND rcpt = ?3 COLLATE NOCASE
  AND kind IN )sql" + storage::sql::json_values(m_db.dialect(), "?4", false) + R"sql(
  AND state IN ('queued', 'sending', 'sent')
ORDER BY id DESC LIMIT 1)sql");
  s.bind_all(*row.item, row.id, row.rcpt, nlohmann::json(kinds).dump());
  if (!s.step()) {
    return std::nullopt;
  }
  return read_row(s);
}

std::optional<OutboxRow> OutboxStore::get(int64_t id) {
  storage::Statement s(m_db, std::string(k_columns) + " WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_row(s);
}

std::string OutboxStore::list_sql(std::optional<OutboxState> state, Message message) {
  std::string sql(k_columns);
  if (message == Message::left_out) {
    sql.replace(sql.find(" message,"), 9, " '',");
  }
  sql += state ? " WHERE state = ?1 ORDER BY id DESC LIMIT ?2" : " ORDER BY id DESC LIMIT ?2";
  return sql;
}

std::vector<OutboxRow> OutboxStore::list(std::optional<OutboxState> state, int limit, Message message) {
  storage::Statement s(m_db, list_sql(state, message));
  s.stream();
  if (state) {
    s.bind(1, to_string(*state));
  }
  s.bind(2, int64_t{limit});
  std::vector<OutboxRow> out;
  while (s.step()) {
    out.push_back(read_row(s));
  }
  return out;
}

bool OutboxStore::retry(int64_t id, util::TimePoint now) {
  storage::Statement s(m_db, R"sql(
UPDATE outbox SET state = 'queued', attempts = 0, first_attempt_at = NULL, next_attempt_at = ?2
WHERE id = ?1 AND state = 'failed')sql");
  s.bind_all(id, util::format_iso(now));
  s.run();
  return m_db.changes() == 1;
}

std::vector<int64_t> OutboxStore::failed_ids() {
  storage::Statement s(m_db, "SELECT id FROM outbox WHERE state = 'failed' ORDER BY id");
  std::vector<int64_t> out;
  while (s.step()) {
    out.push_back(s.int64(0));
  }
  return out;
}

} // namespace practice::mail
