#include "../support/db.hpp"

#include "practice/mail/delivery.hpp"
#include "practice/mail/message.hpp"
#include "practice/mail/outbox_store.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <thread>

using namespace practice;
using namespace practice::mail;
using namespace std::chrono_literals;

namespace {

int64_t queue_row(storage::Database& db, const std::string& rcpt, util::TimePoint now,
                  const std::string& kind = "test", const std::optional<std::string>& item = std::nullopt,
                  const std::string& key = "") {
  Message m;
  m.from = {"Acme CPA", "office@acme.test"};
  m.to = {"", rcpt};
  m.subject = "Reminder";
  m.body = "Hello";
  m.message_id = new_message_id("acme.test");
  m.date = now;
  NewMessage n;
  n.dedupe_key = key.empty() ? "k:" + m.message_id : key;
  n.kind = kind;
  n.item = item;
  n.rcpt = rcpt;
  n.message_id = m.message_id;
  n.subject = m.subject;
  n.message = render(m);
  return *OutboxStore(db).enqueue(n, now);
}

// A transport that goes through the hand-over gate as SMTP does (unless told
// the server is not there) and keeps what it was given.
class GatedTransport final : public Transport {
public:
  Outcome next = Outcome::sent;
  std::vector<std::string> messages;
  SendResult send(std::string_view, std::string_view, std::string_view message, std::string_view) override {
    if (next == Outcome::connection) {
      return {next, std::nullopt, "Failed to connect"};
    }
    if (!pass_handover_gate()) {
      return {Outcome::temporary, std::nullopt, "abandoned"};
    }
    messages.emplace_back(message);
    return {next, next == Outcome::sent ? 250 : 451, next == Outcome::sent ? "250 OK" : "451 4.7.1 later"};
  }
  std::string describe() const override { return "gated"; }
};

std::string date_line(const std::string& message) { return message.substr(0, message.find("\r\n")); }

} // namespace

TEST_CASE("the last reply is shown once, or the reason an attempt ended without one", "[outbox]") {
  OutboxRow r;
  CHECK(last_reply_text(r) == "-");
  r.last_code = 500;
  r.last_reply = "500 5.5.1 Error";
  CHECK(last_reply_text(r) == "500 5.5.1 Error"); // not "500 500 5.5.1 Error"
  r.last_code = std::nullopt;
  r.last_reply = "Failed to connect to relay.acme.test port 587: Couldn't connect to server";
  CHECK(last_reply_text(r) == "Failed to connect to relay.acme.test port 587: Couldn't connect to server");
  r.last_code = 354;
  r.last_reply = "no reply after the final dot: Recv failure";
  CHECK(last_reply_text(r) == "no reply after the final dot: Recv failure (last reply 354)");
  r.last_reply = std::nullopt;
  r.last_code = 451;
  CHECK(last_reply_text(r) == "451");
}

TEST_CASE("an attempt that never reached the server records its reason, not an attempt", "[outbox]") {
  auto db = test::memory_db();
  const auto t0 = test::at("2026-12-04T10:00:00Z");
  const auto id = queue_row(*db, "a@x.test", t0);
  OutboxStore store(*db);
  REQUIRE(store.claim("run", t0, t0 + 10min, 10, {}, std::nullopt).size() == 1);
  AttemptResult greylisted;
  greylisted.state = OutboxState::queued;
  greylisted.next_attempt_at = t0 + 5min;
  greylisted.code = 451;
  greylisted.reply = "451 4.7.1 later";
  REQUIRE(store.record(id, "run", greylisted, t0));
  const auto t1 = t0 + 1h;
  REQUIRE(store.claim("run2", t1, t1 + 10min, 10, {}, std::nullopt).size() == 1);
  AttemptResult refused;
  refused.state = OutboxState::queued;
  refused.next_attempt_at = t1;
  refused.counts = false;
  refused.reply = "Failed to connect to 127.0.0.1 port 2525: Couldn't connect to server";
  REQUIRE(store.record(id, "run2", refused, t1));
  const auto row = store.get(id);
  CHECK(row->attempts == 1);                 // the refusal is not counted
  CHECK(row->next_attempt_at == t0 + 5min);  // nor does it move the schedule
  CHECK_FALSE(row->last_code);               // no reply: no code
  CHECK(row->last_reply == refused.reply);
}

TEST_CASE("the Date is the first hand-over's, kept by every retry", "[outbox]") {
  auto db = test::memory_db();
  const auto queued_at = test::at("2026-12-04T10:00:00Z");
  const auto id = queue_row(*db, "a@x.test", queued_at);
  util::FixedClock clock(queued_at);
  GatedTransport t;

  // The server is down on the 4th: nothing is handed over, nothing dated.
  t.next = Outcome::connection;
  deliver(*db, clock, t, "office@acme.test", {}, nullptr);
  CHECK_FALSE(OutboxStore(*db).get(id)->dated_at);

  // Up on the 8th, but greylisting: handed over (and refused) at 10:00...
  clock.set(test::at("2026-12-08T10:00:00Z"));
  t.next = Outcome::temporary;
  deliver(*db, clock, t, "office@acme.test", {}, nullptr);
  REQUIRE(t.messages.size() == 1);
  CHECK(date_line(t.messages[0]) == "Date: Tue, 08 Dec 2026 10:00:00 +0000");
  CHECK(OutboxStore(*db).get(id)->dated_at == clock.now());

  // ...and accepted at 11:00 with the same Date.
  clock.set(test::at("2026-12-08T11:00:00Z"));
  t.next = Outcome::sent;
  deliver(*db, clock, t, "office@acme.test", {}, nullptr);
  REQUIRE(t.messages.size() == 2);
  CHECK(t.messages[1] == t.messages[0]);
  const auto row = OutboxStore(*db).get(id);
  CHECK(row->state == OutboxState::sent);
  CHECK(row->message == t.messages[1]); // what `outbox show --raw` prints is what went out
  CHECK_FALSE(row->handed_over_at);
}

TEST_CASE("a row taken over past its final dot is flagged uncertain, one taken over before it is not", "[outbox]") {
  auto db = test::memory_db();
  const auto t0 = test::at("2026-12-04T10:00:00Z");
  const auto past = queue_row(*db, "a@x.test", t0);
  const auto before = queue_row(*db, "b@x.test", t0);
  OutboxStore store(*db);
  REQUIRE(store.claim("host:1:x", t0, t0 + 10min, 10, {}, std::nullopt).size() == 2);
  REQUIRE(store.mark_handed_over(past, "host:1:x", t0, t0, t0 + 20min));
  CHECK(store.get(past)->lease_until == t0 + 20min); // held while the final reply may take
  CHECK(store.get(past)->dated_at == t0);
  // The owner dies; a run taking its rows over at once.
  const auto t1 = t0 + 1min;
  const auto rows = store.claim("run-b", t1, t1 + 10min, 10, {"host:1:x"}, std::nullopt);
  REQUIRE(rows.size() == 2);
  CHECK(store.get(past)->uncertain == 1);
  CHECK_FALSE(store.get(past)->handed_over_at);
  CHECK(store.get(before)->uncertain == 0);
  for (const auto& r : rows) {
    CHECK(r.claimed_at == t1);
  }
  // The dead owner's hand-over, were it to come, is refused: the row is run B's.
  CHECK_FALSE(store.mark_handed_over(before, "host:1:x", t1, t1, t1 + 20min));
  CHECK(store.mark_handed_over(before, "run-b", t1, t1, t1 + 20min));
}

TEST_CASE("a run never takes back its own rows when their lease runs out in its batch", "[outbox]") {
  auto db = test::memory_db();
  const auto t0 = test::at("2026-12-04T10:00:00Z");
  queue_row(*db, "a@x.test", t0);
  OutboxStore store(*db);
  REQUIRE(store.claim("run-a", t0, t0 + 1min, 10, {}, std::nullopt).size() == 1);
  const auto later = t0 + 5min;
  CHECK(store.claim("run-a", later, later + 1min, 10, {}, std::nullopt).empty());
  CHECK(store.claim("run-b", later, later + 1min, 10, {}, std::nullopt).size() == 1);
}

TEST_CASE("the newer email for the same item and recipient is found", "[outbox]") {
  auto db = test::memory_db();
  const auto t0 = test::at("2026-12-04T10:00:00Z");
  const std::string item = "request:7";
  const auto r1 = queue_row(*db, "Jane@smith.test", t0, "reminder", item, "request:7:reminder:1:jane@smith.test");
  queue_row(*db, "john@smith.test", t0, "reminder", item, "request:7:reminder:1:john@smith.test");
  queue_row(*db, "jane@smith.test", t0, "reminder", std::string("request:8"), "request:8:reminder:1:jane@smith.test");
  queue_row(*db, "jane@smith.test", t0, "notice", item);
  OutboxStore store(*db);
  const auto first = *store.get(r1);
  CHECK_FALSE(store.newer_for_recipient(first, {"reminder", "resend"}));
  const auto r2 = queue_row(*db, "jane@smith.test", t0 + 72h, "reminder", item, "request:7:reminder:2:jane@smith.test");
  const auto newer = store.newer_for_recipient(first, {"reminder", "resend"});
  REQUIRE(newer);
  CHECK(newer->id == r2);
  CHECK_FALSE(store.newer_for_recipient(*store.get(r2), {"reminder", "resend"}));
  // A newer one that was cancelled does not count.
  REQUIRE(store.claim("run", t0 + 72h, t0 + 73h, 10, std::vector<std::string>{}, std::vector<int64_t>{r2}).size() == 1);
  store.cancel(r2, "run", "its request was submitted");
  CHECK_FALSE(store.newer_for_recipient(first, {"reminder", "resend"}));
}

namespace {

// Connections in parallel, each going through the gate.
class ParallelGated final : public Transport {
public:
  explicit ParallelGated(std::shared_ptr<std::mutex> m) : m_mutex(std::move(m)) {}
  SendResult send(std::string_view, std::string_view, std::string_view, std::string_view) override {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    if (!pass_handover_gate()) {
      return {Outcome::temporary, std::nullopt, "abandoned"};
    }
    return {Outcome::sent, 250, "250 OK"};
  }
  std::string describe() const override { return "parallel"; }
  std::unique_ptr<Transport> another() const override { return std::make_unique<ParallelGated>(m_mutex); }

private:
  std::shared_ptr<std::mutex> m_mutex;
};

} // namespace

TEST_CASE("parallel senders have every hand-over recorded by the delivering thread", "[outbox][delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-12-08T10:00:00Z"));
  for (int i = 0; i < 40; ++i) {
    queue_row(*db, "m" + std::to_string(i) + "@x.test", test::at("2026-12-04T10:00:00Z"));
  }
  ParallelGated t(std::make_shared<std::mutex>());
  DeliveryOptions o;
  o.connections = 4;
  const auto rep = deliver(*db, clock, t, "office@acme.test", o, nullptr);
  CHECK(rep.sent == 40);
  for (const auto& r : OutboxStore(*db).list(std::nullopt, 100)) {
    CHECK(r.state == OutboxState::sent);
    CHECK(r.dated_at == clock.now());
    CHECK(date_line(r.message) == "Date: Tue, 08 Dec 2026 10:00:00 +0000");
    CHECK_FALSE(r.handed_over_at);
    CHECK(r.uncertain == 0);
  }
}
