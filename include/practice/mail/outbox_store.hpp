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
  std::string message; // the rendered RFC 5322 bytes
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
};

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
  // attempt for each: queued rows due by `now`, and rows still 'sending' whose
  // lease has expired or whose owner is in `dead_owners`. With `only`, just
  // those ids.
  std::vector<OutboxRow> claim(const std::string& owner, util::TimePoint now,
                               util::TimePoint lease_until, int limit,
                               const std::vector<std::string>& dead_owners,
                               const std::optional<std::vector<int64_t>>& only);

  // Owners of rows now in 'sending'.
  std::vector<std::string> sending_owners();

  // Records an attempt's result if `owner` still holds the lease; false if it lost it.
  bool record(int64_t id, const std::string& owner, const AttemptResult& r, util::TimePoint now);

  // Gives a claimed row back untried (the run stopped before it): queued, the
  // attempt not counted.
  void release(int64_t id, const std::string& owner);

  // Marks a claimed row cancelled (the message no longer applies).
  void cancel(int64_t id, const std::string& owner, const std::string& why);

  std::optional<OutboxRow> get(int64_t id);
  std::vector<OutboxRow> list(std::optional<OutboxState> state, int limit);

  // Puts a failed row back in the queue, due now, with a fresh attempt count.
  bool retry(int64_t id, util::TimePoint now);
  std::vector<int64_t> failed_ids();

private:
  storage::Database& m_db;
};

} // namespace practice::mail
