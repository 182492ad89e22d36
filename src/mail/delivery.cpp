#include "practice/mail/delivery.hpp"

#include "practice/util/random.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace practice::mail {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) {
    return "localhost";
  }
  return buf;
}

// "host:pid:random": unique per run, and tells a later run on the same host
// whether the owner still lives.
std::string make_owner(const std::string& host) {
  return fmt::format("{}:{}:{}", host, ::getpid(), util::base32(util::random_bytes(5)));
}

std::vector<std::string> dead_owners(OutboxStore& store, const std::string& host) {
  std::vector<std::string> dead;
  for (const auto& owner : store.sending_owners()) {
    const auto first = owner.find(':');
    const auto second = owner.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos ||
        owner.substr(0, first) != host) {
      continue;
    }
    const long pid = std::strtol(owner.c_str() + first + 1, nullptr, 10);
    if (pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      dead.push_back(owner);
    }
  }
  return dead;
}

} // namespace

std::chrono::seconds backoff(int64_t attempts) {
  const int64_t base = 300;
  const int64_t cap = 4 * 3600;
  int64_t delay = base;
  for (int64_t i = 1; i < attempts && delay < cap; ++i) {
    delay *= 2;
  }
  return std::chrono::seconds(std::min(delay, cap));
}

AttemptResult plan_after(Outcome outcome, int64_t attempts, util::TimePoint first_attempt,
                         util::TimePoint now, double jitter) {
  AttemptResult r;
  r.next_attempt_at = now;
  switch (outcome) {
  case Outcome::sent:
    r.state = OutboxState::sent;
    return r;
  case Outcome::permanent:
    r.state = OutboxState::failed;
    return r;
  case Outcome::connection:
  case Outcome::stop_temp:
  case Outcome::stop_config:
    // Not the message's fault: due again at once, the attempt not counted.
    r.state = OutboxState::queued;
    r.counts = false;
    return r;
  case Outcome::temporary:
  case Outcome::unknown:
    break;
  }
  r.uncertain = outcome == Outcome::unknown;
  if (attempts >= k_max_attempts || now - first_attempt >= k_give_up_after) {
    r.state = OutboxState::failed;
    return r;
  }
  r.state = OutboxState::queued;
  const auto delay = std::chrono::duration<double>(backoff(attempts)) * (0.5 + jitter);
  r.next_attempt_at = now + std::chrono::duration_cast<std::chrono::seconds>(delay);
  return r;
}

DeliveryReport deliver(storage::Database& db, const util::Clock& clock, Transport& transport,
                       const std::string& from, const DeliveryOptions& options,
                       const StillApplies& still_applies) {
  DeliveryReport report;
  OutboxStore store(db);
  // Results are recorded one commit per message, so a kill loses at most the
  // one in flight. synchronous=NORMAL makes those commits WAL appends without
  // an fsync each: durable against a killed process (the cron failure mode);
  // a power cut could roll back the last few "sent" marks, which means a
  // duplicate with the same Message-ID, never a lost message.
  db.exec("PRAGMA synchronous=NORMAL");
  struct RestoreFull {
    storage::Database& db;
    ~RestoreFull() { sqlite3_exec(db.handle(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr); }
  } restore{db};
  const std::string host = host_name();
  const std::string owner = make_owner(host);
  int connection_failures = 0;
  std::set<int64_t> tried; // a row goes to the server at most once per run
  while (!report.stopped) {
    int want = options.batch;
    if (options.limit > 0) {
      want = std::min(want, options.limit - report.claimed);
      if (want <= 0) {
        break;
      }
    }
    std::vector<OutboxRow> rows;
    {
      storage::Transaction tx(db, storage::TxMode::write);
      const auto now = clock.now();
      const auto dead = options.run_lock == HoldsRunLock::yes ? dead_owners(store, host)
                                                              : std::vector<std::string>{};
      rows = store.claim(owner, now, now + options.lease, want, dead, options.only);
      // Re-check in the same transaction that the messages still apply.
      std::erase_if(rows, [&](const OutboxRow& row) {
        if (!still_applies) {
          return false;
        }
        if (const auto why = still_applies(db, row)) {
          store.cancel(row.id, owner, *why);
          ++report.cancelled;
          return true;
        }
        return false;
      });
      std::erase_if(rows, [&](const OutboxRow& row) {
        if (tried.count(row.id) != 0) {
          store.release(row.id, owner);
          return true;
        }
        return false;
      });
      tx.commit();
    }
    if (rows.empty()) {
      break;
    }
    for (const auto& row : rows) {
      tried.insert(row.id);
    }
    report.claimed += static_cast<int>(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const OutboxRow& row = rows[i];
      if (report.stopped) {
        storage::Transaction tx(db, storage::TxMode::write);
        store.release(row.id, owner);
        tx.commit();
        ++report.deferred;
        continue;
      }
      const SendResult sent = transport.send(from, row.rcpt, row.message, row.message_id);
      const auto now = clock.now();
      const bool retry = sent.outcome == Outcome::temporary || sent.outcome == Outcome::unknown;
      AttemptResult r = plan_after(sent.outcome, row.attempts, row.first_attempt_at.value_or(now),
                                   now, retry ? util::random_unit() : 0.5);
      r.code = sent.code;
      r.reply = sent.reply;
      {
        storage::Transaction tx(db, storage::TxMode::write);
        store.record(row.id, owner, r, now);
        tx.commit();
      }
      switch (r.state) {
      case OutboxState::sent:
        ++report.sent;
        break;
      case OutboxState::failed:
        ++report.failed;
        break;
      default:
        ++report.deferred;
        break;
      }
      report.uncertain += r.uncertain ? 1 : 0;
      if (sent.outcome == Outcome::connection) {
        if (++connection_failures >= k_max_connection_failures) {
          report.stopped = true;
          report.stop_outcome = Outcome::connection;
          report.stop_reason = sent.reply;
        }
      } else {
        connection_failures = 0;
      }
      if (sent.outcome == Outcome::stop_temp || sent.outcome == Outcome::stop_config) {
        report.stopped = true;
        report.stop_outcome = sent.outcome;
        report.stop_reason = sent.reply;
      }
    }
  }
  return report;
}

} // namespace practice::mail
