#include "../support/portal_fixture.hpp"

#include "practice/app/portal_access.hpp"
#include "practice/app/portal_store.hpp"
#include "practice/app/workspace.hpp"
#include "practice/audit/actor.hpp"
#include "practice/error.hpp"
#include "practice/mail/delivery.hpp"
#include "practice/mail/outbox_store.hpp"
#include "practice/util/sha256.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <set>

using namespace practice;
using namespace practice::app;
using namespace std::chrono_literals;
using Result = CodeCheck::Result;

namespace {

struct Fixture : test::PortalFixture {
  util::FixedClock clock{t0};

  CodeIssued issue(const accounts::Contact& c, util::TimePoint now) {
    auto s = client(c, now);
    return issue_code(s, env, c, "Documents for 2025");
  }
  CodeCheck check(const accounts::Contact& c, const std::string& typed, util::TimePoint now) {
    auto s = client(c, now);
    return check_code(s, env, c, typed);
  }
  // The code row behind a queued code email.
  CodeRow code_of(int64_t outbox_id) {
    const auto row = mail::OutboxStore(*db).get(outbox_id);
    REQUIRE(row);
    REQUIRE(row->item);
    const auto id = std::stoll(row->item->substr(row->item->find(':') + 1));
    const auto code = PortalStore(*db).get_code(id);
    REQUIRE(code);
    return *code;
  }
  // The six digits the email of `outbox_id` carries.
  std::string digits_of(int64_t outbox_id) {
    const auto c = code_of(outbox_id);
    return derive_code(key(), c.id, c.nonce);
  }
  // What prepare_outgoing makes of the queued row at `now`: the reason it is
  // cancelled, or nullopt and the message as it would be sent.
  std::pair<std::optional<std::string>, std::string> prepare(int64_t outbox_id, util::TimePoint now) {
    auto row = mail::OutboxStore(*db).get(outbox_id);
    REQUIRE(row);
    clock.set(now);
    const auto why = prepare_outgoing(env, clock)(*db, *row);
    return {why, row->message};
  }
};

std::string body_of(const std::string& message) {
  const auto end = message.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  return message.substr(end + 4);
}

// A code that is not `right`: its first digit changed.
std::string wrong(std::string right) {
  right[0] = right[0] == '9' ? '0' : static_cast<char>(right[0] + 1);
  return right;
}

// Records what it is handed, as a transport that always succeeds.
class CapturingTransport final : public mail::Transport {
public:
  std::vector<std::string> messages;
  mail::SendResult send(std::string_view, std::string_view, std::string_view message, std::string_view) override {
    messages.emplace_back(message);
    return {mail::Outcome::sent, 250, "ok"};
  }
  std::string describe() const override { return "capturing"; }
};

} // namespace

TEST_CASE("derive_code: six digits, pure given the key, row and nonce", "[portal][portal-code]") {
  const std::string key(32, 'k');
  const auto a = derive_code(key, 1, "00ff");
  CHECK(a.size() == 6);
  CHECK(a.find_first_not_of("0123456789") == std::string::npos);
  CHECK(derive_code(key, 1, "00ff") == a);
  // Over many rows the codes spread out (and keep their leading zeros).
  std::set<std::string> seen;
  for (int64_t id = 1; id <= 200; ++id) {
    const auto c = derive_code(key, id, "00ff");
    CHECK(c.size() == 6);
    seen.insert(c);
  }
  CHECK(seen.size() > 190);
  CHECK(derive_code(std::string(32, 'x'), 1, "00ff") != a);
}

TEST_CASE("a code is queued without its digits; prepare_outgoing puts them in at delivery",
          "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  CHECK(issued.retry_after == 0s);
  REQUIRE(issued.outbox_id);
  const auto row = mail::OutboxStore(*f.db).get(*issued.outbox_id);
  REQUIRE(row);
  CHECK(row->kind == "portal_code");
  CHECK(row->rcpt == "john@smith.test");
  CHECK(row->account_id == f.john.account_id);
  const auto code = f.code_of(*issued.outbox_id);
  CHECK(code.state == "open");
  CHECK(code.contact_id == f.john.id);
  CHECK(code.tries_left == k_code_tries);
  CHECK(code.expires_at == f.t0 + k_code_lifetime);
  const std::string digits = f.digits_of(*issued.outbox_id);
  // Stored: the slot, never the code.
  CHECK(row->message.find(k_code_slot) != std::string::npos);
  CHECK(body_of(row->message).find(digits) == std::string::npos);
  // At delivery: the code, and no slot left.
  const auto [why, message] = f.prepare(*issued.outbox_id, f.t0 + 1min);
  CHECK_FALSE(why);
  CHECK(message.find(k_code_slot) == std::string::npos);
  CHECK(body_of(message).find(digits) != std::string::npos);
  // ... and the stored row still holds no code.
  CHECK(body_of(mail::OutboxStore(*f.db).get(*issued.outbox_id)->message).find(digits) == std::string::npos);
}

TEST_CASE("prepare_outgoing fills every slot of a message and cancels a code email without one",
          "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const std::string digits = f.digits_of(*issued.outbox_id);
  auto row = *mail::OutboxStore(*f.db).get(*issued.outbox_id);
  row.message += fmt::format("again: {}\r\n", k_code_slot);
  CHECK_FALSE(prepare_outgoing(f.env, f.clock)(*f.db, row));
  CHECK(row.message.find(k_code_slot) == std::string::npos);
  CHECK(row.message.find("again: " + digits) != std::string::npos);

  // A slot that a quoted-printable soft line break split (a long line of a firm's own template).
  auto split = *mail::OutboxStore(*f.db).get(*issued.outbox_id);
  const auto at = split.message.find(k_code_slot);
  REQUIRE(at != std::string::npos);
  split.message.insert(at + 5, "=\r\n");
  CHECK_FALSE(prepare_outgoing(f.env, f.clock)(*f.db, split));
  CHECK(split.message.find("PRACT") == std::string::npos);
  CHECK(body_of(split.message).find(digits) != std::string::npos);

  auto bare = *mail::OutboxStore(*f.db).get(*issued.outbox_id);
  bare.message = "no slot here";
  CHECK(prepare_outgoing(f.env, f.clock)(*f.db, bare));
  auto no_item = *mail::OutboxStore(*f.db).get(*issued.outbox_id);
  no_item.item.reset();
  CHECK(prepare_outgoing(f.env, f.clock)(*f.db, no_item));
  auto bad_item = *mail::OutboxStore(*f.db).get(*issued.outbox_id);
  bad_item.item = "portal_code";
  CHECK(prepare_outgoing(f.env, f.clock)(*f.db, bad_item));
}

TEST_CASE("delivery sends the code, which the stored outbox row never holds", "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const std::string digits = f.digits_of(*issued.outbox_id);
  CapturingTransport t;
  f.clock.set(f.t0 + 5s);
  const auto rep = mail::deliver(*f.db, f.clock, t, "office@acme.test", {}, prepare_outgoing(f.env, f.clock));
  CHECK(rep.sent == 1);
  REQUIRE(t.messages.size() == 1);
  CHECK(body_of(t.messages.front()).find(digits) != std::string::npos);
  CHECK(t.messages.front().find(k_code_slot) == std::string::npos);
  const auto row = mail::OutboxStore(*f.db).get(*issued.outbox_id);
  CHECK(row->state == mail::OutboxState::sent);
  CHECK(body_of(row->message).find(digits) == std::string::npos);
  // The code sent is the one that signs in.
  CHECK(f.check(f.john, digits, f.t0 + 1min).result == Result::ok);
}

TEST_CASE("one code a minute per address: a second one is refused with the wait", "[portal][portal-code]") {
  Fixture f;
  const auto first = f.issue(f.john, f.t0);
  REQUIRE(first.outbox_id);
  const auto again = f.issue(f.john, f.t0 + 20s);
  CHECK_FALSE(again.outbox_id);
  CHECK(again.retry_after == 40s);
  CHECK(f.issue(f.john, f.t0 + 59s).retry_after == 1s);
  // The address counts, not the contact: Johnny of another account shares John's.
  CHECK(f.issue(f.johnny, f.t0 + 30s).retry_after == 30s);
  // Others are not held up.
  CHECK(f.issue(f.jane, f.t0 + 20s).outbox_id);
  // The refusals changed nothing: the first code still works.
  CHECK(mail::OutboxStore(*f.db).list(std::nullopt, 10).size() == 2);
  CHECK(f.code_of(*first.outbox_id).state == "open");
  CHECK(f.check(f.john, f.digits_of(*first.outbox_id), f.t0 + 1min).result == Result::ok);
}

TEST_CASE("after a minute a new code replaces the old one, whose email is cancelled", "[portal][portal-code]") {
  Fixture f;
  const auto first = f.issue(f.john, f.t0);
  REQUIRE(first.outbox_id);
  const auto old_digits = f.digits_of(*first.outbox_id);
  const auto second = f.issue(f.john, f.t0 + k_code_interval);
  CHECK(second.retry_after == 0s);
  REQUIRE(second.outbox_id);
  CHECK(*second.outbox_id != *first.outbox_id);
  CHECK(f.code_of(*first.outbox_id).state == "replaced");
  CHECK(f.code_of(*second.outbox_id).state == "open");
  const auto new_digits = f.digits_of(*second.outbox_id);
  REQUIRE(new_digits != old_digits);
  // The old email, still queued, is cancelled at delivery; the new one goes.
  CHECK(f.prepare(*first.outbox_id, f.t0 + 2min).first);
  CHECK_FALSE(f.prepare(*second.outbox_id, f.t0 + 2min).first);
  CapturingTransport t;
  f.clock.set(f.t0 + 2min);
  const auto rep = mail::deliver(*f.db, f.clock, t, "office@acme.test", {}, prepare_outgoing(f.env, f.clock));
  CHECK(rep.sent == 1);
  CHECK(rep.cancelled == 1);
  CHECK(mail::OutboxStore(*f.db).get(*first.outbox_id)->state == mail::OutboxState::cancelled);
  REQUIRE(t.messages.size() == 1);
  CHECK(body_of(t.messages.front()).find(new_digits) != std::string::npos);
  // The old code no longer signs in; the new one does.
  CHECK(f.check(f.john, old_digits, f.t0 + 2min).result != Result::ok);
  CHECK(f.check(f.john, new_digits, f.t0 + 2min).result == Result::ok);
}

TEST_CASE("wrong codes use up tries; the fifth ends the code, even for the right one after",
          "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const auto right = f.digits_of(*issued.outbox_id);
  for (int i = 1; i < k_code_tries; ++i) {
    const auto r = f.check(f.john, wrong(right), f.t0 + 1min);
    CHECK(r.result == Result::wrong);
    CHECK(r.tries_left == k_code_tries - i);
  }
  CHECK(f.code_of(*issued.outbox_id).tries_left == 1);
  const auto last = f.check(f.john, wrong(right), f.t0 + 1min);
  CHECK(last.result == Result::none);
  CHECK(last.tries_left == 0);
  CHECK(f.code_of(*issued.outbox_id).state == "exhausted");
  CHECK(f.check(f.john, right, f.t0 + 1min).result == Result::none);
  // Its email, if still queued, goes no more.
  CHECK(f.prepare(*issued.outbox_id, f.t0 + 1min).first);
}

TEST_CASE("what counts as a typed code", "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const auto right = f.digits_of(*issued.outbox_id);
  // Not the code (each uses a try): too short, too long, letters, empty.
  CHECK(f.check(f.john, right.substr(0, 5), f.t0).result == Result::wrong);
  CHECK(f.check(f.john, right + "0", f.t0).result == Result::wrong);
  CHECK(f.check(f.john, right.substr(0, 5) + "a", f.t0).result == Result::wrong);
  CHECK(f.check(f.john, "", f.t0).tries_left == 1);
  // Spaces and dashes between the digits are allowed.
  CHECK(f.check(f.john, " " + right.substr(0, 3) + "-" + right.substr(3) + " ", f.t0).result == Result::ok);
}

TEST_CASE("the right code signs in once", "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const auto right = f.digits_of(*issued.outbox_id);
  CHECK(f.check(f.john, wrong(right), f.t0 + 1min).result == Result::wrong);
  const auto ok = f.check(f.john, right, f.t0 + 2min);
  CHECK(ok.result == Result::ok);
  CHECK(f.code_of(*issued.outbox_id).state == "used");
  CHECK(f.check(f.john, right, f.t0 + 2min).result == Result::none);
  // An email of a used code, delivered late, is cancelled.
  CHECK(f.prepare(*issued.outbox_id, f.t0 + 3min).first);
}

TEST_CASE("a code expires after ten minutes, and so does its email", "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const auto right = f.digits_of(*issued.outbox_id);
  CHECK_FALSE(f.prepare(*issued.outbox_id, f.t0 + k_code_lifetime - 1s).first);
  // A delivery held up past the code's life sends no dead code.
  CHECK(f.prepare(*issued.outbox_id, f.t0 + k_code_lifetime).first);
  CHECK(f.check(f.john, right, f.t0 + k_code_lifetime).result == Result::none);
  CHECK(f.check(f.john, right, f.t0 + k_code_lifetime + 1h).result == Result::none);
  // Expiry uses up no try, and just before it the code works.
  CHECK(f.code_of(*issued.outbox_id).tries_left == k_code_tries);
  CHECK(f.check(f.john, right, f.t0 + k_code_lifetime - 1s).result == Result::ok);
}

TEST_CASE("a contact's code opens nothing for another contact", "[portal][portal-code]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const auto right = f.digits_of(*issued.outbox_id);
  CHECK(f.check(f.jane, right, f.t0 + 1min).result == Result::none);
  CHECK(f.check(f.bob, right, f.t0 + 1min).result == Result::none);
  // Not even for a contact of another account with the same address.
  CHECK(f.check(f.johnny, right, f.t0 + 1min).result == Result::none);
  // None of that used up John's tries.
  CHECK(f.code_of(*issued.outbox_id).tries_left == k_code_tries);
  CHECK(f.check(f.john, right, f.t0 + 1min).result == Result::ok);
}

TEST_CASE("with no code asked for, nothing checks", "[portal][portal-code]") {
  Fixture f;
  CHECK(f.check(f.john, "123456", f.t0).result == Result::none);
  CHECK(f.check(f.john, "", f.t0).result == Result::none);
}

TEST_CASE("codes are audited as the contact, via the portal", "[portal][portal-code][audit]") {
  Fixture f;
  const auto issued = f.issue(f.john, f.t0);
  REQUIRE(issued.outbox_id);
  const auto code = f.code_of(*issued.outbox_id);
  const auto right = f.digits_of(*issued.outbox_id);
  f.check(f.john, wrong(right), f.t0 + 1min);
  f.check(f.john, right, f.t0 + 2min);
  // A refused request for a code is not audited.
  f.issue(f.john, f.t0 + 10s);

  const std::string item = fmt::format("contact:{}", f.john.id);
  const auto sent = f.audit_rows(item, "code_sent");
  const auto wrong_rows = f.audit_rows(item, "code_wrong");
  const auto signed_in = f.audit_rows(item, "signed_in");
  REQUIRE(sent.size() == 1);
  REQUIRE(wrong_rows.size() == 1);
  REQUIRE(signed_in.size() == 1);
  for (const auto* e : {&sent[0], &wrong_rows[0], &signed_in[0]}) {
    CHECK(e->actor.kind == audit::ActorKind::contact);
    CHECK(e->actor.id == f.john.id);
    CHECK(e->actor.name == "john@smith.test");
    CHECK(e->account_id == f.john.account_id);
    const auto d = test::details_of(*e);
    CHECK(d.value("via", "") == "portal");
    CHECK(d.value("code", int64_t{0}) == code.id);
    // Never the code itself.
    CHECK(e->details.find(right) == std::string::npos);
  }
  CHECK(test::details_of(wrong_rows[0]).value("tries_left", -1) == k_code_tries - 1);
  CHECK(audit::AuditLog(*f.db).verify().ok);
}

TEST_CASE("sessions: start, find, kept by hash only", "[portal][portal-session]") {
  Fixture f;
  auto s = f.client(f.john, f.t0);
  const auto id = start_session(s, f.john);
  CHECK(id.size() == 64);
  const auto found = find_session(*f.db, id, f.t0 + 1min);
  REQUIRE(found);
  CHECK(found->contact_id == f.john.id);
  CHECK(found->account_id == f.john.account_id);
  CHECK(found->last_seen == f.t0);
  CHECK(found->id_hash == util::sha256_hex(id));
  // The id itself is stored nowhere.
  CHECK_FALSE(PortalStore(*f.db).get_session(id));
  CHECK(PortalStore(*f.db).get_session(util::sha256_hex(id)));
  // Other ids find nothing.
  CHECK_FALSE(find_session(*f.db, std::string(64, '0'), f.t0));
  CHECK_FALSE(find_session(*f.db, util::sha256_hex(id), f.t0));
  CHECK_FALSE(find_session(*f.db, id.substr(0, 63), f.t0));
  CHECK_FALSE(find_session(*f.db, "", f.t0));
  // Each session its own id.
  auto s2 = f.client(f.john, f.t0);
  CHECK(start_session(s2, f.john) != id);
}

TEST_CASE("sessions end after 12 hours idle; being seen keeps them", "[portal][portal-session]") {
  Fixture f;
  auto s = f.client(f.john, f.t0);
  const auto id = start_session(s, f.john);
  CHECK(find_session(*f.db, id, f.t0 + k_session_idle - 1s));
  CHECK_FALSE(find_session(*f.db, id, f.t0 + k_session_idle));

  const auto kept = start_session(s, f.john);
  // Seen within a minute of the last time: not written.
  touch_session(*f.db, *find_session(*f.db, kept, f.t0 + 30s), f.t0 + 30s);
  CHECK(find_session(*f.db, kept, f.t0 + 31s)->last_seen == f.t0);
  // Seen later: the idle time starts again.
  touch_session(*f.db, *find_session(*f.db, kept, f.t0 + 11h), f.t0 + 11h);
  CHECK(find_session(*f.db, kept, f.t0 + 11h)->last_seen == f.t0 + 11h);
  CHECK(find_session(*f.db, kept, f.t0 + 11h + k_session_idle - 1s));
  CHECK_FALSE(find_session(*f.db, kept, f.t0 + 11h + k_session_idle));
}

TEST_CASE("end_session ends it for good", "[portal][portal-session]") {
  Fixture f;
  auto s = f.client(f.john, f.t0);
  const auto id = start_session(s, f.john);
  const auto other = start_session(s, f.john);
  const auto before = find_session(*f.db, id, f.t0 + 1min);
  REQUIRE(before);
  auto later = f.client(f.john, f.t0 + 1min);
  end_session(later, id);
  CHECK_FALSE(find_session(*f.db, id, f.t0 + 1min));
  // Touching an ended session does not bring it back.
  touch_session(*f.db, *before, f.t0 + 2min);
  CHECK_FALSE(find_session(*f.db, id, f.t0 + 2min));
  // Other sessions go on.
  CHECK(find_session(*f.db, other, f.t0 + 2min));
}

TEST_CASE("a contact who loses portal access, or is removed, loses the session", "[portal][portal-session]") {
  Fixture f;
  auto s = f.client(f.john, f.t0);
  const auto john_session = start_session(s, f.john);
  auto sj = f.client(f.jane, f.t0);
  const auto jane_session = start_session(sj, f.jane);
  REQUIRE(find_session(*f.db, john_session, f.t0));

  auto staff = f.staff(f.t0 + 1h);
  accounts::ContactChanges off;
  off.portal = false;
  accounts::edit_contact(staff, std::to_string(f.john.id), std::nullopt, off);
  CHECK_FALSE(find_session(*f.db, john_session, f.t0 + 1h));
  CHECK(find_session(*f.db, jane_session, f.t0 + 1h));

  accounts::remove_contact(staff, std::to_string(f.jane.id), std::nullopt);
  CHECK_FALSE(find_session(*f.db, jane_session, f.t0 + 1h));
}

TEST_CASE("csrf_token: stable, bound to one binding and the key", "[portal][csrf]") {
  const std::string key(32, 'k');
  const auto a = csrf_token(key, "link:1.2.abc");
  CHECK(a == csrf_token(key, "link:1.2.abc"));
  CHECK(a.size() == 40);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != csrf_token(key, "link:1.2.abd"));
  CHECK(a != csrf_token(key, "session:1.2.abc"));
  CHECK(csrf_token(key, "") != a);
  CHECK(csrf_token(std::string(32, 'K'), "link:1.2.abc") != a);
}

TEST_CASE("a unit of work commits the code and its email together, or neither", "[portal][portal-code][workspace]") {
  Fixture f;
  f.clock.set(f.t0);
  app::Workspace ws(*f.db, f.config, f.clock, (f.dir / "practice.db").string(), f.dir.string());
  const auto who = [&](storage::Database& db) {
    return accounts::make_client_session(db, f.clock.now(), {f.john.account_id, f.john.id, f.john.email});
  };
  CHECK_THROWS_AS(ws.write(who,
                           [&](accounts::Session& s) {
                             issue_code(s, ws.env(), f.john, "Documents for 2025");
                             throw Conflict("changed my mind");
                           }),
                  Conflict);
  CHECK(mail::OutboxStore(*f.db).list(std::nullopt, 10).empty());
  CHECK_FALSE(PortalStore(*f.db).latest_code(f.john.email));
  CHECK(f.audit_rows(fmt::format("contact:{}", f.john.id), "code_sent").empty());
  // Nothing was left behind to hold the next one up.
  const auto issued =
      ws.write(who, [&](accounts::Session& s) { return issue_code(s, ws.env(), f.john, "Documents for 2025"); });
  CHECK(issued.retry_after == 0s);
  CHECK(issued.outbox_id);
  CHECK(mail::OutboxStore(*f.db).list(std::nullopt, 10).size() == 1);
}

TEST_CASE("Workspace::deliver puts the code into its email on the workspace's clock", "[portal][portal-code][workspace]") {
  Fixture f;
  f.config.mail_transport = "file";
  f.config.mail_dir = (f.dir / "mail").string();
  f.clock.set(f.t0);
  app::Workspace ws(*f.db, f.config, f.clock, (f.dir / "practice.db").string(), f.dir.string());
  const auto who = [&](storage::Database& db) {
    return accounts::make_client_session(db, f.clock.now(), {f.john.account_id, f.john.id, f.john.email});
  };
  const auto issue = [&] {
    return ws.write(who, [&](accounts::Session& s) { return issue_code(s, ws.env(), f.john, "Documents for 2025"); });
  };
  const auto fresh = issue();
  REQUIRE(fresh.outbox_id);
  f.clock.set(f.t0 + 1min);
  const auto rep = ws.deliver(std::vector<int64_t>{*fresh.outbox_id});
  REQUIRE(rep);
  CHECK(rep->sent == 1);
  const auto code = f.code_of(*fresh.outbox_id);
  const auto digits = derive_code(requests::load_or_create_link_key(ws.link_key_path()), code.id, code.nonce);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(f.dir / "mail")) {
    std::ifstream in(e.path(), std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(files.size() == 1);
  CHECK(body_of(files[0]).find(digits) != std::string::npos);

  // A code email that waited out the code's life is not sent.
  const auto late = issue();
  REQUIRE(late.outbox_id);
  f.clock.set(f.t0 + 1min + k_code_lifetime);
  const auto rep2 = ws.deliver(std::vector<int64_t>{*late.outbox_id});
  REQUIRE(rep2);
  CHECK(rep2->sent == 0);
  CHECK(rep2->cancelled == 1);
  CHECK(mail::OutboxStore(*f.db).get(*late.outbox_id)->state == mail::OutboxState::cancelled);
}
