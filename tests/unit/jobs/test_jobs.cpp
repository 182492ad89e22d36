#include "../support/db.hpp"

#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/jobs/jobs.hpp"
#include "practice/requests/request_store.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::jobs;

namespace {

accounts::Session open_session(storage::Database& db) {
  return accounts::make_session(db, test::at("2026-03-01T09:00:00Z"), std::nullopt, "osuser");
}

int64_t add_template(accounts::Session& s, const std::string& name) {
  requests::Definition d;
  d.name = name;
  d.title = name;
  requests::Question q;
  q.prompt = "Anything?";
  d.questions.push_back(q);
  return requests::RequestStore(s.db).insert_template(d, s.now);
}

} // namespace

TEST_CASE("a template an automation sends cannot be removed; the refusal names pipeline and stage") {
  auto db = test::memory_db();
  auto s = open_session(*db);
  const auto id = add_template(s, "receipts");
  create_pipeline(s, "Tax return", {"Intake", "Documents", "Done"});
  const auto p = add_automation(s, "Tax return", "Documents", {"receipts", {}, std::nullopt});
  const auto automation = p.stages[1].automations.at(0).id;
  const auto before = audit::AuditLog(*db).verify().rows;
  try {
    remove_template(s, "RECEIPTS");
    FAIL("removed a template in use");
  } catch (const Conflict& e) {
    CHECK(std::string(e.what()) == "request template \"receipts\" is in use: stage \"Documents\" of pipeline "
                                   "\"Tax return\" sends it");
    CHECK(e.hint() == "remove it first with 'practice pipeline automation remove " + std::to_string(automation) + "'");
  }
  CHECK(requests::RequestStore(*db).find_template("receipts"));
  CHECK(audit::AuditLog(*db).verify().rows == before);

  remove_automation(s, automation);
  CHECK(remove_template(s, std::to_string(id)).name == "receipts");
  CHECK_FALSE(requests::RequestStore(*db).find_template("receipts"));
  audit::AuditFilter f;
  f.item = "template:" + std::to_string(id);
  const auto log = audit::AuditLog(*db).list(f);
  REQUIRE(log.size() == 1);
  CHECK(log[0].action == "removed");
  CHECK_THROWS_AS(remove_template(s, "receipts"), NotFound);
}

TEST_CASE("automations of removed stages do not hold a template") {
  auto db = test::memory_db();
  auto s = open_session(*db);
  add_template(s, "receipts");
  create_pipeline(s, "Tax return", {"Intake", "Documents", "Done"});
  add_automation(s, "Tax return", "Documents", {"receipts", {}, std::nullopt});
  remove_stage(s, "Tax return", "Documents");
  CHECK_NOTHROW(remove_template(s, "receipts"));
}

TEST_CASE("export_pipeline_json holds what export_pipeline writes, absent values as null") {
  Pipeline p;
  p.id = 7;
  p.name = "Tax return";
  Stage intake;
  intake.name = "Intake";
  Stage docs;
  docs.name = "Documents";
  docs.automove = true;
  Automation plain;
  plain.template_name = "receipts";
  Automation tuned;
  tuned.template_name = "id-card";
  tuned.reminders = requests::Reminders{false, 5, 2};
  tuned.login = false;
  docs.automations = {plain, tuned};
  p.stages = {intake, docs};
  const auto j = export_pipeline_json(p);
  CHECK(j.dump() ==
        R"({"name":"Tax return","stages":[{"name":"Intake","automove":false,"automations":[]},)"
        R"({"name":"Documents","automove":true,"automations":[{"send_request":"receipts","reminders":null,"login":null},)"
        R"({"send_request":"id-card","reminders":{"on":false,"every_days":5,"count":2},"login":false}]}]})");
}
