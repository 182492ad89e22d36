#include "../support/db.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/mail/delivery.hpp"
#include "practice/reminders/reminders.hpp"
#include "practice/requests/requests.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <unistd.h>

using namespace practice;
using namespace practice::reminders;

namespace {

// A mail server that takes every message except those to `busy`.
class Server final : public mail::Transport {
public:
  std::set<std::string> busy;
  std::vector<std::string> got;
  mail::SendResult send(std::string_view, std::string_view rcpt, std::string_view, std::string_view) override {
    if (busy.count(std::string(rcpt)) != 0) {
      return {mail::Outcome::temporary, 451, "451 4.2.1 mailbox busy"};
    }
    got.emplace_back(rcpt);
    return {mail::Outcome::sent, 250, "250 OK"};
  }
  std::string describe() const override { return "server"; }
};

struct Fixture {
  std::unique_ptr<storage::Database> db = test::memory_db();
  config::Config config;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("practice-rem-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  requests::Env env{config, "", "", 1024, {}};
  Calendar every_day;
  Server server;

  Fixture() {
    std::filesystem::create_directories(dir);
    env.link_key_path = (dir / "key").string();
    env.files_root = (dir / "files").string();
    config.firm_email = "office@acme.test";
    config.reminders.count = 2;
    every_day.business_days = {1, 2, 3, 4, 5, 6, 7};
    auto s = session("2026-12-01T10:00:00Z");
    accounts::add_account(s, "Smith", accounts::AccountType::individual);
    accounts::add_contact(s, {"Smith", "John", "john@smith.test", true, true, {}});
    accounts::add_contact(s, {"Smith", "Jane", "jane@smith.test", true, true, {}});
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  accounts::Session session(const char* at) { return accounts::make_session(*db, test::at(at), std::nullopt, "osuser"); }

  int64_t sent_request(const char* at) {
    auto s = session(at);
    requests::NewRequest in;
    in.accounts = {"Smith"};
    in.title = "Receipts";
    in.draft = true;
    const auto id = requests::create_requests(s, env, in).requests.front().id;
    requests::Question q;
    q.type = requests::QuestionType::text;
    q.prompt = "Q";
    requests::add_question(s, id, q);
    requests::send_request(s, env, id);
    return id;
  }

  // A `remind --run` at `at`: queue what is due, then deliver.
  mail::DeliveryReport run(const char* at) {
    auto s = session(at);
    queue_due(s, env, every_day, 0, DryRun::no);
    return deliver(at);
  }

  mail::DeliveryReport deliver(const char* at) {
    util::FixedClock clock(test::at(at));
    return mail::deliver(*db, clock, server, "office@acme.test", {}, still_applies());
  }
};

} // namespace

TEST_CASE("an item was last notified when an email about it reached the client, not when it was queued") {
  Fixture f;
  f.sent_request("2026-12-01T10:00:00Z"); // queued; the server is down
  auto items = load_items(*f.db, std::nullopt);
  REQUIRE(items.size() == 1);
  CHECK(items[0].waiting_since == test::at("2026-12-01T10:00:00Z"));
  CHECK(plan(items, f.every_day, test::at("2026-12-06T10:00:00Z"))[0].held);

  f.deliver("2026-12-03T08:00:00Z"); // up again two days later
  items = load_items(*f.db, std::nullopt);
  CHECK_FALSE(items[0].waiting_since);
  CHECK(items[0].last_notified == test::at("2026-12-03T08:00:00Z"));
  CHECK(todo(*f.db, items[0].account_id).at(0).last_notified == test::at("2026-12-03T08:00:00Z"));
  const auto p = plan(items, f.every_day, test::at("2026-12-05T10:00:00Z"));
  CHECK_FALSE(p[0].due);
  CHECK(util::format_iso(p[0].send_at) == "2026-12-06T08:00:00Z");
}

TEST_CASE("an older reminder still waiting for a recipient gives way to the newer one, audited and counted") {
  Fixture f;
  const auto id = f.sent_request("2026-12-01T10:00:00Z");
  f.deliver("2026-12-01T10:00:00Z");
  f.server.busy = {"jane@smith.test"};
  f.run("2026-12-04T10:00:00Z"); // reminder 1: John gets it, Jane's waits
  f.run("2026-12-05T10:00:00Z");
  CHECK(f.server.got.size() == 3);
  f.server.busy.clear();
  const auto rep = f.run("2026-12-07T10:00:00Z"); // reminder 2, three days after John's first
  CHECK(rep.cancelled == 1);
  CHECK(rep.sent == 2);
  const std::vector<std::string> last(f.server.got.end() - 2, f.server.got.end());
  CHECK(std::set<std::string>(last.begin(), last.end()) ==
        std::set<std::string>{"john@smith.test", "jane@smith.test"});

  mail::OutboxStore store(*f.db);
  const auto cancelled = store.list(mail::OutboxState::cancelled, 10);
  REQUIRE(cancelled.size() == 1);
  CHECK(cancelled[0].rcpt == "jane@smith.test");
  CHECK(cancelled[0].last_reply->rfind("superseded by reminder 2 (outbox ", 0) == 0);
  audit::AuditFilter filter;
  filter.item = "request:" + std::to_string(id);
  int audited = 0;
  for (const auto& e : audit::AuditLog(*f.db).list(filter)) {
    if (e.action == "reminder_cancelled") {
      ++audited;
      CHECK(e.at == "2026-12-07T10:00:00Z");
      CHECK(e.actor.kind == audit::ActorKind::system);
      CHECK(nlohmann::json::parse(e.details)["reason"] == *cancelled[0].last_reply);
    }
  }
  CHECK(audited == 1);
  CHECK(requests::get_request(*f.db, id).reminders_sent == 2); // still counted
}

TEST_CASE("an approval is looked up by its id as a request is (delivery checks a reminder still applies)") {
  Fixture f;
  const auto id = f.sent_request("2026-12-01T10:00:00Z");
  CHECK(ReminderStore(*f.db).item("request", id).size() == 1);
  CHECK(ReminderStore(*f.db).item("approval", 1).empty()); // the approval branch alone names its columns too
}
