#include "../support/db.hpp"

#include "practice/approvals/approval_store.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/jobs/job_store.hpp"
#include "practice/mail/outbox_store.hpp"
#include "practice/reminders/reminder_store.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/storage/query_plan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

// The statements behind the commands a firm runs all day, held to their
// indexes (issue 16). Without ANALYZE, SQLite plans by the schema alone, so
// an empty database plans as a firm of 300,000 requests does.
using namespace practice;

namespace {

struct Case {
  std::string command;
  std::string sql;
  std::vector<std::string> uses;    // plan lines that must appear (substrings)
  std::vector<std::string> may_scan; // what a whole-list command reads whole, in order
  bool may_sort = false;            // a temp b-tree for ORDER BY, and why, in `command`
};

void check(storage::Database& db, const Case& c) {
  const auto plan = storage::query_plan(db, c.sql);
  std::string text;
  for (const auto& line : plan) {
    text += line + "\n";
  }
  INFO(c.command << ":\n" << text);
  // A subquery's rows by its name (PostgreSQL wants one): read as made, not a table.
  std::vector<std::string> subqueries;
  for (const auto& line : plan) {
    const auto step = line.substr(line.find_first_not_of(' '));
    for (const std::string kind : {"CO-ROUTINE ", "MATERIALIZE "}) {
      if (step.rfind(kind, 0) == 0) {
        subqueries.push_back(step.substr(kind.size(), step.find(' ', kind.size()) - kind.size()));
      }
    }
  }
  for (const auto& line : plan) {
    const auto step = line.substr(line.find_first_not_of(' '));
    if (step.rfind("SCAN ", 0) == 0 && step.rfind("SCAN (", 0) != 0 && step != "SCAN CONSTANT ROW") {
      const auto name = step.substr(5, step.find(' ', 5) - 5);
      if (std::find(subqueries.begin(), subqueries.end(), name) != subqueries.end()) {
        continue;
      }
      INFO("full scan of " << name);
      CHECK(std::find(c.may_scan.begin(), c.may_scan.end(), name) != c.may_scan.end());
    }
    if (step.find("TEMP B-TREE FOR") != std::string::npos && step.find("ORDER BY") != std::string::npos) {
      INFO("sorts: " << step);
      CHECK(c.may_sort);
    }
  }
  for (const auto& wanted : c.uses) {
    INFO("wants " << wanted);
    CHECK(text.find(wanted) != std::string::npos);
  }
}

} // namespace

TEST_CASE("request lists read through their indexes in the order they print") {
  auto db = test::memory_db();
  using requests::RequestStore;
  requests::RequestFilter account;
  account.account_id = 1;
  requests::RequestFilter status;
  status.status = requests::Status::pending;
  requests::RequestFilter both = account;
  both.status = requests::Status::pending;
  requests::RequestFilter job;
  job.job_id = 1;
  for (const Case& c : std::vector<Case>{
           {"request list --account A", RequestStore::list_sql(account),
            {"SEARCH r USING INDEX requests_account (account_id=?)"}, {}},
           {"request list --status pending", RequestStore::list_sql(status),
            {"SEARCH r USING INDEX requests_status_activity (status=?)"}, {}},
           {"request list --account A --status pending", RequestStore::list_sql(both), {"SEARCH r USING INDEX"}, {}},
           {"request list", RequestStore::list_sql({}), {"SCAN r USING INDEX requests_activity"}, {"r"}},
           // The job's few requests, found through its links in SQL, are sorted.
           {"request list --job J", RequestStore::list_sql(job),
            {"SEARCH r USING INTEGER PRIMARY KEY", "(job_id=? AND item_kind=?)"}, {}, true},
       }) {
    check(*db, c);
  }
}

TEST_CASE("approval lists read through their indexes in the order they print") {
  auto db = test::memory_db();
  using approvals::ApprovalStore;
  approvals::ApprovalFilter account;
  account.account_id = 1;
  approvals::ApprovalFilter status;
  status.status = approvals::Status::pending;
  approvals::ApprovalFilter job;
  job.job_id = 1;
  for (const Case& c : std::vector<Case>{
           {"approval list --account A", ApprovalStore::list_sql(account),
            {"SEARCH p USING INDEX approvals_account_requested (account_id=?)"}, {}},
           {"approval list --status pending", ApprovalStore::list_sql(status),
            {"SEARCH p USING INDEX approvals_status (status=?)"}, {}},
           {"approval list", ApprovalStore::list_sql({}), {"SCAN p USING INDEX approvals_requested"}, {"p"}},
           {"approval list --job J", ApprovalStore::list_sql(job),
            {"SEARCH p USING INTEGER PRIMARY KEY", "(job_id=? AND item_kind=?)"}, {}, true},
           // Which accounts have one pending, from the small (account, status) index alone.
           {"account list --pending-approvals", std::string(ApprovalStore::k_accounts_with_pending_sql),
            {"SCAN approvals USING COVERING INDEX approvals_account"}, {"approvals"}},
       }) {
    check(*db, c);
  }
}

TEST_CASE("the audit trail is read by item or account through its indexes, and whole in id order") {
  auto db = test::memory_db();
  using audit::AuditLog;
  audit::AuditFilter item;
  item.item = "request:1";
  audit::AuditFilter account;
  account.account_id = 1;
  account.since = test::at("2026-03-01");
  for (const Case& c : std::vector<Case>{
           {"audit --item request:R", AuditLog::list_sql(item), {"SEARCH audit USING INDEX audit_item (item=?)"}, {}},
           {"audit --account A --since 7d", AuditLog::list_sql(account),
            {"SEARCH audit USING INDEX audit_account (account_id=?)"}, {}},
           // audit and audit --verify: the whole chain, in the rowid's order.
           {"audit --verify", AuditLog::list_sql({}), {"SCAN audit"}, {"audit"}},
       }) {
    check(*db, c);
  }
}

TEST_CASE("job lists read each job's items with the job, in link order") {
  auto db = test::memory_db();
  using jobs::JobStore;
  jobs::JobFilter all;
  jobs::JobFilter account;
  account.account_id = 1;
  for (const Case& c : std::vector<Case>{
           {"job list", JobStore::list_sql(all), {"SCAN j", "SEARCH l USING INDEX job_links_job (job_id=?)"}, {"j"}},
           {"job list --account A", JobStore::list_sql(account),
            {"SEARCH j USING INDEX jobs_account (account_id=?)", "job_links_job (job_id=?)"}, {}},
           {"job show J", JobStore::get_sql(),
            {"SEARCH j USING INTEGER PRIMARY KEY", "job_links_job (job_id=?)"}, {}},
       }) {
    check(*db, c);
  }
}

TEST_CASE("reminders read the items awaiting clients and their emails through indexes") {
  auto db = test::memory_db();
  using reminders::ItemOrder;
  using reminders::ItemSet;
  using reminders::ReminderStore;
  const std::vector<std::string> walk = {"SEARCH r USING INDEX requests_status (status=?)",
                                         "SEARCH p USING INDEX approvals_status (status=?)",
                                         "SEARCH o USING COVERING INDEX outbox_item (item=?)",
                                         "COVERING INDEX job_links_item (item_kind=? AND item_id=?)"};
  const auto left = ItemSet::reminders_left;
  for (const Case& c : std::vector<Case>{
           // The pending requests in rowid order: their emails and links come in index order too.
           {"remind --run --dry-run", ReminderStore::items_sql(std::nullopt, left, ItemOrder::stored), walk, {}},
           // By a due moment computed from each item's times: no index has
           // that order, so SQLite's sorter (its memory bounded) sorts it.
           {"remind --list", ReminderStore::items_sql(std::nullopt, left, ItemOrder::due), walk, {}, true},
           {"remind --list --account A", ReminderStore::items_sql(1, left, ItemOrder::due), {"outbox_item (item=?)"},
            {}, true},
           {"a queued reminder's item", ReminderStore::item_sql("request"), {"SEARCH r USING INTEGER PRIMARY KEY"}, {}},
           // One account's twenty items, newest notification first.
           {"todo A", ReminderStore::todo_sql(),
            {"requests_account (account_id=?)", "approvals_account (account_id=? AND status=?)"}, {}, true},
       }) {
    check(*db, c);
  }
}

TEST_CASE("the outbox is listed newest first without reading every row") {
  auto db = test::memory_db();
  using mail::OutboxStore;
  for (const Case& c : std::vector<Case>{
           // Newest first from the end of the rowid, stopping at --limit.
           {"outbox", OutboxStore::list_sql(std::nullopt, OutboxStore::Message::left_out), {"SCAN outbox"}, {"outbox"}},
           {"outbox --status failed", OutboxStore::list_sql(mail::OutboxState::failed, OutboxStore::Message::left_out),
            {"SEARCH outbox USING INDEX outbox_state (state=?)"}, {}},
       }) {
    check(*db, c);
  }
}
