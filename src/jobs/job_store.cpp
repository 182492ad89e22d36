#include "practice/jobs/job_store.hpp"

#include "practice/error.hpp"
#include "practice/storage/resolve.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <functional>

namespace practice::jobs {

namespace {

// A job with its linked items, one row per item (or one row with NULL item
// columns when it has none), in link order: a list reads each job's items
// with the job instead of a query per job.
constexpr std::string_view k_job_select = R"sql(
SELECT j.id, j.account_id, a.name, j.pipeline_id, pl.name, j.stage_id, s.name, j.title,
       j.assignee_id, st.name, st.email, j.due_date, j.created_at, j.moved_at, j.archived_at,
       l.item_kind, l.item_id, l.stage_id, ls.name, coalesce(r.title, d.name), coalesce(r.status, p.status),
       -- Only what an item's state and waiting_for read is counted, each in
       -- the one status that reads it (NULL, read as 0, elsewhere): a list
       -- counts for a few of its items, not a handful of subqueries a row.
       CASE WHEN r.status IN ('pending', 'in_progress') THEN
         (SELECT count(*) FROM request_questions q WHERE q.request_id = r.id) END,
       CASE WHEN r.status = 'in_progress' THEN
         (SELECT count(*) FROM request_questions q JOIN request_answers x ON x.question_id = q.id
          WHERE q.request_id = r.id) END,
       -- A disapproved approval is superseded by a newer approval of the same
       -- document, or by one linked to the job after it in the same stage
       -- (the fixed document is often a new upload).
       CASE WHEN p.status = 'disapproved' THEN
         EXISTS (SELECT 1 FROM approvals p2 WHERE p2.document_id = p.document_id AND p2.id > p.id)
         OR EXISTS (SELECT 1 FROM job_links l2 WHERE l2.job_id = l.job_id AND l2.item_kind = 'approval'
                    AND l2.stage_id = l.stage_id AND l2.id > l.id) END,
       CASE WHEN r.status = 'draft' THEN (SELECT count(*) FROM request_recipients rr WHERE rr.request_id = r.id) END,
       r.login
FROM jobs j JOIN accounts a ON a.id = j.account_id JOIN pipelines pl ON pl.id = j.pipeline_id
JOIN stages s ON s.id = j.stage_id LEFT JOIN staff st ON st.id = j.assignee_id
LEFT JOIN job_links l ON l.job_id = j.id
LEFT JOIN stages ls ON ls.id = l.stage_id
LEFT JOIN requests r ON l.item_kind = 'request' AND r.id = l.item_id
LEFT JOIN approvals p ON l.item_kind = 'approval' AND p.id = l.item_id
LEFT JOIN documents d ON d.id = p.document_id)sql";
constexpr int k_item_column = 15;

Job read_job(const storage::Statement& s) {
  Job j;
  j.id = s.int64(0);
  j.account_id = s.int64(1);
  j.account_name = s.text(2);
  j.pipeline_id = s.int64(3);
  j.pipeline_name = s.text(4);
  j.stage_id = s.int64(5);
  j.stage_name = s.text(6);
  j.title = s.text(7);
  if (!s.is_null(8)) {
    j.assignee = accounts::Ref{s.int64(8), s.text(9), s.text(10)};
  }
  j.due_date = s.opt_text(11);
  j.created_at = s.time(12);
  j.moved_at = s.time(13);
  j.archived_at = s.opt_time(14);
  return j;
}

LinkedItem read_item(const storage::Statement& s) {
  constexpr int o = k_item_column;
  LinkedItem i;
  i.kind = s.text(o);
  i.id = s.int64(o + 1);
  i.stage_id = s.int64(o + 2);
  i.stage_name = s.text(o + 3);
  i.title = s.text(o + 4);
  i.status = s.text(o + 5);
  if (i.kind == "approval") {
    i.state = approval_item_state(i.status, s.int64(o + 8) != 0);
    i.waiting_for = i.status == "pending" ? "the client to approve or disapprove the document"
                                          : "the firm to fix the document and request approval again";
  } else {
    const auto status = requests::parse_status(i.status).value_or(requests::Status::draft);
    i.state = request_item_state(status);
    i.waiting_for = request_waiting_for(status, static_cast<int>(s.int64(o + 7)), static_cast<int>(s.int64(o + 6)),
                                        static_cast<int>(s.int64(o + 9)), s.int64(o + 10) != 0);
  }
  return i;
}

// Steps through rows of k_job_select, calling `fn` with each job once its items are read.
void each_job_of(storage::Statement& s, const std::function<void(const Job&)>& fn) {
  std::optional<Job> job;
  while (s.step()) {
    if (!job || job->id != s.int64(0)) {
      if (job) {
        fn(*job);
      }
      job = read_job(s);
    }
    if (!s.is_null(k_item_column)) {
      job->items.push_back(read_item(s));
    }
  }
  if (job) {
    fn(*job);
  }
}

} // namespace

int64_t JobStore::insert_pipeline(std::string_view name, util::TimePoint now) {
  storage::Statement s(m_db, "INSERT INTO pipelines (name, created_at) VALUES (?, ?)");
  s.bind_all(name, util::format_iso(now));
  s.run();
  return m_db.last_insert_id();
}

std::optional<Pipeline> JobStore::get_pipeline(int64_t id) {
  storage::Statement s(m_db, "SELECT id, name, created_at, (SELECT count(*) FROM jobs j WHERE "
                             "j.pipeline_id = p.id AND j.archived_at IS NULL) FROM pipelines p WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  Pipeline p{s.int64(0), s.text(1), s.time(2), {}, s.int64(3)};
  storage::Statement st(m_db, "SELECT id, name, position, automove FROM stages WHERE pipeline_id = ? "
                              "AND removed_at IS NULL ORDER BY position, id");
  st.bind(1, id);
  while (st.step()) {
    p.stages.push_back({st.int64(0), id, st.text(1), static_cast<int>(st.int64(2)), st.int64(3) != 0, {}});
  }
  for (auto& stage : p.stages) {
    storage::Statement a(m_db, "SELECT id, template_name, reminders_on, remind_every_days, reminder_count, "
                               "login FROM stage_automations WHERE stage_id = ? ORDER BY id");
    a.bind(1, stage.id);
    while (a.step()) {
      Automation x;
      x.id = a.int64(0);
      x.stage_id = stage.id;
      x.template_name = a.text(1);
      if (!a.is_null(2)) {
        x.reminders = requests::Reminders{a.int64(2) != 0, static_cast<int>(a.int64(3)),
                                          static_cast<int>(a.int64(4))};
      }
      if (!a.is_null(5)) {
        x.login = a.int64(5) != 0;
      }
      stage.automations.push_back(std::move(x));
    }
  }
  return p;
}

std::vector<Pipeline> JobStore::list_pipelines() {
  storage::Statement s(m_db, "SELECT id FROM pipelines ORDER BY name");
  std::vector<int64_t> ids;
  while (s.step()) {
    ids.push_back(s.int64(0));
  }
  std::vector<Pipeline> out;
  for (const auto id : ids) {
    out.push_back(*get_pipeline(id));
  }
  return out;
}

int64_t JobStore::resolve_pipeline(std::string_view ref) {
  static constexpr storage::RefQueries k_queries{
      "pipeline", "name", "SELECT id FROM pipelines WHERE id = ?1",
      "SELECT id, name FROM pipelines WHERE name = ?1", "SELECT name FROM pipelines"};
  return storage::resolve_ref(m_db, k_queries, ref);
}

Stage JobStore::resolve_stage(const Pipeline& p, std::string_view ref) {
  const std::string want = util::to_lower(util::trim(ref));
  const auto id = util::parse_int(want);
  std::vector<std::string> names;
  for (const auto& s : p.stages) {
    if (util::to_lower(s.name) == want || (id && s.id == *id)) {
      return s;
    }
    names.push_back(s.name);
  }
  if (const auto near = util::closest_match(ref, names)) {
    throw NotFound(fmt::format("pipeline \"{}\" has no stage \"{}\"; did you mean \"{}\"?", p.name, ref, *near));
  }
  throw NotFound(fmt::format("pipeline \"{}\" has no stage \"{}\"", p.name, ref));
}

int64_t JobStore::insert_stage(int64_t pipeline_id, std::string_view name, int position, bool automove) {
  storage::Statement s(m_db, "INSERT INTO stages (pipeline_id, name, position, automove) VALUES (?, ?, ?, ?)");
  s.bind_all(pipeline_id, name, int64_t{position}, automove);
  s.run();
  return m_db.last_insert_id();
}

void JobStore::update_stage(const Stage& st) {
  storage::Statement s(m_db, "UPDATE stages SET name = ?2, automove = ?3 WHERE id = ?1");
  s.bind_all(st.id, st.name, st.automove);
  s.run();
}

void JobStore::set_order(const std::vector<int64_t>& stage_ids) {
  int position = 0;
  for (const auto id : stage_ids) {
    storage::Statement s(m_db, "UPDATE stages SET position = ?2 WHERE id = ?1");
    s.bind_all(id, int64_t{++position});
    s.run();
  }
}

void JobStore::remove_stage(int64_t stage_id, util::TimePoint now) {
  // Kept (renamed out of the way) for the links and audit rows that name it.
  storage::Statement s(m_db, "UPDATE stages SET removed_at = ?2, name = name || ' (removed ' || id || ')' "
                             "WHERE id = ?1");
  s.bind_all(stage_id, util::format_iso(now));
  s.run();
}

int64_t JobStore::jobs_in_stage(int64_t stage_id) {
  storage::Statement s(m_db, "SELECT count(*) FROM jobs WHERE stage_id = ? AND archived_at IS NULL");
  s.bind(1, stage_id);
  s.step();
  return s.int64(0);
}

int64_t JobStore::insert_automation(const Automation& a, util::TimePoint now) {
  storage::Statement s(m_db, R"sql(
INSERT INTO stage_automations (stage_id, kind, template_name, reminders_on, remind_every_days,
                               reminder_count, login, created_at)
VALUES (?, 'send_request', ?, ?, ?, ?, ?, ?))sql");
  s.bind_all(a.stage_id, a.template_name,
             a.reminders ? std::optional<int64_t>(a.reminders->on) : std::nullopt,
             a.reminders ? std::optional<int64_t>(a.reminders->every_days) : std::nullopt,
             a.reminders ? std::optional<int64_t>(a.reminders->count) : std::nullopt,
             a.login ? std::optional<int64_t>(*a.login) : std::nullopt, util::format_iso(now));
  s.run();
  return m_db.last_insert_id();
}

bool JobStore::delete_automation(int64_t id) {
  storage::Statement s(m_db, "DELETE FROM stage_automations WHERE id = ?");
  s.bind(1, id);
  s.run();
  return m_db.changes() == 1;
}

std::vector<TemplateUse> JobStore::automations_sending(std::string_view template_name) {
  storage::Statement s(m_db, R"sql(
SELECT a.id, p.name, st.name
FROM stage_automations a
JOIN stages st ON st.id = a.stage_id
JOIN pipelines p ON p.id = st.pipeline_id
WHERE a.template_name = ?1 COLLATE NOCASE AND st.removed_at IS NULL
ORDER BY p.name, st.position, a.id)sql");
  s.bind(1, template_name);
  std::vector<TemplateUse> out;
  while (s.step()) {
    out.push_back({s.int64(0), s.text(1), s.text(2)});
  }
  return out;
}

int64_t JobStore::insert_job(const Job& j) {
  storage::Statement s(m_db, R"sql(
INSERT INTO jobs (account_id, pipeline_id, stage_id, title, assignee_id, due_date, created_at, moved_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7))sql");
  s.bind_all(j.account_id, j.pipeline_id, j.stage_id, j.title,
             j.assignee ? std::optional<int64_t>(j.assignee->id) : std::nullopt, j.due_date,
             util::format_iso(j.created_at));
  s.run();
  return m_db.last_insert_id();
}

void JobStore::update_job(const Job& j) {
  storage::Statement s(m_db, "UPDATE jobs SET stage_id = ?2, title = ?3, assignee_id = ?4, due_date = ?5, "
                             "moved_at = ?6, archived_at = ?7 WHERE id = ?1");
  s.bind_all(j.id, j.stage_id, j.title, j.assignee ? std::optional<int64_t>(j.assignee->id) : std::nullopt,
             j.due_date, util::format_iso(j.moved_at), util::format_iso(j.archived_at));
  s.run();
}

std::string JobStore::get_sql() {
  std::string sql(k_job_select);
  sql += " WHERE j.id = ?1 ORDER BY l.id";
  return sql;
}

bool JobStore::job_exists(int64_t id) {
  storage::Statement s(m_db, "SELECT 1 FROM jobs WHERE id = ?");
  s.bind(1, id);
  return s.step();
}

std::optional<Job> JobStore::get_job(int64_t id) {
  storage::Statement s(m_db, get_sql());
  s.bind(1, id);
  std::optional<Job> out;
  each_job_of(s, [&](const Job& j) { out = j; });
  return out;
}

std::string JobStore::list_sql(const JobFilter& f) {
  std::string sql(k_job_select);
  const char* glue = " WHERE ";
  const auto where = [&](std::string_view condition) {
    sql += glue;
    sql += condition;
    glue = " AND ";
  };
  if (f.account_id) {
    where("j.account_id = ?1");
  }
  if (f.pipeline_id) {
    where("j.pipeline_id = ?2");
  }
  if (f.stage_id) {
    where("j.stage_id = ?3");
  }
  if (f.assignee_id) {
    where("j.assignee_id = ?4");
  }
  if (!f.archived) {
    where("j.archived_at IS NULL");
  }
  sql += " ORDER BY j.id, l.id";
  return sql;
}

std::vector<Job> JobStore::list_jobs(const JobFilter& f) {
  std::vector<Job> out;
  each_job(f, [&](const Job& j) { out.push_back(j); });
  return out;
}

void JobStore::each_job(const JobFilter& f, const std::function<void(const Job&)>& fn) {
  storage::Statement s(m_db, list_sql(f));
  s.stream();
  if (f.account_id) {
    s.bind(1, *f.account_id);
  }
  if (f.pipeline_id) {
    s.bind(2, *f.pipeline_id);
  }
  if (f.stage_id) {
    s.bind(3, *f.stage_id);
  }
  if (f.assignee_id) {
    s.bind(4, *f.assignee_id);
  }
  each_job_of(s, fn);
}

void JobStore::link(int64_t job_id, std::string_view kind, int64_t item_id, int64_t stage_id,
                    util::TimePoint now) {
  storage::Statement s(m_db, "INSERT INTO job_links (job_id, item_kind, item_id, stage_id, linked_at) "
                             "VALUES (?, ?, ?, ?, ?)");
  s.bind_all(job_id, kind, item_id, stage_id, util::format_iso(now));
  s.run();
}

bool JobStore::unlink(int64_t job_id, std::string_view kind, int64_t item_id) {
  storage::Statement s(m_db, "DELETE FROM job_links WHERE job_id = ? AND item_kind = ? AND item_id = ?");
  s.bind_all(job_id, kind, item_id);
  s.run();
  return m_db.changes() == 1;
}

std::vector<int64_t> JobStore::jobs_linking(std::string_view kind, int64_t item_id) {
  storage::Statement s(m_db, "SELECT l.job_id FROM job_links l JOIN jobs j ON j.id = l.job_id "
                             "WHERE l.item_kind = ? AND l.item_id = ? AND j.archived_at IS NULL ORDER BY l.job_id");
  s.bind_all(kind, item_id);
  std::vector<int64_t> out;
  while (s.step()) {
    out.push_back(s.int64(0));
  }
  return out;
}

} // namespace practice::jobs
