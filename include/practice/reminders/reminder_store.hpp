#pragma once

#include "practice/reminders/planner.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace practice::reminders {

struct TodoEntry {
  std::string kind;
  int64_t id = 0;
  std::string title;
  std::string status;
  util::TimePoint last_notified; // when an email about it last reached the client
};

// The order ReminderStore::each_item reads items in: as the query finds them,
// or by when each item's next reminder falls due (its last notification plus
// its interval, or the end of its account's pause if later; requests before
// approvals, by id, at the same moment). That is the order of the reminders'
// send_at too, which only moves the due moment on to the next allowed one.
enum class ItemOrder { stored, due };

// Which items ReminderStore::each_item reads: every item awaiting a client,
// or those whose own settings leave a reminder to come (reminders on, not
// all sent). The planner has none for the others, so their emails and jobs
// need not be looked up.
enum class ItemSet { all, reminders_left };

// What reminders read and write across the items awaiting a client and the
// outbox. "Reached the client" means an email about the item to a client
// (the request or approval itself, a reminder, a resend; never the firm's
// notices) that the mail server accepted: the outbox's sent_at.
class ReminderStore {
public:
  explicit ReminderStore(storage::Database& db) : m_db(db) {}

  // Every item awaiting a client (requests pending or in progress, approvals
  // pending), of one account or all. last_notified is when an email about it
  // last reached the client (before the outbox knew of any, the item's own
  // record); waiting_since is set when a newer email about it has not
  // reached any of its recipients yet.
  std::vector<Item> items(std::optional<int64_t> account_id);
  // The same items one at a time (100,000 awaiting clients are never held),
  // in the order the query reads them or by when their next reminder is due.
  void each_item(std::optional<int64_t> account_id, ItemSet set, ItemOrder order,
                 const std::function<void(const Item&)>& fn);
  // The one item `kind`:`id`, if it awaits the client.
  std::vector<Item> item(const std::string& kind, int64_t id);

  // Counts one more automatic reminder for `i`, queued at `now`.
  void count_reminder(const Item& i, util::TimePoint now);

  // The account's pending items, most recently reached first.
  std::vector<TodoEntry> todo(int64_t account_id);

  // The statements each_item (of one account when `account_id` is set),
  // item and todo run, for the query-plan tests.
  static std::string items_sql(std::optional<int64_t> account_id, ItemSet set, ItemOrder order,
                               storage::Dialect d = storage::Dialect::sqlite);
  static std::string item_sql(const std::string& kind);
  static std::string todo_sql();

private:

  storage::Database& m_db;
};

} // namespace practice::reminders
