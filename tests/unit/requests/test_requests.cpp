#include "../support/db.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/error.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/requests/requests.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

using namespace practice;
using namespace practice::requests;

namespace {

struct Fixture {
  std::unique_ptr<storage::Database> db = test::memory_db();
  config::Config config;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("practice-req-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  Env env{config, "", "", 1024, {}};

  Fixture() {
    std::filesystem::create_directories(dir);
    env.link_key_path = (dir / "key").string();
    env.files_root = (dir / "files").string();
    config.firm_email = "office@acme.test";
    auto s = session();
    accounts::add_account(s, "Smith", accounts::AccountType::individual);
    accounts::add_contact(s, {"Smith", "John", "john@smith.test", true, true, {}});
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  accounts::Session session(const char* at = "2026-03-01T09:00:00Z") {
    return accounts::make_session(*db, test::at(at), std::nullopt, "osuser");
  }

  Request sent_request() {
    auto s = session();
    NewRequest in;
    in.accounts = {"Smith"};
    in.title = "T";
    in.draft = true;
    const auto id = create_requests(s, env, in).requests.front().id;
    Question q;
    q.type = QuestionType::text;
    q.prompt = "Q";
    add_question(s, id, q);
    send_request(s, env, id);
    return get_request(*db, id);
  }
};

} // namespace

TEST_CASE("a link opens its request while it awaits the client, and only then") {
  Fixture f;
  const Request r = f.sent_request();
  const auto token = links(*f.db, f.env, r).front().token;
  const auto now = test::at("2026-03-02");
  REQUIRE(open_link(*f.db, f.env, token, now));
  CHECK(open_link(*f.db, f.env, token, now)->request.id == r.id);
  // Forged: one hex digit changed.
  std::string forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  CHECK_FALSE(open_link(*f.db, f.env, forged, now));
  CHECK_FALSE(open_link(*f.db, f.env, "garbage", now));
  // Expiry on top, when configured.
  f.config.portal_link_expiry_days = 7;
  CHECK(open_link(*f.db, f.env, token, test::at("2026-03-07")));
  CHECK_FALSE(open_link(*f.db, f.env, token, test::at("2026-03-09")));
  f.config.portal_link_expiry_days = 0;
  // Revoked by relink.
  auto s = f.session();
  relink(s, r.id, std::nullopt);
  CHECK_FALSE(open_link(*f.db, f.env, token, now));
  const auto fresh = links(*f.db, f.env, get_request(*f.db, r.id)).front().token;
  CHECK(open_link(*f.db, f.env, fresh, now));
  // Dead once completed.
  complete(s, r.id);
  CHECK_FALSE(open_link(*f.db, f.env, fresh, now));
}

TEST_CASE("the first answer starts the request; questions freeze; submit checks required ones") {
  Fixture f;
  const Request r = f.sent_request();
  auto s = f.session();
  CHECK_THROWS_AS(submit(s, f.env, r.id, std::nullopt), InvalidInput);
  CHECK(get_request(*f.db, r.id).status == Status::pending);
  answer(s, f.env, r.id, {1, {"hello"}, {}, {}, std::string("john@smith.test")});
  CHECK(get_request(*f.db, r.id).status == Status::in_progress);
  Question q;
  q.type = QuestionType::text;
  q.prompt = "Late";
  CHECK_THROWS_AS(add_question(s, r.id, q), Conflict);
  CHECK(submit(s, f.env, r.id, std::nullopt).requests.front().status == Status::submitted);
  CHECK_THROWS_AS(cancel(s, r.id, std::nullopt), Conflict);
  CHECK(complete(s, r.id).status == Status::completed);
}
