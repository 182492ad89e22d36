#include "practice/mail/delivery.hpp"

#include "practice/mail/message.hpp"
#include "practice/util/random.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <set>
#include <thread>
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

// Sender threads, each with a transport (a connection) of its own. The
// calling thread hands them rows and takes back results; only it touches the
// database. One token, taken at the hand-over gate and given back once the
// result is recorded, keeps a single message at a time between its final dot
// and its commit. At the gate the calling thread records the hand-over
// (`handover`, which must not throw) before the final dot goes out.
class Senders {
public:
  using Handover = std::function<bool(const OutboxRow&)>;

  struct Done {
    OutboxRow row;
    SendResult result;
    bool gated = false;   // took the token: give it back once recorded
    bool retired = false; // its sender turned away for good (see deliver)
    std::exception_ptr error;
  };

  Senders(Transport& first, std::string from, int wanted, Handover handover)
      : m_from(std::move(from)), m_handover(std::move(handover)) {
    m_transports.push_back(&first);
    for (int i = 1; i < wanted; ++i) {
      auto t = first.another();
      if (!t) {
        break;
      }
      m_transports.push_back(t.get());
      m_owned.push_back(std::move(t));
    }
  }

  Senders(const Senders&) = delete;
  Senders& operator=(const Senders&) = delete;

  ~Senders() {
    {
      const std::lock_guard lock(m_mutex);
      m_closing = true; // gates now refuse: nothing more is handed over
    }
    m_work.notify_all();
    m_token.notify_all();
    m_answer.notify_all();
    for (auto& t : m_threads) {
      t.join();
    }
    m_transports.front()->set_handover_gate(nullptr); // the caller's
  }

  int capacity() const { return static_cast<int>(m_transports.size()); }

  // How many rows may be in flight: one until open(), then one per sender
  // still in service.
  int slots() const {
    const std::lock_guard lock(m_mutex);
    return m_slots;
  }

  void open() {
    const std::lock_guard lock(m_mutex);
    m_slots = capacity() - m_retired;
  }

  void submit(OutboxRow row) {
    if (capacity() == 1) {
      // One connection: send right here. Each result is recorded before the
      // next send starts, so the gate only records the hand-over, on this
      // thread, and there are no thread hand-offs.
      Done d;
      Transport& t = *m_transports.front();
      t.set_handover_gate([this, &row] { return m_handover(row); });
      d.result = t.send(m_from, row.rcpt, row.message, row.message_id);
      t.set_handover_gate(nullptr);
      d.row = std::move(row);
      const std::lock_guard lock(m_mutex);
      m_done.push_back(std::move(d));
      return;
    }
    const std::lock_guard lock(m_mutex);
    m_jobs.push_back(std::move(row));
    if (static_cast<int>(m_threads.size()) - m_retired < m_slots &&
        static_cast<int>(m_threads.size()) < capacity()) {
      Transport& t = *m_transports[m_threads.size()];
      m_threads.emplace_back([this, &t] { run(t); });
    }
    m_work.notify_one();
  }

  // The next result; meanwhile records the hand-over a sender asks for.
  Done next() {
    std::unique_lock lock(m_mutex);
    for (;;) {
      m_done_cv.wait(lock, [&] { return !m_done.empty() || m_asked == Asked::asked; });
      if (m_asked == Asked::asked) {
        const OutboxRow& row = *m_asked_row;
        lock.unlock();
        const bool granted = m_handover(row);
        lock.lock();
        m_asked = granted ? Asked::granted : Asked::refused;
        m_answer.notify_all();
        continue;
      }
      Done d = std::move(m_done.front());
      m_done.pop_front();
      return d;
    }
  }

  void give_back_token() {
    {
      const std::lock_guard lock(m_mutex);
      m_token_taken = false;
    }
    m_token.notify_one();
  }

private:
  void run(Transport& t) {
    bool gated = false;
    const OutboxRow* current = nullptr;
    t.set_handover_gate([this, &gated, &current] {
      std::unique_lock lock(m_mutex);
      m_token.wait(lock, [&] { return !m_token_taken || m_closing; });
      if (m_closing) {
        return false;
      }
      m_token_taken = true;
      gated = true;
      // Only the token holder asks, so one question at a time.
      m_asked_row = current;
      m_asked = Asked::asked;
      m_done_cv.notify_one();
      m_answer.wait(lock, [&] { return m_asked != Asked::asked || m_closing; });
      const bool granted = m_asked == Asked::granted;
      m_asked = Asked::none;
      m_asked_row = nullptr;
      return granted;
    });
    struct Ungate {
      Transport& t;
      ~Ungate() { t.set_handover_gate(nullptr); }
    } ungate{t};
    for (;;) {
      Done d;
      {
        std::unique_lock lock(m_mutex);
        m_work.wait(lock, [&] { return !m_jobs.empty() || m_closing; });
        if (m_closing) {
          return;
        }
        d.row = std::move(m_jobs.front());
        m_jobs.pop_front();
      }
      gated = false;
      current = &d.row;
      try {
        d.result = t.send(m_from, d.row.rcpt, d.row.message, d.row.message_id);
      } catch (...) {
        d.error = std::current_exception();
      }
      d.gated = gated;
      const bool turned_away =
          !d.error && (d.result.outcome == Outcome::connection || d.result.outcome == Outcome::stop_temp);
      bool retired = false;
      {
        const std::lock_guard lock(m_mutex);
        // While other senders are in service, one the server will not talk
        // to leaves: the server's limit on connections is lower than ours.
        retired = turned_away && m_slots > 1;
        if (retired) {
          --m_slots;
          ++m_retired;
        }
        d.retired = retired;
        m_done.push_back(std::move(d));
      }
      m_done_cv.notify_one();
      if (retired) {
        return;
      }
    }
  }

  enum class Asked { none, asked, granted, refused };

  std::string m_from;
  Handover m_handover;
  std::vector<Transport*> m_transports;
  std::vector<std::unique_ptr<Transport>> m_owned;
  std::vector<std::thread> m_threads;
  mutable std::mutex m_mutex;
  std::condition_variable m_work, m_done_cv, m_token, m_answer;
  Asked m_asked = Asked::none;
  const OutboxRow* m_asked_row = nullptr;
  std::deque<OutboxRow> m_jobs;
  std::deque<Done> m_done;
  int m_slots = 1;
  int m_retired = 0;
  bool m_token_taken = false;
  bool m_closing = false;
};

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
  // one in flight. Relaxed sync makes those commits WAL appends without an
  // fsync each: durable against a killed process (the cron failure mode); a
  // power cut could roll back the last few "sent" marks, which means a
  // duplicate with the same Message-ID, never a lost message.
  storage::RelaxedSync relaxed(db);
  const std::string host = host_name();
  const std::string owner = make_owner(host);
  int connection_failures = 0;
  std::set<int64_t> tried; // a row goes to the server at most once per run (but see retired)
  std::set<int64_t> retried; // given back by a turned-away connection, not yet claimed again
  std::deque<OutboxRow> pending; // claimed, not yet handed to a sender
  bool exhausted = false;
  bool opened = false;
  int in_flight = 0;
  // Past its gate a message may wait for the server's final reply as long
  // as the transport allows: its lease covers that much at least.
  const auto handover_lease =
      std::max<std::chrono::seconds>(options.lease, transport.longest_reply() + std::chrono::minutes(1));
  std::exception_ptr handover_error;
  // Runs on this thread (the database's), just before a message's final dot.
  const auto handover = [&](const OutboxRow& row) -> bool {
    try {
      const auto now = clock.now();
      storage::Transaction tx(db, storage::TxMode::write);
      const bool held = store.mark_handed_over(row.id, owner, row.dated_at.value_or(now), now, now + handover_lease);
      tx.commit();
      return held; // false: another run took the row over, so this one must not send it
    } catch (...) {
      // It is called from inside a transport (libcurl's callback): no
      // exception may pass; the send is abandoned and the error rethrown below.
      handover_error = std::current_exception();
      return false;
    }
  };
  Senders senders(transport, from, std::max(1, options.connections), handover);

  // The Date a message goes out with: the time it is first handed to the
  // server, kept by every later attempt (read back from dated_at).
  const auto dated = [&](OutboxRow row) {
    if (!row.dated_at) {
      row.dated_at = clock.now();
      row.message = with_date(row.message, *row.dated_at);
    }
    return row;
  };

  // Claims up to one batch into `pending`; marks `exhausted` when nothing is left.
  const auto claim_more = [&] {
    int want = options.batch;
    if (options.limit > 0) {
      want = std::min(want, options.limit - report.claimed);
      if (want <= 0) {
        exhausted = true;
        return;
      }
    }
    storage::Transaction tx(db, storage::TxMode::write);
    const auto now = clock.now();
    const auto dead = options.run_lock == HoldsRunLock::yes ? dead_owners(store, host)
                                                            : std::vector<std::string>{};
    auto rows = store.claim(owner, now, now + options.lease, want, dead, options.only);
    const int cancelled_before = report.cancelled;
    for (auto& row : rows) {
      retried.erase(row.id);
      if (tried.count(row.id) != 0) {
        store.release(row.id, owner);
        continue;
      }
      // Re-checked in the same transaction that the message still applies.
      if (still_applies) {
        if (const auto why = still_applies(db, row)) {
          store.cancel(row.id, owner, *why);
          ++report.cancelled;
          continue;
        }
      }
      tried.insert(row.id);
      ++report.claimed;
      pending.push_back(std::move(row));
    }
    tx.commit();
    exhausted = pending.empty() && report.cancelled == cancelled_before;
  };

  for (;;) {
    if (!report.stopped && !exhausted && static_cast<int>(pending.size()) < senders.capacity()) {
      claim_more();
    }
    while (!report.stopped && !pending.empty() && in_flight < senders.slots()) {
      senders.submit(dated(std::move(pending.front())));
      pending.pop_front();
      ++in_flight;
    }
    if (in_flight == 0) {
      if (report.stopped || (exhausted && pending.empty())) {
        break;
      }
      continue;
    }
    Senders::Done d = senders.next();
    --in_flight;
    if (d.error) {
      std::rethrow_exception(d.error);
    }
    if (handover_error) {
      // The row stays 'sending' unmarked: a later run takes it over.
      std::rethrow_exception(handover_error);
    }
    const SendResult& sent = d.result;
    const OutboxRow& row = d.row;
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
    if (d.gated) {
      senders.give_back_token();
    }
    if (d.retired) {
      // An extra connection turned away: the message is due again at once
      // and goes out over a connection that works, in this run.
      tried.erase(row.id);
      retried.insert(row.id);
      --report.claimed; // counted again when claimed again
      exhausted = false;
      continue;
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
      if (++connection_failures >= k_max_connection_failures && !report.stopped) {
        report.stopped = true;
        report.stop_outcome = Outcome::connection;
        report.stop_reason = sent.reply;
      }
    } else {
      connection_failures = 0;
    }
    if ((sent.outcome == Outcome::stop_temp || sent.outcome == Outcome::stop_config) && !report.stopped) {
      report.stopped = true;
      report.stop_outcome = sent.outcome;
      report.stop_reason = sent.reply;
    }
    if (!opened && !report.stopped && sent.outcome != Outcome::connection) {
      // The server talked to us: open the other connections.
      opened = true;
      senders.open();
    }
  }
  // Given back by a turned-away connection and not claimed again (the run stopped).
  report.deferred += static_cast<int>(retried.size());
  if (!pending.empty()) {
    storage::Transaction tx(db, storage::TxMode::write);
    for (const auto& row : pending) {
      store.release(row.id, owner);
    }
    tx.commit();
    report.deferred += static_cast<int>(pending.size());
  }
  return report;
}

} // namespace practice::mail
