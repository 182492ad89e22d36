#include "../support/db.hpp"

#include "practice/mail/delivery.hpp"
#include "practice/mail/outbox_store.hpp"
#include "practice/mail/smtp_transport.hpp"
#include "practice/mail/templates.hpp"

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

using namespace practice;
using namespace practice::mail;

TEST_CASE("classify: one case per row of the reliability table", "[delivery]") {
  CHECK(classify(CURLE_OK, 250, true) == Outcome::sent);
  CHECK(classify(CURLE_COULDNT_CONNECT, 0, false) == Outcome::connection);
  CHECK(classify(CURLE_COULDNT_RESOLVE_HOST, 0, false) == Outcome::connection);
  CHECK(classify(CURLE_OPERATION_TIMEDOUT, 0, false) == Outcome::connection);
  CHECK(classify(CURLE_PEER_FAILED_VERIFICATION, 220, false) == Outcome::stop_config);
  CHECK(classify(CURLE_USE_SSL_FAILED, 250, false) == Outcome::stop_config);
  CHECK(classify(CURLE_LOGIN_DENIED, 535, false) == Outcome::stop_config);
  CHECK(classify(CURLE_LOGIN_DENIED, 454, false) == Outcome::stop_temp);
  CHECK(classify(CURLE_WEIRD_SERVER_REPLY, 421, false) == Outcome::stop_temp);
  CHECK(classify(CURLE_SEND_ERROR, 451, false) == Outcome::temporary);   // RCPT 451
  CHECK(classify(CURLE_SEND_ERROR, 550, false) == Outcome::permanent);   // RCPT 550
  CHECK(classify(CURLE_WEIRD_SERVER_REPLY, 451, true) == Outcome::temporary); // after the dot
  CHECK(classify(CURLE_WEIRD_SERVER_REPLY, 554, true) == Outcome::permanent);
  CHECK(classify(CURLE_RECV_ERROR, 354, true) == Outcome::unknown);     // reply to "." lost
  CHECK(classify(CURLE_OPERATION_TIMEDOUT, 354, true) == Outcome::unknown);
  CHECK(classify(CURLE_RECV_ERROR, 354, false) == Outcome::temporary);  // upload cut short
}

TEST_CASE("backoff doubles from 5 minutes to a 4 hour cap", "[delivery]") {
  CHECK(backoff(1) == std::chrono::minutes(5));
  CHECK(backoff(2) == std::chrono::minutes(10));
  CHECK(backoff(4) == std::chrono::minutes(40));
  CHECK(backoff(7) == std::chrono::hours(4));
  CHECK(backoff(50) == std::chrono::hours(4));
}

TEST_CASE("plan_after: retry, give up, and not counting the server's trouble", "[delivery]") {
  const auto t0 = test::at("2026-03-01T09:00:00Z");
  const auto temp = plan_after(Outcome::temporary, 1, t0, t0, 0.5);
  CHECK(temp.state == OutboxState::queued);
  CHECK(temp.next_attempt_at == t0 + std::chrono::minutes(5));
  CHECK(temp.counts);
  CHECK(plan_after(Outcome::temporary, 1, t0, t0, 0.0).next_attempt_at ==
        t0 + std::chrono::seconds(150));
  CHECK(plan_after(Outcome::temporary, 8, t0, t0, 0.5).state == OutboxState::failed);
  CHECK(plan_after(Outcome::temporary, 2, t0, t0 + std::chrono::hours(72), 0.5).state ==
        OutboxState::failed);
  CHECK(plan_after(Outcome::permanent, 1, t0, t0, 0.5).state == OutboxState::failed);
  const auto unknown = plan_after(Outcome::unknown, 1, t0, t0, 0.5);
  CHECK(unknown.state == OutboxState::queued);
  CHECK(unknown.uncertain);
  const auto conn = plan_after(Outcome::connection, 3, t0, t0, 0.5);
  CHECK(conn.state == OutboxState::queued);
  CHECK_FALSE(conn.counts);
  CHECK(conn.next_attempt_at == t0);
}

namespace {

// A transport whose answers a test scripts by recipient.
class ScriptedTransport final : public Transport {
public:
  std::map<std::string, Outcome> outcomes;
  std::vector<std::string> sent_to;
  SendResult send(std::string_view, std::string_view rcpt, std::string_view,
                  std::string_view) override {
    sent_to.emplace_back(rcpt);
    const auto it = outcomes.find(std::string(rcpt));
    const Outcome o = it == outcomes.end() ? Outcome::sent : it->second;
    return {o, o == Outcome::sent ? 250 : 451, "scripted"};
  }
  std::string describe() const override { return "scripted"; }
};

void queue(storage::Database& db, const std::string& rcpt, util::TimePoint now) {
  NewMessage m;
  m.dedupe_key = "k:" + rcpt;
  m.kind = "test";
  m.rcpt = rcpt;
  m.message_id = "<" + rcpt + ">";
  m.subject = "s";
  m.message = "x";
  OutboxStore(db).enqueue(m, now);
}

// Queues m0@x.test ... m<n-1>@x.test.
void queue_many(storage::Database& db, int n, util::TimePoint now) {
  for (int i = 0; i < n; ++i) {
    queue(db, "m" + std::to_string(i) + "@x.test", now);
  }
}

} // namespace

TEST_CASE("enqueue is idempotent by dedupe key", "[delivery]") {
  auto db = test::memory_db();
  const auto now = test::at("2026-03-01");
  queue(*db, "a@x.test", now);
  queue(*db, "a@x.test", now);
  CHECK(OutboxStore(*db).list(std::nullopt, 10).size() == 1);
}

TEST_CASE("delivery sends, retries later, fails 5xx, and stops on connection trouble", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  for (const char* r : {"a@x.test", "b@x.test", "c@x.test"}) {
    queue(*db, r, clock.now());
  }
  ScriptedTransport t;
  t.outcomes = {{"b@x.test", Outcome::temporary}, {"c@x.test", Outcome::permanent}};
  const auto rep = deliver(*db, clock, t, "office@acme.test", {}, nullptr);
  CHECK(rep.sent == 1);
  CHECK(rep.deferred == 1);
  CHECK(rep.failed == 1);
  // Nothing is due again at the same instant.
  CHECK(deliver(*db, clock, t, "office@acme.test", {}, nullptr).claimed == 0);
  clock.set(clock.now() + std::chrono::hours(1));
  t.outcomes.clear();
  CHECK(deliver(*db, clock, t, "office@acme.test", {}, nullptr).sent == 1);
  CHECK(t.sent_to.size() == 4);
}

TEST_CASE("three connection failures stop the run without counting attempts", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  queue_many(*db, 10, clock.now());
  ScriptedTransport t;
  for (int i = 0; i < 10; ++i) {
    t.outcomes["m" + std::to_string(i) + "@x.test"] = Outcome::connection;
  }
  const auto rep = deliver(*db, clock, t, "office@acme.test", {}, nullptr);
  CHECK(rep.stopped);
  CHECK(t.sent_to.size() == 3);
  CHECK(rep.deferred == 10);
  for (const auto& r : OutboxStore(*db).list(std::nullopt, 100)) {
    CHECK(r.state == OutboxState::queued);
    CHECK(r.attempts == 0);
  }
}

TEST_CASE("a stop_config outcome stops the run at once and counts nothing", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  queue(*db, "a@x.test", clock.now());
  queue(*db, "b@x.test", clock.now());
  ScriptedTransport t;
  t.outcomes = {{"a@x.test", Outcome::stop_config}};
  const auto rep = deliver(*db, clock, t, "office@acme.test", {}, nullptr);
  CHECK(rep.stopped);
  CHECK(rep.stop_outcome == Outcome::stop_config);
  CHECK(t.sent_to.size() == 1);
  for (const auto& r : OutboxStore(*db).list(std::nullopt, 100)) {
    CHECK(r.attempts == 0);
    CHECK(r.state == OutboxState::queued);
  }
}

TEST_CASE("messages that no longer apply are cancelled, not sent", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  queue(*db, "a@x.test", clock.now());
  queue(*db, "b@x.test", clock.now());
  ScriptedTransport t;
  const auto rep = deliver(*db, clock, t, "office@acme.test", {},
                           [](storage::Database&, const OutboxRow& r) -> std::optional<std::string> {
                             if (r.rcpt == "a@x.test") {
                               return "the request was submitted";
                             }
                             return std::nullopt;
                           });
  CHECK(rep.cancelled == 1);
  CHECK(t.sent_to == std::vector<std::string>{"b@x.test"});
}

TEST_CASE("a live lease keeps a row from a second run; an expired one does not", "[delivery]") {
  auto db = test::memory_db();
  const auto t0 = test::at("2026-03-01T09:00:00Z");
  queue(*db, "a@x.test", t0);
  OutboxStore store(*db);
  const auto first = store.claim("run-a", t0, t0 + std::chrono::minutes(10), 10, {}, std::nullopt);
  REQUIRE(first.size() == 1);
  CHECK(store.claim("run-b", t0, t0 + std::chrono::minutes(10), 10, {}, std::nullopt).empty());
  // Run A died: after its lease, run B takes the row over; A's late record is refused.
  const auto later = t0 + std::chrono::minutes(11);
  CHECK(store.claim("run-b", later, later + std::chrono::minutes(10), 10, {}, std::nullopt).size() == 1);
  AttemptResult sent;
  sent.state = OutboxState::sent;
  CHECK_FALSE(store.record(first[0].id, "run-a", sent, later));
  CHECK(store.record(first[0].id, "run-b", sent, later));
  CHECK(store.get(first[0].id)->attempts == 2);
}

TEST_CASE("a dead owner's rows can be taken over at once", "[delivery]") {
  auto db = test::memory_db();
  const auto t0 = test::at("2026-03-01T09:00:00Z");
  queue(*db, "a@x.test", t0);
  OutboxStore store(*db);
  REQUIRE(store.claim("host:1:x", t0, t0 + std::chrono::hours(1), 10, {}, std::nullopt).size() == 1);
  CHECK(store.claim("run-b", t0, t0 + std::chrono::hours(1), 10, {"host:1:x"}, std::nullopt).size() == 1);
}

namespace {

// Connections that share one script, for parallel delivery: each another()
// is a sender of its own, numbered from 0 in the order they are made.
struct SharedScript {
  std::mutex mutex;
  std::vector<std::string> sent_to;
  std::set<int> senders_used;
  int made = 0;
  std::function<Outcome(int sender, const std::string& rcpt)> outcome = [](int, const std::string&) {
    return Outcome::sent;
  };
  std::function<void(int sender, std::string_view message_id)> at_gate;
};

class ParallelTransport final : public Transport {
public:
  explicit ParallelTransport(std::shared_ptr<SharedScript> s) : m_s(std::move(s)) {
    const std::lock_guard lock(m_s->mutex);
    m_number = m_s->made++;
  }
  SendResult send(std::string_view, std::string_view rcpt, std::string_view,
                  std::string_view message_id) override {
    Outcome o = Outcome::sent;
    {
      const std::lock_guard lock(m_s->mutex);
      m_s->senders_used.insert(m_number);
      o = m_s->outcome(m_number, std::string(rcpt));
    }
    if (o == Outcome::connection || o == Outcome::stop_temp) {
      return {o, o == Outcome::stop_temp ? std::optional<int>(421) : std::nullopt, "turned away"};
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200)); // the conversation
    if (!pass_handover_gate()) {
      return {Outcome::temporary, std::nullopt, "abandoned"};
    }
    if (m_s->at_gate) {
      m_s->at_gate(m_number, message_id);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200)); // the final reply
    const std::lock_guard lock(m_s->mutex);
    if (o == Outcome::sent) {
      m_s->sent_to.emplace_back(rcpt);
    }
    return {o, o == Outcome::sent ? 250 : 451, "scripted"};
  }
  std::string describe() const override { return "parallel"; }
  std::unique_ptr<Transport> another() const override {
    return std::make_unique<ParallelTransport>(m_s);
  }

private:
  std::shared_ptr<SharedScript> m_s;
  int m_number = 0;
};

DeliveryOptions with_connections(int n) {
  DeliveryOptions o;
  o.connections = n;
  return o;
}

} // namespace

TEST_CASE("parallel senders deliver every message once, each over its own connection", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  queue_many(*db, 60, clock.now());
  auto script = std::make_shared<SharedScript>();
  ParallelTransport t(script);
  const auto rep = deliver(*db, clock, t, "office@acme.test", with_connections(4), nullptr);
  CHECK(rep.sent == 60);
  CHECK(rep.claimed == 60);
  std::set<std::string> unique(script->sent_to.begin(), script->sent_to.end());
  CHECK(unique.size() == 60);
  CHECK(script->sent_to.size() == 60);
  CHECK(script->senders_used.size() == 4);
  for (const auto& r : OutboxStore(*db).list(std::nullopt, 100)) {
    CHECK(r.state == OutboxState::sent);
    CHECK(r.attempts == 1);
  }
}

TEST_CASE("a dead server costs three attempts, not one per connection", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  queue_many(*db, 10, clock.now());
  auto script = std::make_shared<SharedScript>();
  script->outcome = [](int, const std::string&) { return Outcome::connection; };
  ParallelTransport t(script);
  const auto rep = deliver(*db, clock, t, "office@acme.test", with_connections(4), nullptr);
  CHECK(rep.stopped);
  CHECK(rep.stop_outcome == Outcome::connection);
  CHECK(script->senders_used == std::set<int>{0}); // the others never opened
  CHECK(rep.deferred == 10);
}

TEST_CASE("an extra connection the server turns away lowers the parallelism, nothing more", "[delivery]") {
  auto db = test::memory_db();
  util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
  queue_many(*db, 40, clock.now());
  auto script = std::make_shared<SharedScript>();
  // The relay takes two connections: senders 2 and 3 always get a 421.
  script->outcome = [](int sender, const std::string&) {
    return sender >= 2 ? Outcome::stop_temp : Outcome::sent;
  };
  ParallelTransport t(script);
  const auto rep = deliver(*db, clock, t, "office@acme.test", with_connections(4), nullptr);
  CHECK_FALSE(rep.stopped);
  CHECK(rep.sent == 40);
  CHECK(rep.deferred == 0);
  CHECK(rep.claimed == 40);
  CHECK(script->sent_to.size() == 40);
  for (const auto& r : OutboxStore(*db).list(std::nullopt, 100)) {
    CHECK(r.state == OutboxState::sent);
    CHECK(r.attempts == 1);
  }
}

TEST_CASE("one message at a time is between its hand-over and its recorded result", "[delivery]") {
  // A file database, so that the senders can look at it from their own
  // connection while the delivering thread writes.
  char dir_template[] = "/tmp/practice-gate-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/gate.db";
  {
    storage::Database db(path, storage::OpenMode::create);
    storage::apply_migrations(db);
    util::FixedClock clock(test::at("2026-03-01T09:00:00Z"));
    queue_many(db, 80, clock.now());
    auto script = std::make_shared<SharedScript>();
    std::vector<std::string> handed_over;
    int unrecorded_seen = 0;
    script->at_gate = [&](int, std::string_view message_id) {
      // Every message handed over before this one has its result recorded.
      storage::Database look(path, storage::OpenMode::existing);
      storage::Transaction tx(look, storage::TxMode::read);
      const std::lock_guard lock(script->mutex);
      for (const auto& mid : handed_over) {
        storage::Statement s(look, "SELECT state FROM outbox WHERE message_id = ?1");
        s.bind_all(mid);
        if (s.step() && s.text(0) == "sending") {
          ++unrecorded_seen;
        }
      }
      handed_over.emplace_back(message_id);
    };
    ParallelTransport t(script);
    const auto rep = deliver(db, clock, t, "office@acme.test", with_connections(4), nullptr);
    CHECK(rep.sent == 80);
    CHECK(handed_over.size() == 80);
    CHECK(unrecorded_seen == 0);
    CHECK(script->senders_used.size() == 4);
  }
  std::filesystem::remove_all(dir_template);
}

TEST_CASE("every built-in mail template renders", "[delivery]") {
  const nlohmann::json data = {
      {"firm_name", "Acme CPA"}, {"title", "Missing receipts"}, {"recipient_name", "Maria"},
      {"message", "Thanks!"}, {"question_count", "2"},
      {"questions", {{{"number", "1"}, {"prompt", "Receipts"}, {"required", true}}}},
      {"link", "https://portal.acme.test/r/abc"}, {"document", "2025 return.pdf"},
      {"account", "Ionescu"}, {"submitted_by", "Maria"}, {"request_id", "12"},
      {"answers", nlohmann::json::array()}, {"decision", "Approved"}, {"decision_lower", "approved"},
      {"decided_by", "Maria"}, {"reasons", {"wrong year"}}, {"comment", "see p. 2"},
      {"approval_id", "3"}, {"subject", "s"}, {"body", "b"}, {"to", "x@y.test"}};
  for (const auto& name : builtin_template_names()) {
    INFO(name);
    const auto text = render_mail_template(name, "en", data, std::nullopt);
    CHECK_FALSE(text.subject.empty());
    CHECK(text.subject.find('\n') == std::string::npos);
    CHECK(text.body.find("{{") == std::string::npos);
  }
  const auto sent = render_mail_template("request_sent", "en", data, std::nullopt);
  CHECK(sent.subject == "Acme CPA: Missing receipts");
  CHECK(sent.body.find("1. Receipts") != std::string::npos);
  CHECK(sent.body.find("https://portal.acme.test/r/abc") != std::string::npos);
}

TEST_CASE("a value with a line break cannot leave the subject line", "[delivery]") {
  const auto text = render_mail_template("test", "en", {{"subject", "Hi\nBcc: evil@x.test"}, {"firm_name", "A"}},
                                         std::nullopt);
  CHECK(text.subject.find('\n') != std::string::npos); // render() refuses such a subject
  CHECK(text.body.find("Bcc:") == std::string::npos);
}
