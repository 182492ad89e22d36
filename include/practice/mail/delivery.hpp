#pragma once

#include "practice/mail/outbox_store.hpp"
#include "practice/mail/transport.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/clock.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace practice::mail {

// Retry policy (reliability.md §2.5): about 5 minutes doubling to 4 hours,
// jittered by a factor in [0.5, 1.5); failed after 8 attempts or 3 days.
inline constexpr int k_max_attempts = 8;
inline constexpr std::chrono::hours k_give_up_after{72};
inline constexpr int k_max_connection_failures = 3;

// What to record after `outcome` on attempt number `attempts` (1 = first). Pure.
AttemptResult plan_after(Outcome outcome, int64_t attempts, util::TimePoint first_attempt,
                         util::TimePoint now, double jitter);

// The delay before attempt `attempts + 1`, without jitter. Pure.
std::chrono::seconds backoff(int64_t attempts);

struct DeliveryReport {
  int claimed = 0;
  int sent = 0;
  int deferred = 0; // left queued for a later run (4xx, unknown, unreachable, stopped)
  int failed = 0;
  int cancelled = 0;
  int uncertain = 0; // attempts whose final reply was lost
  bool stopped = false;
  Outcome stop_outcome = Outcome::sent; // stop_temp, stop_config or connection when stopped
  std::string stop_reason;
};

enum class HoldsRunLock { no, yes };

struct DeliveryOptions {
  std::optional<std::vector<int64_t>> only; // just these rows (a command's own messages)
  int limit = 0;                            // at most this many claims; 0: no limit
  int batch = 20;
  int connections = 1; // messages in flight at once, when the transport offers another()
  std::chrono::seconds lease{std::chrono::minutes(30)};
  HoldsRunLock run_lock = HoldsRunLock::no;
};

// Called for each claimed row in the claiming transaction. Returns a reason
// when the message no longer applies (the reminder of a request the client
// has meanwhile submitted): it is cancelled, not sent. Otherwise it may put
// into `row.message` the secrets the stored message leaves out (a one-time
// code): they are sent but never stored.
using StillApplies = std::function<std::optional<std::string>(storage::Database&, OutboxRow&)>;

// Delivers due messages: claims small batches under a lease in short write
// transactions, sends with no transaction open, and records each result in
// its own transaction guarded by the lease. A crashed run's rows are taken
// over when their lease expires or, while this run holds the run lock, at
// once when their owner process is gone.
//
// A message goes out dated now unless an earlier attempt handed it over
// already (its dated_at). At the hand-over gate, just before its final dot,
// the delivering thread records the hand-over in a commit of its own: the
// Date, kept from then on, and a mark that makes a run taking the row over
// after a kill count it uncertain; the lease is stretched to cover the
// transport's longest_reply(). If another run has taken the row meanwhile,
// the send is abandoned there, undelivered.
//
// With `connections` > 1, that many sender threads each keep a connection of
// their own (Transport::another) while this thread alone touches the
// database. The run starts with one connection and opens the others after the
// first conversation with the server went through, so a wrong password or a
// dead server costs one attempt, not one per connection; an extra connection
// the server turns away lowers the parallelism instead of stopping the run.
// The hand-over gate lets one message at a time past its final dot until its
// result is committed: a kill leaves at most one duplicate, as with one
// connection.
DeliveryReport deliver(storage::Database& db, const util::Clock& clock, Transport& transport,
                       const std::string& from, const DeliveryOptions& options,
                       const StillApplies& still_applies);

} // namespace practice::mail
