#pragma once

#include "practice/jobs/model.hpp"
#include "practice/storage/database.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::jobs {

struct JobFilter {
  std::optional<int64_t> account_id;
  std::optional<int64_t> pipeline_id;
  std::optional<int64_t> stage_id;
  std::optional<int64_t> assignee_id;
  bool archived = false;
};

// A stage automation that sends a given request template.
struct TemplateUse {
  int64_t automation_id = 0;
  std::string pipeline;
  std::string stage;
};

// SQL for pipelines, stages, automations, jobs and job links.
class JobStore {
public:
  explicit JobStore(storage::Database& db) : m_db(db) {}

  int64_t insert_pipeline(std::string_view name, util::TimePoint now);
  std::optional<Pipeline> get_pipeline(int64_t id);
  std::vector<Pipeline> list_pipelines();
  int64_t resolve_pipeline(std::string_view ref);
  // A stage of the pipeline by name (case-insensitive) or id; throws NotFound.
  Stage resolve_stage(const Pipeline& p, std::string_view ref);

  int64_t insert_stage(int64_t pipeline_id, std::string_view name, int position, bool automove);
  // Saves name, automove; then rewrites positions to the order given.
  void update_stage(const Stage& s);
  void set_order(const std::vector<int64_t>& stage_ids);
  void remove_stage(int64_t stage_id, util::TimePoint now);
  int64_t jobs_in_stage(int64_t stage_id);

  int64_t insert_automation(const Automation& a, util::TimePoint now);
  bool delete_automation(int64_t id);
  // The automations of stages not removed that send the template `name`
  // (case-insensitive), by pipeline name and stage position.
  std::vector<TemplateUse> automations_sending(std::string_view template_name);

  int64_t insert_job(const Job& j);
  void update_job(const Job& j); // stage, title, assignee, due date, moved_at, archived_at
  std::optional<Job> get_job(int64_t id);
  bool job_exists(int64_t id);
  std::vector<Job> list_jobs(const JobFilter& f);
  // The same jobs in the same order, each with its items, one at a time: a
  // list of 100,000 jobs is printed as it is read, never held whole.
  void each_job(const JobFilter& f, const std::function<void(const Job&)>& fn);
  // The statements get_job() and list_jobs() run (list_sql: only the
  // conditions `f` sets), for the query-plan tests.
  static std::string get_sql();
  static std::string list_sql(const JobFilter& f);

  void link(int64_t job_id, std::string_view kind, int64_t item_id, int64_t stage_id,
            util::TimePoint now);
  bool unlink(int64_t job_id, std::string_view kind, int64_t item_id);
  // Jobs (not archived) with this item linked.
  std::vector<int64_t> jobs_linking(std::string_view kind, int64_t item_id);

private:
  storage::Database& m_db;
};

} // namespace practice::jobs
