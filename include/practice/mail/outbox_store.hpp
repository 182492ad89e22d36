#pragma once

#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace practice::mail {

enum class OutboxState { queued, sending, sent, failed, cancelled };
std::string_view to_string(OutboxState s);
std::optional<OutboxState> parse_outbox_state(std::string_view s);

struct OutboxRow {
  int64_t id = 0;
  std::string dedupe_key;
  std::string kind; // "test", "request_sent", "reminder", "notice", ...
  std::optional<std::string> item;
  std::optional<int64_t> account_id;
  std::string rcpt;
  std::string message_id;
  std::string subject;
  std::string message; // the rendered RFC 5322 bytes; once dated_at is set, its Date header says so
  OutboxState state = OutboxState::queued;
  int64_t attempts = 0;
  int64_t uncertain = 0;
  util::TimePoint next_attempt_at;
  std::optional<util::TimePoint> first_attempt_at;
  std::optional<std::string> lease_owner;
  std::optional<util::TimePoint> lease_until;
  std::optional<int64_t> last_code;
  std::optional<std::string> last_reply;
  util::TimePoint created_at;
  std::optional<util::TimePoint> sent_at;
  std::optional<util::TimePoint> dated_at;       // first handed to the server: the Date header, kept on retries
  std::optional<util::TimePoint> handed_over_at; // an attempt is past its final dot, its result unrecorded
  std::optional<util::TimePoint> claimed_at;     // rows from claim(): when this run claimed it (not stored)
};

// The last reply as `practice outbox` shows it: the server's reply line once
// (its code is part of it), or the reason an attempt ended without one,
// followed by the last reply code seen when there was one; "-" when nothing
// is known yet. Pure.
std::string last_reply_text(const OutboxRow& r);

struct NewMessage {
  std::string dedupe_key;
  std::string kind;
  std::optional<std::string> item;
  std::optional<int64_t> account_id;
  std::string rcpt;
  std::string message_id;
  std::string subject;
  std::string message;
};

// What a delivery attempt ended in, as the outbox records it.
struct AttemptResult {
  OutboxState state = OutboxState::queued; // sent, failed, or queued for a retry
  util::TimePoint next_attempt_at;         // for queued
  bool uncertain = false;                  // the final reply was lost (RFC 1047)
  bool counts = true;                      // false: the attempt never reached the message
  std::optional<int64_t> code;
  std::string reply;
};

// The outbox table. No transactions here: callers own them (enqueue inside
// the command's transaction; claim and record each in a short one).
class OutboxStore {
public:
  explicit OutboxStore(storage::Database& db) : m_db(db) {}

  // Inserts unless a row with the same dedupe key exists. Returns the new id,
  // or nullopt when it was a duplicate.
  std::optional<int64_t> enqueue(const NewMessage& m, util::TimePoint now);

  // Leases up to `limit` due rows to `owner` until `lease_until`, counting an
  // attempt for each: queued rows due by `now`, and other owners' rows still
  // 'sending' whose lease has expired or whose owner is in `dead_owners`. With `only`, just
  // those ids. A row taken over while its previous owner was past the final
  // dot (handed_over_at set) gets uncertain + 1: the server may have it
  // already. Each returned row has claimed_at = `now`.
  std::vector<OutboxRow> claim(const std::string& owner, util::TimePoint now,
                               util::TimePoint lease_until, int limit,
                               const std::vector<std::string>& dead_owners,
                               const std::optional<std::vector<int64_t>>& only);

  // Owners of rows now in 'sending'.
  std::vector<std::string> sending_owners();

  // Just before `owner` lets the message past its final dot at `now`: fixes
  // its Date at `date` unless an earlier attempt did, marks the attempt as
  // handed over and holds the lease at least until `lease_until`. Returns
  // false, changing nothing, when `owner` no longer holds the row (another
  // run took it over): the send must then be abandoned.
  bool mark_handed_over(int64_t id, const std::string& owner, util::TimePoint date, util::TimePoint now,
                        util::TimePoint lease_until);

  // Records an attempt's result if `owner` still holds the lease; false if it
  // lost it. An attempt that does not count (the server was not reached)
  // keeps the schedule and history but still records its reason.
  bool record(int64_t id, const std::string& owner, const AttemptResult& r, util::TimePoint now);

  // Gives a claimed row back untried (the run stopped before it): queued, the
  // attempt not counted.
  void release(int64_t id, const std::string& owner);

  // Marks a claimed row cancelled (the message no longer applies).
  void cancel(int64_t id, const std::string& owner, const std::string& why);

  // The newest row queued after `row` for the same item and recipient
  // (letter case aside) whose kind is one of `kinds` and that is queued,
  // sending or sent; nullopt when there is none.
  std::optional<OutboxRow> newer_for_recipient(const OutboxRow& row, const std::vector<std::string>& kinds);

  std::optional<OutboxRow> get(int64_t id);
  // Up to `limit` rows, newest first, of one state or (nullopt) of all; with
  // Message::left_out, each row's message text is left empty (a listing of
  // the outbox shows none, and reading it costs more than the rest).
  enum class Message { included, left_out };
  std::vector<OutboxRow> list(std::optional<OutboxState> state, int limit, Message message = Message::included);
  // The statement list() runs, for the query-plan tests.
  static std::string list_sql(std::optional<OutboxState> state, Message message);

  // Puts a failed row back in the queue, due now, with a fresh attempt count.
  bool retry(int64_t id, util::TimePoint now);
  std::vector<int64_t> failed_ids();

private:
  storage::Database& m_db;
};

} // namespace practice::mail
