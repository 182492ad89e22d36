#include "../support/portal_fixture.hpp"

#include "practice/app/actions.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/audit/actor.hpp"
#include "practice/error.hpp"
#include "practice/jobs/jobs.hpp"
#include "practice/requests/request_store.hpp"

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <functional>

using namespace practice;
using namespace practice::requests;
using namespace std::chrono_literals;

namespace {

Question text_question(const std::string& prompt, bool required = true) {
  Question q;
  q.type = QuestionType::text;
  q.prompt = prompt;
  q.required = required;
  return q;
}

Question file_question(const std::string& prompt) {
  Question q;
  q.type = QuestionType::file;
  q.prompt = prompt;
  return q;
}

AnswerInput text_answer(int position, const std::string& value) {
  AnswerInput in;
  in.position = position;
  in.values = {value};
  return in;
}

std::string item_of(const Request& r) { return fmt::format("request:{}", r.id); }

// Everything a client might reach for, on the Smith account: a request sent
// to John, a draft, a document with a pending approval, a job of a pipeline.
struct World : test::PortalFixture {
  Request sent;
  Request draft;
  approvals::Document document;
  approvals::Approval approval;
  jobs::Job job;

  World() {
    sent = sent_request("Smith", {text_question("Your tax number"), file_question("Bank statements")},
                        {"john@smith.test"});
    auto s = staff();
    NewRequest in;
    in.accounts = {"Smith"};
    in.title = "Later";
    in.draft = true;
    draft = create_requests(s, env, in).requests.front();
    add_question(s, draft.id, text_question("Q"));
    approvals::add_folder(s, "Shared", true);
    document = approvals::add_document(s, env, "Smith", file("accounts.pdf", "%PDF-1.4 accounts"), "Shared",
                                       std::nullopt);
    approval = approvals::request_approval(s, env, document.id, std::nullopt, {}).approvals.front();
    jobs::create_pipeline(s, "Year end", {"Collect", "Review", "File"});
    job = jobs::create_job(s, env, {"Smith", "Year end", std::nullopt, std::nullopt, std::nullopt, std::nullopt})
              .job;
    jobs::link_item(s, job.id, "request", sent.id);
  }
};

} // namespace

TEST_CASE("a client answers and submits a request of their account, audited as themselves via the portal",
          "[portal][actions]") {
  World w;
  w.config.firm_notify = {"office@acme.test"};
  auto s = w.client(w.john, w.t0 + 1h);
  auto r = app::save_answer(s, w.env, w.sent.id, text_answer(1, "DE123"));
  CHECK(r.status == Status::in_progress);
  REQUIRE(r.answers[0]);
  // Who answered: the contact, with their current name and email.
  CHECK(r.answers[0]->answered_by.actor.kind == audit::ActorKind::contact);
  CHECK(r.answers[0]->answered_by.actor.id == w.john.id);
  CHECK(r.answers[0]->answered_by.email == "john@smith.test");
  CHECK(r.answers[0]->answered_by.name.has_value());
  AnswerInput files;
  files.position = 2;
  files.files = {w.file("jan.pdf", "january")};
  files.file_names = {"jan.pdf"};
  app::save_answer(s, w.env, w.sent.id, files);
  const auto done = app::submit_request(s, w.env, w.sent.id, std::nullopt);
  CHECK(done.requests.front().status == Status::submitted);
  CHECK(done.outbox_ids.size() == 1); // the firm is told

  for (const char* action : {"started", "answered", "submitted"}) {
    INFO(action);
    const auto rows = w.audit_rows(item_of(w.sent), action);
    REQUIRE_FALSE(rows.empty());
    for (const auto& e : rows) {
      CHECK(e.actor.kind == audit::ActorKind::contact);
      CHECK(e.actor.id == w.john.id);
      CHECK(e.actor.name == "john@smith.test");
      const auto d = test::details_of(e);
      CHECK(d.value("via", "") == "portal");
      CHECK_FALSE(d.contains("entered_by"));
    }
  }
  CHECK(w.audit_rows(item_of(w.sent), "answered").size() == 2);
}

TEST_CASE("a third party answers and submits a request without login, audited as a third party",
          "[portal][actions]") {
  test::PortalFixture f;
  const auto r = f.sent_request("Smith", {}, {"advisor@other.test"}, true);
  REQUIRE(r.recipients.size() == 1);
  CHECK_FALSE(r.recipients.front().contact_id);
  auto s = f.third_party(r.account_id, "advisor@other.test");
  app::save_answer(s, f.env, r.id, text_answer(1, "DE123"));
  CHECK(app::submit_request(s, f.env, r.id, std::nullopt).requests.front().status == Status::submitted);
  for (const char* action : {"answered", "submitted"}) {
    INFO(action);
    const auto rows = f.audit_rows(item_of(r), action);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].actor.kind == audit::ActorKind::third_party);
    CHECK_FALSE(rows[0].actor.id);
    CHECK(rows[0].actor.name == "advisor@other.test");
    CHECK(test::details_of(rows[0]).value("via", "") == "portal");
  }
  const auto by = get_request(*f.db, r.id).answers[0]->answered_by;
  CHECK(by.actor.kind == audit::ActorKind::third_party);
  CHECK(by.email == "advisor@other.test");
  CHECK_FALSE(by.name);
}

TEST_CASE("a client's submission moves the job on; the move is the system's", "[portal][actions][automove]") {
  World w;
  auto staff = w.staff();
  jobs::StageChanges on;
  on.automove = true;
  jobs::edit_stage(staff, "Year end", "Collect", on);
  // Entering Review sends a checklist from a template.
  Definition checklist;
  checklist.name = "Checklist";
  checklist.title = "Checklist";
  checklist.questions = {text_question("Anything else?")};
  RequestStore(*w.db).insert_template(checklist, w.t0);
  jobs::add_automation(staff, "Year end", "Review", {"Checklist", {}, std::nullopt});

  auto s = w.client(w.john, w.t0 + 1h);
  app::save_answer(s, w.env, w.sent.id, text_answer(1, "DE123"));
  AnswerInput files;
  files.position = 2;
  files.files = {w.file("jan.pdf", "january")};
  app::save_answer(s, w.env, w.sent.id, files);
  const auto done = app::submit_request(s, w.env, w.sent.id, std::nullopt);
  const auto job = jobs::get_job(*w.db, w.job.id);
  CHECK(job.stage_name == "Review");
  // The automation's request was sent to the account's contacts.
  CHECK(done.outbox_ids.size() >= 2);
  audit::AuditFilter jf;
  jf.item = fmt::format("job:{}", w.job.id);
  bool moved = false;
  for (const auto& e : audit::AuditLog(*w.db).list(jf)) {
    if (e.action == "moved") {
      moved = true;
      CHECK(e.actor.kind == audit::ActorKind::system);
      CHECK(test::details_of(e).value("cause", "") == "automove");
    }
  }
  CHECK(moved);
  bool created = false;
  audit::AuditFilter af;
  af.account_id = w.john.account_id;
  for (const auto& e : audit::AuditLog(*w.db).list(af)) {
    if (e.action == "created" && e.item.rfind("request:", 0) == 0 && e.item != item_of(w.sent) &&
        e.item != item_of(w.draft)) {
      created = true;
      CHECK(e.actor.kind == audit::ActorKind::system);
    }
  }
  CHECK(created);
}

TEST_CASE("a client's approval moves the job on", "[portal][actions][automove]") {
  World w;
  auto staff = w.staff();
  jobs::StageChanges on;
  on.automove = true;
  jobs::edit_stage(staff, "Year end", "Collect", on);
  jobs::unlink_item(staff, w.job.id, "request", w.sent.id);
  jobs::link_item(staff, w.job.id, "approval", w.approval.id);
  auto s = w.client(w.jane, w.t0 + 1h);
  const auto done = app::approve(s, w.env, w.approval.id, std::nullopt);
  CHECK(done.approvals.front().status == approvals::Status::approved);
  CHECK(jobs::get_job(*w.db, w.job.id).stage_name == "Review");
  audit::AuditFilter f;
  f.item = fmt::format("approval:{}", w.approval.id);
  bool approved = false;
  for (const auto& e : audit::AuditLog(*w.db).list(f)) {
    if (e.action == "approved") {
      approved = true;
      CHECK(e.actor.kind == audit::ActorKind::contact);
      CHECK(e.actor.id == w.jane.id);
      CHECK(test::details_of(e).value("via", "") == "portal");
    }
  }
  CHECK(approved);
}

TEST_CASE("a client cannot touch another account's items", "[portal][actions][permissions]") {
  World w;
  auto bob = w.client(w.bob, w.t0 + 1h);
  CHECK_THROWS_AS(app::save_answer(bob, w.env, w.sent.id, text_answer(1, "x")), PermissionDenied);
  CHECK_THROWS_AS(app::submit_request(bob, w.env, w.sent.id, std::nullopt), PermissionDenied);
  CHECK_THROWS_AS(clear_answer(bob, w.sent.id, 1), PermissionDenied);
  CHECK_THROWS_AS(remove_answer_file(bob, w.sent.id, 2, 1), PermissionDenied);
  CHECK_THROWS_AS(app::approve(bob, w.env, w.approval.id, std::nullopt), PermissionDenied);
  CHECK_THROWS_AS(app::disapprove(bob, w.env, w.approval.id, {"wrong year"}, std::nullopt, std::nullopt),
                  PermissionDenied);
  // Not even with John's address: the account decides.
  auto johnny = w.client(w.johnny, w.t0 + 1h);
  CHECK_THROWS_AS(app::save_answer(johnny, w.env, w.sent.id, text_answer(1, "x")), PermissionDenied);
  auto third = w.third_party(w.bob.account_id, "john@smith.test");
  CHECK_THROWS_AS(app::save_answer(third, w.env, w.sent.id, text_answer(1, "x")), PermissionDenied);

  // And every staff operation on another account refuses too.
  CHECK_THROWS_AS(cancel(bob, w.sent.id, std::nullopt), PermissionDenied);
  CHECK_THROWS_AS(complete(bob, w.sent.id), PermissionDenied);
  CHECK_THROWS_AS(add_question(bob, w.draft.id, text_question("More")), PermissionDenied);
  CHECK_THROWS_AS(approvals::cancel(bob, w.approval.id), PermissionDenied);
  NewRequest in;
  in.accounts = {"Smith"};
  in.title = "From Bob";
  CHECK_THROWS_AS(create_requests(bob, w.env, in), PermissionDenied);

  // Nothing changed.
  const auto r = get_request(*w.db, w.sent.id);
  CHECK(r.status == Status::pending);
  CHECK_FALSE(r.answers[0]);
  CHECK(approvals::get_approval(*w.db, w.approval.id).status == approvals::Status::pending);
}

namespace {

// Operations only the firm may run, each tried by a client of the account
// they concern.
using Op = std::function<void(World&, accounts::Session&)>;
const std::vector<std::pair<const char*, Op>>& staff_only_ops() {
  static const std::vector<std::pair<const char*, Op>> ops = {
      {"requests::create_requests",
       [](World& w, accounts::Session& s) {
         NewRequest in;
         in.accounts = {"Smith"};
         in.title = "Mine";
         in.draft = true;
         create_requests(s, w.env, in);
       }},
      {"requests::send_request", [](World& w, accounts::Session& s) { send_request(s, w.env, w.draft.id); }},
      {"requests::edit_request",
       [](World& w, accounts::Session& s) {
         RequestChanges c;
         c.title = "Renamed";
         edit_request(s, w.env, w.sent.id, c);
       }},
      {"requests::add_question",
       [](World& w, accounts::Session& s) { add_question(s, w.sent.id, text_question("More")); }},
      {"requests::edit_question",
       [](World& w, accounts::Session& s) {
         QuestionChanges c;
         c.required = false;
         edit_question(s, w.sent.id, 1, c);
       }},
      {"requests::remove_question", [](World& w, accounts::Session& s) { remove_question(s, w.sent.id, 1); }},
      {"requests::complete", [](World& w, accounts::Session& s) { complete(s, w.sent.id); }},
      {"app::complete_request", [](World& w, accounts::Session& s) { app::complete_request(s, w.env, w.sent.id); }},
      {"requests::cancel", [](World& w, accounts::Session& s) { cancel(s, w.sent.id, std::string("no")); }},
      {"requests::relink", [](World& w, accounts::Session& s) { relink(s, w.sent.id, std::nullopt); }},
      {"requests::resend", [](World& w, accounts::Session& s) { resend(s, w.env, w.sent.id, std::nullopt); }},
      {"approvals::add_folder", [](World&, accounts::Session& s) { approvals::add_folder(s, "Mine", true); }},
      {"approvals::edit_folder", [](World&, accounts::Session& s) { approvals::edit_folder(s, "Shared", false); }},
      {"approvals::add_document",
       [](World& w, accounts::Session& s) {
         approvals::add_document(s, w.env, "Smith", w.file("mine.pdf", "mine"), "Shared", std::nullopt);
       }},
      {"approvals::request_approval",
       [](World& w, accounts::Session& s) {
         auto staff = w.staff();
         approvals::cancel(staff, w.approval.id);
         approvals::request_approval(s, w.env, w.document.id, std::nullopt, {});
       }},
      {"approvals::edit_document",
       [](World& w, accounts::Session& s) {
         approvals::edit_document(s, w.document.id, {std::nullopt, std::string("Changed")});
       }},
      {"approvals::remove_document",
       [](World& w, accounts::Session& s) {
         auto staff = w.staff();
         approvals::cancel(staff, w.approval.id);
         approvals::remove_document(s, w.document.id);
       }},
      {"approvals::cancel", [](World& w, accounts::Session& s) { approvals::cancel(s, w.approval.id); }},
      {"approvals::resend",
       [](World& w, accounts::Session& s) { approvals::resend(s, w.env, w.approval.id, std::nullopt, std::nullopt); }},
      {"accounts::init_firm",
       [](World&, accounts::Session& s) { accounts::init_firm(s, std::string("Renamed firm"), std::nullopt); }},
      {"accounts::add_account",
       [](World&, accounts::Session& s) { accounts::add_account(s, "Mine", accounts::AccountType::individual); }},
      {"accounts::edit_account",
       [](World&, accounts::Session& s) {
         accounts::AccountChanges c;
         c.name = "Smith & Co";
         accounts::edit_account(s, "Smith", c);
       }},
      {"accounts::archive_account",
       [](World&, accounts::Session& s) { accounts::archive_account(s, "Smith", accounts::Archive::archive); }},
      {"accounts::add_contact",
       [](World&, accounts::Session& s) {
         accounts::add_contact(s, {"Smith", "Eve", "eve@evil.test", true, true, {}});
       }},
      {"accounts::edit_contact",
       [](World& w, accounts::Session& s) {
         accounts::ContactChanges c;
         c.email = "eve@evil.test";
         accounts::edit_contact(s, std::to_string(w.jane.id), std::nullopt, c);
       }},
      {"accounts::remove_contact",
       [](World& w, accounts::Session& s) { accounts::remove_contact(s, std::to_string(w.jane.id), std::nullopt); }},
      {"accounts::add_staff",
       [](World&, accounts::Session& s) { accounts::add_staff(s, {"Eve", "eve@evil.test", std::nullopt, true}); }},
      {"jobs::create_pipeline",
       [](World&, accounts::Session& s) { jobs::create_pipeline(s, "Mine", {"One", "Two"}); }},
      {"jobs::create_job",
       [](World& w, accounts::Session& s) {
         jobs::create_job(s, w.env, {"Smith", "Year end", std::nullopt, std::nullopt, std::nullopt, std::nullopt});
       }},
      {"jobs::move_job",
       [](World& w, accounts::Session& s) {
         jobs::move_job(s, w.env, w.job.id, std::string("Review"), jobs::Pending::keep);
       }},
      {"jobs::link_item",
       [](World& w, accounts::Session& s) { jobs::link_item(s, w.job.id, "approval", w.approval.id); }},
      {"jobs::unlink_item",
       [](World& w, accounts::Session& s) { jobs::unlink_item(s, w.job.id, "request", w.sent.id); }},
      {"jobs::archive_job", [](World& w, accounts::Session& s) { jobs::archive_job(s, w.job.id); }},
  };
  return ops;
}

} // namespace

// The core must refuse these to a client even on their own account (see
// session.hpp: "Staff-only operations refuse it"); the portal offers none of
// them, so this is the second line of defence.
TEST_CASE("a client is refused every staff-only operation, even on their own account",
          "[portal][actions][permissions]") {
  for (const auto& [name, op] : staff_only_ops()) {
    World w;
    auto s = w.client(w.john, w.t0 + 1h);
    INFO(name);
    CHECK_THROWS_AS(op(w, s), PermissionDenied);
  }
}

TEST_CASE("the staff-only operations work for the firm (so the refusals above mean something)",
          "[portal][actions][permissions]") {
  for (const auto& [name, op] : staff_only_ops()) {
    World w;
    auto s = w.staff(w.t0 + 1h);
    INFO(name);
    CHECK_NOTHROW(op(w, s));
  }
}

TEST_CASE("clear_answer takes an answer back", "[portal][actions][answers]") {
  World w;
  auto s = w.client(w.john, w.t0 + 1h);
  app::save_answer(s, w.env, w.sent.id, text_answer(1, "DE123"));
  auto r = clear_answer(s, w.sent.id, 1);
  CHECK_FALSE(r.answers[0]);
  CHECK_FALSE(get_request(*w.db, w.sent.id).answers[0]);
  CHECK(r.status == Status::in_progress);
  const auto rows = w.audit_rows(item_of(w.sent), "answer_cleared");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].actor.kind == audit::ActorKind::contact);
  CHECK(rows[0].actor.id == w.john.id);
  CHECK(test::details_of(rows[0]).value("via", "") == "portal");
  CHECK(test::details_of(rows[0]).value("question", 0) == 1);
  // Clearing what is not answered changes and audits nothing.
  clear_answer(s, w.sent.id, 1);
  CHECK(w.audit_rows(item_of(w.sent), "answer_cleared").size() == 1);
  // The required question is missing again.
  CHECK_THROWS_AS(app::submit_request(s, w.env, w.sent.id, std::nullopt), InvalidInput);
  CHECK_THROWS_AS(clear_answer(s, w.sent.id, 3), NotFound);
  CHECK_THROWS_AS(clear_answer(s, w.sent.id, 0), NotFound);
}

TEST_CASE("clear_answer of a file question takes its files too", "[portal][actions][answers]") {
  World w;
  auto s = w.client(w.john, w.t0 + 1h);
  AnswerInput files;
  files.position = 2;
  files.files = {w.file("a.pdf", "aaa"), w.file("b.pdf", "bbb")};
  REQUIRE(app::save_answer(s, w.env, w.sent.id, files).answers[1]->files.size() == 2);
  CHECK_FALSE(clear_answer(s, w.sent.id, 2).answers[1]);
  // A new upload starts from nothing.
  files.files = {w.file("c.pdf", "ccc")};
  const auto r = app::save_answer(s, w.env, w.sent.id, files);
  REQUIRE(r.answers[1]);
  REQUIRE(r.answers[1]->files.size() == 1);
  CHECK(r.answers[1]->files[0].name == "c.pdf");
}

TEST_CASE("remove_answer_file takes one file; the last one takes the answer", "[portal][actions][answers]") {
  World w;
  auto s = w.client(w.john, w.t0 + 1h);
  AnswerInput files;
  files.position = 2;
  files.files = {w.file("a.pdf", "aaa"), w.file("b.pdf", "bbb")};
  files.file_names = {"jan.pdf", "feb.pdf"};
  const auto before = app::save_answer(s, w.env, w.sent.id, files);
  REQUIRE(before.answers[1]);
  REQUIRE(before.answers[1]->files.size() == 2);
  const auto jan = before.answers[1]->files[0];
  const auto feb = before.answers[1]->files[1];
  CHECK(jan.name == "jan.pdf");

  auto r = remove_answer_file(s, w.sent.id, 2, jan.id);
  REQUIRE(r.answers[1]);
  REQUIRE(r.answers[1]->files.size() == 1);
  CHECK(r.answers[1]->files[0].id == feb.id);
  const auto rows = w.audit_rows(item_of(w.sent), "file_removed");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].actor.kind == audit::ActorKind::contact);
  const auto d = test::details_of(rows[0]);
  CHECK(d.value("via", "") == "portal");
  CHECK(d["file"].value("name", "") == "jan.pdf");
  CHECK(d["file"].value("sha256", "") == jan.sha256);

  // Gone already, or never there, or on another question: not found.
  CHECK_THROWS_AS(remove_answer_file(s, w.sent.id, 2, jan.id), NotFound);
  CHECK_THROWS_AS(remove_answer_file(s, w.sent.id, 2, feb.id + 1000), NotFound);
  CHECK_THROWS_AS(remove_answer_file(s, w.sent.id, 1, feb.id), NotFound);
  CHECK_THROWS_AS(remove_answer_file(s, w.sent.id, 9, feb.id), NotFound);

  r = remove_answer_file(s, w.sent.id, 2, feb.id);
  CHECK_FALSE(r.answers[1]);
  CHECK_FALSE(get_request(*w.db, w.sent.id).answers[1]);
  CHECK(w.audit_rows(item_of(w.sent), "file_removed").size() == 2);
  CHECK_THROWS_AS(remove_answer_file(s, w.sent.id, 2, feb.id), NotFound);
}

TEST_CASE("answers cannot be taken back once submitted", "[portal][actions][answers]") {
  World w;
  auto s = w.client(w.john, w.t0 + 1h);
  app::save_answer(s, w.env, w.sent.id, text_answer(1, "DE123"));
  AnswerInput files;
  files.position = 2;
  files.files = {w.file("a.pdf", "aaa")};
  const auto file_id = app::save_answer(s, w.env, w.sent.id, files).answers[1]->files[0].id;
  app::submit_request(s, w.env, w.sent.id, std::nullopt);
  CHECK_THROWS_AS(clear_answer(s, w.sent.id, 1), Conflict);
  CHECK_THROWS_AS(remove_answer_file(s, w.sent.id, 2, file_id), Conflict);
  CHECK_THROWS_AS(app::save_answer(s, w.env, w.sent.id, text_answer(1, "changed")), Conflict);
  CHECK(get_request(*w.db, w.sent.id).answers[1]->files.size() == 1);
}

TEST_CASE("a submitted request still opens for viewing, not for acting", "[portal][actions][links]") {
  World w;
  const auto token = links(*w.db, w.env, w.sent).front().token;
  auto s = w.client(w.john, w.t0 + 1h);
  app::save_answer(s, w.env, w.sent.id, text_answer(1, "DE123"));
  AnswerInput files;
  files.position = 2;
  files.files = {w.file("a.pdf", "aaa")};
  app::save_answer(s, w.env, w.sent.id, files);
  CHECK(open_link(*w.db, w.env, token, w.t0 + 1h, LinkUse::act));
  app::submit_request(s, w.env, w.sent.id, std::nullopt);
  CHECK_FALSE(open_link(*w.db, w.env, token, w.t0 + 2h, LinkUse::act));
  CHECK(open_link(*w.db, w.env, token, w.t0 + 2h, LinkUse::view));
  auto staff = w.staff(w.t0 + 3h);
  complete(staff, w.sent.id);
  CHECK(open_link(*w.db, w.env, token, w.t0 + 3h, LinkUse::view));
  // A cancelled or draft request opens for neither.
  CHECK_FALSE(open_link(*w.db, w.env, links(*w.db, w.env, w.draft).front().token, w.t0 + 3h, LinkUse::view));
  const auto other = w.sent_request("Smith");
  const auto other_token = links(*w.db, w.env, other).front().token;
  CHECK(open_link(*w.db, w.env, other_token, w.t0 + 3h, LinkUse::view));
  cancel(staff, other.id, std::nullopt);
  CHECK_FALSE(open_link(*w.db, w.env, other_token, w.t0 + 3h, LinkUse::view));
  CHECK_FALSE(open_link(*w.db, w.env, other_token, w.t0 + 3h, LinkUse::act));
}
