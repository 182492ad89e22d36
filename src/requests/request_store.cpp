#include "practice/requests/request_store.hpp"

#include "practice/audit/people.hpp"
#include "practice/util/strings.hpp"

#include <nlohmann/json.hpp>

#include <utility>

namespace practice::requests {

namespace {

constexpr std::string_view k_columns = R"sql(
SELECT r.id, r.account_id, a.name, r.template_name, r.title, r.message, r.login, r.status,
       r.reminders_on, r.remind_every_days, r.reminder_count, r.reminders_sent, r.last_notified_at,
       r.created_by, r.created_at, r.sent_at, r.submitted_at, r.completed_at, r.cancelled_at,
       r.cancel_reason, r.last_activity_at, r.created_by_kind, r.created_by_id,
       (SELECT count(*) FROM request_questions q WHERE q.request_id = r.id),
       (SELECT count(*) FROM request_questions q JOIN request_answers x ON x.question_id = q.id
        WHERE q.request_id = r.id)
FROM requests r JOIN accounts a ON a.id = r.account_id)sql";

// A recipient reads their contact's language, or (a third party) their own.
constexpr std::string_view k_recipient_columns = R"sql(
SELECT rr.id, rr.contact_id, rr.name, rr.email, rr.generation, COALESCE(c.language, rr.language)
FROM request_recipients rr LEFT JOIN contacts c ON c.id = rr.contact_id)sql";

Recipient read_recipient(const storage::Statement& s) {
  return {s.int64(0), s.opt_int64(1), s.text(2), s.text(3), s.int64(4), s.opt_text(5)};
}

Request read_request(const storage::Statement& s, audit::People& people) {
  Request r;
  r.id = s.int64(0);
  r.account_id = s.int64(1);
  r.account_name = s.text(2);
  r.template_name = s.opt_text(3);
  r.title = s.text(4);
  r.message = s.opt_text(5);
  r.login = s.int64(6) != 0;
  r.status = parse_status(s.text_view(7)).value_or(Status::draft);
  r.reminders = {s.int64(8) != 0, static_cast<int>(s.int64(9)), static_cast<int>(s.int64(10))};
  r.reminders_sent = static_cast<int>(s.int64(11));
  r.last_notified_at = s.opt_time(12);
  r.created_by = people.person(audit::Actor{audit::parse_actor_kind(s.text_view(21)).value_or(audit::ActorKind::system),
                                             s.opt_int64(22), s.text(13)});
  r.created_at = s.time(14);
  r.sent_at = s.opt_time(15);
  r.submitted_at = s.opt_time(16);
  r.completed_at = s.opt_time(17);
  r.cancelled_at = s.opt_time(18);
  r.cancel_reason = s.opt_text(19);
  r.last_activity_at = s.time(20);
  r.question_count = static_cast<int>(s.int64(23));
  r.answered = static_cast<int>(s.int64(24));
  return r;
}

} // namespace

int64_t RequestStore::insert(const Request& r) {
  storage::Statement s(m_db, R"sql(
INSERT INTO requests (account_id, template_name, title, message, login, status, reminders_on,
                      remind_every_days, reminder_count, created_by, created_by_kind, created_by_id,
                      created_at, last_activity_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13))sql");
  s.bind_all(r.account_id, r.template_name, r.title, r.message, r.login, to_string(r.status),
             r.reminders.on, int64_t{r.reminders.every_days}, int64_t{r.reminders.count},
             r.created_by.actor.name, to_string(r.created_by.actor.kind), r.created_by.actor.id,
             util::format_iso(r.created_at));
  s.run();
  return m_db.last_insert_id();
}

void RequestStore::update(const Request& r) {
  storage::Statement s(m_db, R"sql(
UPDATE requests SET title = ?2, message = ?3, login = ?4, status = ?5, reminders_on = ?6,
  remind_every_days = ?7, reminder_count = ?8, reminders_sent = ?9, last_notified_at = ?10,
  sent_at = ?11, submitted_at = ?12, completed_at = ?13, cancelled_at = ?14, cancel_reason = ?15,
  last_activity_at = ?16
WHERE id = ?1)sql");
  s.bind_all(r.id, r.title, r.message, r.login, to_string(r.status), r.reminders.on,
             int64_t{r.reminders.every_days}, int64_t{r.reminders.count}, int64_t{r.reminders_sent},
             util::format_iso(r.last_notified_at), util::format_iso(r.sent_at),
             util::format_iso(r.submitted_at), util::format_iso(r.completed_at),
             util::format_iso(r.cancelled_at), r.cancel_reason, util::format_iso(r.last_activity_at));
  s.run();
}

std::optional<Request> RequestStore::get(int64_t id) {
  storage::Statement s(m_db, std::string(k_columns) + " WHERE r.id = ?");
  s.bind(1, id);
  if (!s.step()) {
    return std::nullopt;
  }
  audit::People people(m_db);
  Request r = read_request(s, people);
  storage::Statement qs(m_db, R"sql(
SELECT q.id, q.position, q.type, q.prompt, q.options, q.required, x.value, x.answered_by,
       x.answered_by_kind, x.answered_by_id, x.answered_at
FROM request_questions q LEFT JOIN request_answers x ON x.question_id = q.id
WHERE q.request_id = ? ORDER BY q.position)sql");
  qs.bind(1, id);
  while (qs.step()) {
    Question q;
    q.id = qs.int64(0);
    q.position = static_cast<int>(qs.int64(1));
    q.type = parse_question_type(qs.text_view(2)).value_or(QuestionType::text);
    q.prompt = qs.text(3);
    q.options = nlohmann::json::parse(qs.text(4)).get<std::vector<std::string>>();
    q.required = qs.int64(5) != 0;
    std::optional<Answer> answer;
    if (!qs.is_null(6)) {
      answer = Answer{qs.text(6), people.person(audit::read_actor(qs, 7)), qs.time(10), {}};
      storage::Statement fs(m_db, "SELECT id, sha256, name, size, uploaded_at FROM "
                                  "request_answer_files WHERE question_id = ? ORDER BY id");
      fs.bind(1, q.id);
      while (fs.step()) {
        answer->files.push_back({fs.int64(0), fs.text(1), fs.text(2), fs.int64(3), fs.time(4)});
      }
    }
    r.questions.push_back(std::move(q));
    r.answers.push_back(std::move(answer));
  }
  storage::Statement rs(m_db, std::string(k_recipient_columns) + " WHERE rr.request_id = ? ORDER BY rr.id");
  rs.bind(1, id);
  while (rs.step()) {
    r.recipients.push_back(read_recipient(rs));
  }
  return r;
}

std::string RequestStore::list_sql(const RequestFilter& f) {
  std::string sql(k_columns);
  const char* glue = " WHERE ";
  const auto where = [&](std::string_view condition) {
    sql += glue;
    sql += condition;
    glue = " AND ";
  };
  if (f.account_id) {
    where("r.account_id = ?1");
  }
  if (f.status) {
    where("r.status = ?2");
  }
  if (f.job_id) {
    where("r.id IN (SELECT l.item_id FROM job_links l WHERE l.job_id = ?3 AND l.item_kind = 'request')");
  }
  sql += " ORDER BY r.last_activity_at DESC, r.id DESC";
  return sql;
}

std::vector<Request> RequestStore::list(const RequestFilter& f) {
  std::vector<Request> out;
  each(f, [&](const Request& r) { out.push_back(r); });
  return out;
}

void RequestStore::each(const RequestFilter& f, const std::function<void(const Request&)>& fn) {
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
    fn(read_request(s, people));
  }
}

void RequestStore::insert_question(int64_t request_id, const Question& q) {
  storage::Statement s(m_db, R"sql(
INSERT INTO request_questions (request_id, position, type, prompt, options, required)
VALUES (?, ?, ?, ?, ?, ?))sql");
  s.bind_all(request_id, int64_t{q.position}, to_string(q.type), q.prompt,
             nlohmann::json(q.options).dump(), q.required);
  s.run();
}

void RequestStore::update_question(const Question& q) {
  storage::Statement s(m_db, "UPDATE request_questions SET type = ?2, prompt = ?3, options = ?4, "
                             "required = ?5 WHERE id = ?1");
  s.bind_all(q.id, to_string(q.type), q.prompt, nlohmann::json(q.options).dump(), q.required);
  s.run();
}

void RequestStore::delete_question(int64_t request_id, int position) {
  storage::Statement del(m_db, "DELETE FROM request_questions WHERE request_id = ? AND position = ?");
  del.bind_all(request_id, int64_t{position});
  del.run();
  // Two steps so UNIQUE (request_id, position) never sees a clash.
  storage::Statement up(m_db, "UPDATE request_questions SET position = -(position - 1) "
                              "WHERE request_id = ? AND position > ?");
  up.bind_all(request_id, int64_t{position});
  up.run();
  storage::Statement fix(m_db, "UPDATE request_questions SET position = -position "
                               "WHERE request_id = ? AND position < 0");
  fix.bind(1, request_id);
  fix.run();
}

void RequestStore::set_recipients(int64_t request_id, const std::vector<Recipient>& recipients) {
  storage::Statement del(m_db, "DELETE FROM request_recipients WHERE request_id = ?");
  del.bind(1, request_id);
  del.run();
  for (const auto& r : recipients) {
    storage::Statement s(m_db, "INSERT INTO request_recipients (request_id, contact_id, name, email, language) "
                               "VALUES (?, ?, ?, ?, ?)");
    // A contact's language stays the contact's: it follows their record.
    s.bind_all(request_id, r.contact_id, r.name, r.email, r.contact_id ? std::nullopt : r.language);
    s.run();
  }
}

void RequestStore::bump_generation(int64_t recipient_id) {
  storage::Statement s(m_db, "UPDATE request_recipients SET generation = generation + 1 WHERE id = ?");
  s.bind(1, recipient_id);
  s.run();
}

std::optional<Recipient> RequestStore::find_recipient(int64_t request_id, const std::string& email) {
  storage::Statement s(m_db, std::string(k_recipient_columns) + " WHERE rr.request_id = ? AND rr.email = ?");
  s.bind_all(request_id, email);
  if (!s.step()) {
    return std::nullopt;
  }
  return read_recipient(s);
}

void RequestStore::set_recipient_language(int64_t recipient_id, const std::optional<std::string>& language) {
  storage::Statement s(m_db, "UPDATE request_recipients SET language = ? WHERE id = ? AND contact_id IS NULL");
  s.bind_all(language, recipient_id);
  s.run();
}

void RequestStore::save_answer(int64_t question_id, const std::string& value, const audit::Actor& by,
                               util::TimePoint at) {
  storage::Statement s(m_db, R"sql(
INSERT INTO request_answers (question_id, value, answered_by, answered_by_kind, answered_by_id, answered_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (question_id) DO UPDATE SET value = ?2, answered_by = ?3, answered_by_kind = ?4,
  answered_by_id = ?5, answered_at = ?6)sql");
  s.bind_all(question_id, value, by.name, to_string(by.kind), by.id, util::format_iso(at));
  s.run();
}

void RequestStore::add_answer_file(int64_t question_id, const std::string& sha256,
                                   const std::string& name, int64_t size, util::TimePoint at) {
  storage::Statement s(m_db, "INSERT INTO request_answer_files (question_id, sha256, name, size, "
                             "uploaded_at) VALUES (?, ?, ?, ?, ?)");
  s.bind_all(question_id, sha256, name, size, util::format_iso(at));
  s.run();
}

bool RequestStore::remove_answer_file(int64_t question_id, int64_t file_id) {
  storage::Statement s(m_db, "DELETE FROM request_answer_files WHERE id = ? AND question_id = ?");
  s.bind_all(file_id, question_id);
  s.run();
  return m_db.changes() > 0;
}

void RequestStore::delete_answer(int64_t question_id) {
  storage::Statement files(m_db, "DELETE FROM request_answer_files WHERE question_id = ?");
  files.bind(1, question_id);
  files.run();
  storage::Statement s(m_db, "DELETE FROM request_answers WHERE question_id = ?");
  s.bind(1, question_id);
  s.run();
}

int64_t RequestStore::insert_template(const Definition& d, util::TimePoint now) {
  storage::Statement s(m_db, "INSERT INTO request_templates (name, definition, created_at) VALUES (?, ?, ?)");
  s.bind_all(d.name, definition_to_json(d).dump(), util::format_iso(now));
  s.run();
  return m_db.last_insert_id();
}

std::optional<Definition> RequestStore::find_template(std::string_view name_or_id) {
  auto found = find_template_with_id(name_or_id);
  if (!found) {
    return std::nullopt;
  }
  return std::move(found->second);
}

std::optional<std::pair<int64_t, Definition>> RequestStore::find_template_with_id(std::string_view name_or_id) {
  const auto id = util::parse_int(name_or_id);
  storage::Statement s(m_db, "SELECT id, definition FROM request_templates WHERE name = ?1 OR id = ?2");
  s.bind(1, name_or_id);
  s.bind(2, id);
  if (!s.step()) {
    return std::nullopt;
  }
  return std::make_pair(s.int64(0), definition_from_json(nlohmann::json::parse(s.text(1))));
}

std::vector<std::pair<int64_t, Definition>> RequestStore::list_templates() {
  storage::Statement s(m_db, "SELECT id, definition FROM request_templates ORDER BY name");
  std::vector<std::pair<int64_t, Definition>> out;
  while (s.step()) {
    out.emplace_back(s.int64(0), definition_from_json(nlohmann::json::parse(s.text(1))));
  }
  return out;
}

bool RequestStore::delete_template(std::string_view name) {
  storage::Statement s(m_db, "DELETE FROM request_templates WHERE name = ?");
  s.bind(1, name);
  s.run();
  return m_db.changes() == 1;
}

} // namespace practice::requests
