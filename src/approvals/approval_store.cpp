#include "practice/approvals/approval_store.hpp"

#include "practice/audit/people.hpp"
#include "practice/error.hpp"
#include "practice/storage/resolve.hpp"

#include <nlohmann/json.hpp>

namespace practice::approvals {

namespace {

constexpr std::string_view k_doc_columns = R"sql(
SELECT d.id, d.account_id, a.name, d.folder_id, f.name, coalesce(f.client_can_view, 0), d.name,
       d.description, d.sha256, d.size, d.uploaded_by, d.uploaded_by_kind, d.uploaded_by_id, d.uploaded_at,
       d.removed_at
FROM documents d JOIN accounts a ON a.id = d.account_id LEFT JOIN folders f ON f.id = d.folder_id)sql";

Document read_document(const storage::Statement& s, audit::People& people, int o = 0) {
  Document d;
  d.id = s.int64(o + 0);
  d.account_id = s.int64(o + 1);
  d.account_name = s.text(o + 2);
  d.folder_id = s.opt_int64(o + 3);
  d.folder_name = s.opt_text(o + 4);
  d.client_can_view = s.int64(o + 5) != 0;
  d.name = s.text(o + 6);
  d.description = s.opt_text(o + 7);
  d.sha256 = s.text(o + 8);
  d.size = s.int64(o + 9);
  d.uploaded_by = people.person(audit::read_actor(s, o + 10));
  d.uploaded_at = s.time(o + 13);
  d.removed_at = s.opt_time(o + 14);
  return d;
}

constexpr std::string_view k_approval_columns = R"sql(
SELECT p.id, p.status, p.message, p.reminders_on, p.remind_every_days, p.reminder_count, p.reminders_sent,
       p.last_notified_at, p.requested_by, p.requested_by_kind, p.requested_by_id, p.requested_at,
       p.decided_by, p.decided_by_kind, p.decided_by_id, p.decided_at, p.reasons, p.comment, p.cancelled_at,
       d.id, d.account_id, a.name, d.folder_id, f.name, coalesce(f.client_can_view, 0), d.name,
       d.description, d.sha256, d.size, d.uploaded_by, d.uploaded_by_kind, d.uploaded_by_id, d.uploaded_at,
       d.removed_at
FROM approvals p JOIN documents d ON d.id = p.document_id JOIN accounts a ON a.id = d.account_id
LEFT JOIN folders f ON f.id = d.folder_id)sql";

Approval read_approval(const storage::Statement& s, audit::People& people) {
  Approval a;
  a.id = s.int64(0);
  a.status = parse_status(s.text_view(1)).value_or(Status::pending);
  a.message = s.opt_text(2);
  a.reminders = {s.int64(3) != 0, static_cast<int>(s.int64(4)), static_cast<int>(s.int64(5))};
  a.reminders_sent = static_cast<int>(s.int64(6));
  a.last_notified_at = s.opt_time(7);
  a.requested_by = people.person(audit::read_actor(s, 8));
  a.requested_at = s.time(11);
  if (!s.is_null(12)) {
    a.decided_by = people.person(audit::read_actor(s, 12));
  }
  a.decided_at = s.opt_time(15);
  if (const auto reasons = s.text_view(16); reasons != "[]") { // most have none: no parser for them
    a.reasons = nlohmann::json::parse(reasons).get<std::vector<std::string>>();
  }
  a.comment = s.opt_text(17);
  a.cancelled_at = s.opt_time(18);
  a.document = read_document(s, people, 19);
  return a;
}

} // namespace

std::string_view to_string(Status s) {
  switch (s) {
  case Status::pending:
    return "pending";
  case Status::approved:
    return "approved";
  case Status::disapproved:
    return "disapproved";
  case Status::cancelled:
    return "cancelled";
  }
  return "pending";
}

std::optional<Status> parse_status(std::string_view s) {
  for (const auto st : {Status::pending, Status::approved, Status::disapproved, Status::cancelled}) {
    if (to_string(st) == s) {
      return st;
    }
  }
  return std::nullopt;
}

int64_t ApprovalStore::insert_folder(std::string_view name, bool client_can_view, util::TimePoint now) {
  storage::Statement s(m_db, "INSERT INTO folders (name, client_can_view, created_at) VALUES (?, ?, ?)");
  s.bind_all(name, client_can_view, util::format_iso(now));
  s.run();
  return m_db.last_insert_id();
}

void ApprovalStore::set_folder_visibility(int64_t id, bool client_can_view) {
  storage::Statement s(m_db, "UPDATE folders SET client_can_view = ? WHERE id = ?");
  s.bind_all(client_can_view, id);
  s.run();
}

std::vector<Folder> ApprovalStore::list_folders() {
  storage::Statement s(m_db, "SELECT id, name, client_can_view, created_at FROM folders ORDER BY name");
  std::vector<Folder> out;
  while (s.step()) {
    out.push_back({s.int64(0), s.text(1), s.int64(2) != 0, s.time(3)});
  }
  return out;
}

Folder ApprovalStore::resolve_folder(std::string_view ref) {
  static constexpr storage::RefQueries k_queries{"folder", "name", "SELECT id FROM folders WHERE id = ?1",
                                                 "SELECT id, name FROM folders WHERE name = ?1",
                                                 "SELECT name FROM folders"};
  const auto id = storage::resolve_ref(m_db, k_queries, ref);
  for (auto& f : list_folders()) {
    if (f.id == id) {
      return f;
    }
  }
  throw NotFound("no such folder");
}

int64_t ApprovalStore::insert_document(const Document& d) {
  storage::Statement s(m_db, R"sql(
INSERT INTO documents (account_id, folder_id, name, description, sha256, size, uploaded_by, uploaded_by_kind,
                       uploaded_by_id, uploaded_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  s.bind_all(d.account_id, d.folder_id, d.name, d.description, d.sha256, d.size, d.uploaded_by.actor.name,
             to_string(d.uploaded_by.actor.kind), d.uploaded_by.actor.id, util::format_iso(d.uploaded_at));
  s.run();
  return m_db.last_insert_id();
}

std::optional<Document> ApprovalStore::get_document(int64_t id) {
  storage::Statement s(m_db, std::string(k_doc_columns) + " WHERE d.id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  audit::People people(m_db);
  return read_document(s, people);
}

std::vector<Document> ApprovalStore::list_documents(std::optional<int64_t> account_id,
                                                    std::optional<int64_t> folder_id) {
  storage::Statement s(m_db, std::string(k_doc_columns) +
                                 " WHERE (CAST(?1 AS BIGINT) IS NULL OR d.account_id = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR d.folder_id = ?2) "
                                 "AND d.removed_at IS NULL "
                                 "ORDER BY d.id DESC");
  s.bind_all(account_id, folder_id);
  audit::People people(m_db);
  std::vector<Document> out;
  while (s.step()) {
    out.push_back(read_document(s, people));
  }
  return out;
}

void ApprovalStore::update_document(const Document& d) {
  storage::Statement s(m_db, "UPDATE documents SET folder_id = ?2, description = ?3 WHERE id = ?1");
  s.bind_all(d.id, d.folder_id, d.description);
  s.run();
}

void ApprovalStore::remove_document(int64_t id, util::TimePoint at) {
  storage::Statement s(m_db, "UPDATE documents SET removed_at = ?2 WHERE id = ?1");
  s.bind_all(id, util::format_iso(at));
  s.run();
}

int64_t ApprovalStore::insert_approval(const Approval& a) {
  storage::Statement s(m_db, R"sql(
INSERT INTO approvals (document_id, account_id, status, message, reminders_on, remind_every_days,
                       reminder_count, last_notified_at, requested_by, requested_by_kind, requested_by_id,
                       requested_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  s.bind_all(a.document.id, a.document.account_id, to_string(a.status), a.message, a.reminders.on,
             int64_t{a.reminders.every_days}, int64_t{a.reminders.count}, util::format_iso(a.last_notified_at),
             a.requested_by.actor.name, to_string(a.requested_by.actor.kind), a.requested_by.actor.id,
             util::format_iso(a.requested_at));
  s.run();
  return m_db.last_insert_id();
}

void ApprovalStore::update_approval(const Approval& a) {
  storage::Statement s(m_db, R"sql(
UPDATE approvals SET status = ?2, message = ?3, reminders_on = ?4, remind_every_days = ?5,
  reminder_count = ?6, reminders_sent = ?7, last_notified_at = ?8, decided_by = ?9, decided_at = ?10,
  reasons = ?11, comment = ?12, cancelled_at = ?13, decided_by_kind = coalesce(?14, 'system'), decided_by_id = ?15
WHERE id = ?1)sql");
  std::optional<std::string> decided_name, decided_kind;
  std::optional<int64_t> decided_id;
  if (a.decided_by) {
    decided_name = a.decided_by->actor.name;
    decided_kind = std::string(to_string(a.decided_by->actor.kind));
    decided_id = a.decided_by->actor.id;
  }
  s.bind_all(a.id, to_string(a.status), a.message, a.reminders.on, int64_t{a.reminders.every_days},
             int64_t{a.reminders.count}, int64_t{a.reminders_sent}, util::format_iso(a.last_notified_at),
             decided_name, util::format_iso(a.decided_at), nlohmann::json(a.reasons).dump(), a.comment,
             util::format_iso(a.cancelled_at), decided_kind, decided_id);
  s.run();
}

std::optional<Approval> ApprovalStore::get_approval(int64_t id) {
  storage::Statement s(m_db, std::string(k_approval_columns) + " WHERE p.id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  audit::People people(m_db);
  return read_approval(s, people);
}

std::string ApprovalStore::list_sql(const ApprovalFilter& f) {
  std::string sql(k_approval_columns);
  const char* glue = " WHERE ";
  const auto where = [&](std::string_view condition) {
    sql += glue;
    sql += condition;
    glue = " AND ";
  };
  if (f.account_id) {
    where("p.account_id = ?1");
  }
  if (f.status) {
    where("p.status = ?2");
  }
  if (f.job_id) {
    where("p.id IN (SELECT l.item_id FROM job_links l WHERE l.job_id = ?3 AND l.item_kind = 'approval')");
  }
  sql += " ORDER BY p.requested_at DESC, p.id DESC";
  return sql;
}

std::vector<Approval> ApprovalStore::list_approvals(const ApprovalFilter& f) {
  std::vector<Approval> out;
  each_approval(f, [&](const Approval& a) { out.push_back(a); });
  return out;
}

void ApprovalStore::each_approval(const ApprovalFilter& f, const std::function<void(const Approval&)>& fn) {
  storage::Statement s(m_db, list_sql(f));
  s.stream();
  if (f.account_id) {
    s.bind(1, *f.account_id);
  }
  if (f.status) {
    s.bind(2, to_string(*f.status));
  }
  if (f.job_id) {
    s.bind(3, *f.job_id);
  }
  audit::People people(m_db);
  while (s.step()) {
    fn(read_approval(s, people));
  }
}

std::unordered_set<int64_t> ApprovalStore::accounts_with_pending() {
  storage::Statement s(m_db, k_accounts_with_pending_sql);
  std::unordered_set<int64_t> out;
  while (s.step()) {
    out.insert(s.int64(0));
  }
  return out;
}

std::optional<int64_t> ApprovalStore::pending_for_document(int64_t document_id) {
  storage::Statement s(m_db, "SELECT id FROM approvals WHERE document_id = ? AND status = 'pending'");
  s.bind(1, document_id);
  if (!s.step()) {
    return std::nullopt;
  }
  return s.int64(0);
}

} // namespace practice::approvals
