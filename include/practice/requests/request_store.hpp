#pragma once

#include "practice/requests/definition.hpp"
#include "practice/requests/model.hpp"
#include "practice/storage/database.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::requests {

struct RequestFilter {
  std::optional<int64_t> account_id;
  std::optional<Status> status;
  std::optional<int64_t> job_id; // linked to this job
};

// SQL for requests, their questions, recipients, answers and templates.
class RequestStore {
public:
  explicit RequestStore(storage::Database& db) : m_db(db) {}

  int64_t insert(const Request& r);
  // Saves the request's own fields (not questions, recipients or answers).
  void update(const Request& r);
  // The whole request: questions, recipients, answers with their files.
  std::optional<Request> get(int64_t id);
  // Requests with progress counts, newest first; no questions loaded.
  std::vector<Request> list(const RequestFilter& f);
  // The same requests in the same order, one at a time: a listing of many
  // thousands is printed as it is read, never held whole.
  void each(const RequestFilter& f, const std::function<void(const Request&)>& fn);
  // The statement list() and each() run for `f`: only the conditions `f`
  // sets, so that each filter reads through its index (for the query-plan tests).
  static std::string list_sql(const RequestFilter& f);

  void insert_question(int64_t request_id, const Question& q);
  void update_question(const Question& q);
  // Deletes the question at `position` and closes the gap.
  void delete_question(int64_t request_id, int position);

  void set_recipients(int64_t request_id, const std::vector<Recipient>& recipients);
  void bump_generation(int64_t recipient_id);
  // The request's recipient with this address (any case), or nullopt.
  std::optional<Recipient> find_recipient(int64_t request_id, const std::string& email);
  // A third-party recipient's language (a contact's is the contact's).
  void set_recipient_language(int64_t recipient_id, const std::optional<std::string>& language);

  void save_answer(int64_t question_id, const std::string& value, const audit::Actor& by,
                   util::TimePoint at);
  void add_answer_file(int64_t question_id, const std::string& sha256, const std::string& name,
                       int64_t size, util::TimePoint at);
  // Removes one attached file of the question; false if it has no such file.
  bool remove_answer_file(int64_t question_id, int64_t file_id);
  // Removes the question's answer and its files: unanswered again.
  void delete_answer(int64_t question_id);

  int64_t insert_template(const Definition& d, util::TimePoint now);
  std::optional<Definition> find_template(std::string_view name_or_id);
  // The template named `name_or_id` (its name, or its id) with its id.
  std::optional<std::pair<int64_t, Definition>> find_template_with_id(std::string_view name_or_id);
  std::vector<std::pair<int64_t, Definition>> list_templates();
  bool delete_template(std::string_view name);

private:
  storage::Database& m_db;
};

} // namespace practice::requests
