#pragma once

#include "practice/accounts/session.hpp"
#include "practice/mail/delivery.hpp"
#include "practice/reminders/planner.hpp"
#include "practice/reminders/reminder_store.hpp"
#include "practice/requests/requests.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

// Automatic reminders for every action item awaiting a client, and the
// client's to-do list.
namespace practice::reminders {

// Every item awaiting a client (requests pending or in progress, approvals
// pending), of one account or all, with its reminder state (ReminderStore::items).
std::vector<Item> load_items(storage::Database& db, std::optional<int64_t> account_id);
// The one item `kind`:`id`, if it awaits the client.
std::vector<Item> load_items(storage::Database& db, std::optional<int64_t> account_id,
                             const std::optional<std::string>& kind, int64_t id);

// The firm's calendar from config (reads the holidays file).
Calendar calendar_from(const config::Config& config, const std::string& base_dir);

enum class DryRun { no, yes };

struct RunResult {
  std::vector<Planned> due;        // sent (or, dry, would be)
  std::vector<int64_t> outbox_ids; // queued emails
};

// Queues every due reminder (at most `limit`; 0: all): one email per
// recipient, a dedupe key per item, reminder number and address, so a second
// run at the same moment queues nothing; counts it and moves the item's last
// notification. Audited as the system. With DryRun::yes, changes nothing.
RunResult queue_due(accounts::Session& s, const requests::Env& env, const Calendar& c, int limit, DryRun dry);

// The reminders due at `now` (at most `limit`; 0: all), planned once: for a
// caller that queues them in batches (queue_planned), each its own transaction.
std::vector<Planned> due_reminders(storage::Database& db, const Calendar& c, util::TimePoint now, int limit);
// The same reminders in the same order, one at a time (remind --run --dry-run
// over every item awaiting a client holds none of them).
void each_due(storage::Database& db, const Calendar& c, util::TimePoint now, int limit,
              const std::function<void(const Planned&)>& fn);

// Every reminder still to come (of one account or all), by when it goes out;
// at the same moment requests before approvals, by id. One at a time: only
// the reminders of one moment are held (remind --list).
void each_scheduled(storage::Database& db, std::optional<int64_t> account_id, const Calendar& c, util::TimePoint now,
                    const std::function<void(const Planned&)>& fn);
// Queues reminders planned by due_reminders, as queue_due does, in the
// caller's transaction. One that meanwhile stopped applying is still queued
// and then cancelled at delivery (still_applies); one a concurrent run
// already queued (its emails' dedupe keys taken) is skipped, not counted.
RunResult queue_planned(accounts::Session& s, const requests::Env& env, std::vector<Planned> batch);

// For delivery: cancels a queued reminder whose item no longer awaits the
// client (submitted, approved, cancelled, job archived, account paused), and
// one superseded by a newer reminder or resend to the same recipient for the
// same item, so that after an outage each client gets the newest alone. A
// superseded reminder stays counted as used; its cancellation is audited as
// the system at the row's claimed_at (else its created_at).
mail::StillApplies still_applies();

// The client's pending items, most recently notified first: by when an email
// about each last reached the client (ReminderStore::todo).
std::vector<TodoEntry> todo(storage::Database& db, int64_t account_id);

} // namespace practice::reminders
