#include "../support/db.hpp"

#include "practice/audit/audit_log.hpp"
#include "practice/util/sha256.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::audit;

namespace {

std::vector<AuditEntry> sample_chain() {
  auto db = test::memory_db();
  AuditLog log(*db);
  const Actor alice{ActorKind::staff, 1, "alice@acme.test"};
  log.record(test::at("2026-03-01T09:00:00Z"), alice, 1, "account:1", "created", {{"name", "Smith"}});
  log.record(test::at("2026-03-01T09:01:00Z"), alice, 1, "contact:1", "created", {{"email", "j@s.test"}});
  log.record(test::at("2026-03-02T10:00:00Z"), Actor::system(), std::nullopt, "firm:1", "edited", {});
  return log.list({});
}

} // namespace

TEST_CASE("each row chains to the one before") {
  const auto chain = sample_chain();
  REQUIRE(chain.size() == 3);
  CHECK(chain[0].prev_hash == k_genesis_hash);
  CHECK(chain[1].prev_hash == chain[0].hash);
  CHECK(chain[2].prev_hash == chain[1].hash);
  const auto r = verify_chain(chain);
  CHECK(r.ok);
  CHECK(r.rows == 3);
  CHECK(r.head_hash == chain[2].hash);
}

TEST_CASE("an altered field is found in the row it was altered in") {
  for (int field = 0; field < 6; ++field) {
    auto chain = sample_chain();
    auto& e = chain[1];
    switch (field) {
    case 0: e.details = R"({"email":"other@s.test"})"; break;
    case 1: e.actor.name = "mallory@acme.test"; break;
    case 2: e.at = "2026-03-01T09:01:01Z"; break;
    case 3: e.action = "removed"; break;
    case 4: e.account_id = 2; break;
    case 5: e.item = "contact:2"; break;
    }
    const auto r = verify_chain(chain);
    INFO(field);
    CHECK_FALSE(r.ok);
    CHECK(r.bad_row == 2);
    CHECK(r.problem.find("row 2 was altered") != std::string::npos);
  }
}

TEST_CASE("a removed row is named") {
  auto chain = sample_chain();
  chain.erase(chain.begin() + 1);
  const auto r = verify_chain(chain);
  CHECK_FALSE(r.ok);
  CHECK(r.bad_row == 3);
  CHECK(r.problem.find("row 2 was removed") != std::string::npos);
}

TEST_CASE("rehashing an altered row still breaks the next link") {
  auto chain = sample_chain();
  chain[0].details = R"({"name":"Smyth"})";
  chain[0].hash = entry_hash(chain[0]);
  const auto r = verify_chain(chain);
  CHECK_FALSE(r.ok);
  CHECK(r.bad_row == 2);
}

TEST_CASE("the database refuses updates and deletes of audit rows") {
  auto db = test::memory_db();
  AuditLog log(*db);
  log.record(test::at("2026-03-01"), Actor::system(), std::nullopt, "firm:1", "created", {});
  CHECK_THROWS(db->exec("UPDATE audit SET action = 'x'"));
  CHECK_THROWS(db->exec("DELETE FROM audit"));
  CHECK(log.verify().ok);
}

TEST_CASE("filters by account, item and time") {
  auto db = test::memory_db();
  AuditLog log(*db);
  log.record(test::at("2026-03-01"), Actor::system(), 1, "account:1", "created", {});
  log.record(test::at("2026-03-02"), Actor::system(), 2, "account:2", "created", {});
  log.record(test::at("2026-03-03"), Actor::system(), 1, "contact:5", "created", {});
  AuditFilter f;
  f.account_id = 1;
  CHECK(log.list(f).size() == 2);
  f = {};
  f.item = "account:2";
  CHECK(log.list(f).size() == 1);
  f = {};
  f.since = test::at("2026-03-02");
  CHECK(log.list(f).size() == 2);
  f.until = test::at("2026-03-02");
  CHECK(log.list(f).size() == 1);
  f = {};
  f.actor = "SYSTEM";
  f.limit = 2;
  const auto newest = log.list(f);
  REQUIRE(newest.size() == 2);
  CHECK(newest[0].item == "account:2"); // the most recent two, oldest first
  CHECK(newest[1].item == "contact:5");
  f.actor = "someone@else.test";
  CHECK(log.list(f).empty());
}

TEST_CASE("a row's hash covers the text nlohmann writes for its fields as a JSON array") {
  AuditEntry e;
  e.id = 123456;
  e.prev_hash = std::string(k_genesis_hash);
  const char* texts[] = {"", "plain", "O'Brien & \"Sons\" \\ Co", "tab\there\nline\x01\x1f del\x7f",
                         "Ionescu Familie \xc3\xa9\xe2\x82\xac \xf0\x9f\x93\x8e", R"({"to":["a@b.test"],"n":1})"};
  for (const char* text : texts) {
    for (const auto actor_id : {std::optional<int64_t>{}, std::optional<int64_t>{-7}}) {
      e.at = "2026-03-01T09:00:00Z";
      e.actor = {ActorKind::contact, actor_id, text};
      e.account_id = actor_id ? std::optional<int64_t>{42} : std::nullopt;
      e.item = std::string("request:") + text;
      e.action = text;
      e.details = text;
      const nlohmann::json content = {e.id,
                                      e.at,
                                      "contact",
                                      e.actor.id ? nlohmann::json(*e.actor.id) : nlohmann::json(nullptr),
                                      e.actor.name,
                                      e.account_id ? nlohmann::json(*e.account_id) : nlohmann::json(nullptr),
                                      e.item,
                                      e.action,
                                      e.details};
      INFO(text);
      CHECK(entry_hash(e) == util::sha256_hex(e.prev_hash + "\n" + content.dump()));
    }
  }
  // Text that is not UTF-8 is refused, as nlohmann refuses to write it.
  e.details = "broken \xff";
  CHECK_THROWS(entry_hash(e));
}
