#pragma once

#include "practice/accounts/session.hpp"
#include "practice/jobs/job_store.hpp" // JobFilter
#include "practice/jobs/model.hpp"
#include "practice/requests/requests.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

// Pipelines, jobs and automove. Every change checks permissions, saves,
// audits, and runs the automations of any stage a job enters, all in the
// caller's transaction.
namespace practice::jobs {

Pipeline get_pipeline(storage::Database& db, std::string_view ref);
// Every pipeline with its stages and automations, by name.
std::vector<Pipeline> list_pipelines(storage::Database& db);
// The stage of `p` that `ref` names (a name, case-insensitive, or an id);
// throws NotFound, with the nearest name when there is one.
Stage get_stage(storage::Database& db, const Pipeline& p, std::string_view ref);
Pipeline create_pipeline(accounts::Session& s, const std::string& name, const std::vector<std::string>& stages);

struct StageChanges {
  std::optional<std::string> rename;
  std::optional<int> position;
  std::optional<bool> automove;
};
Pipeline add_stage(accounts::Session& s, std::string_view pipeline, const std::string& name,
                   const StageChanges& in);
Pipeline edit_stage(accounts::Session& s, std::string_view pipeline, std::string_view stage,
                    const StageChanges& in);
// Refused while jobs sit in the stage.
Pipeline remove_stage(accounts::Session& s, std::string_view pipeline, std::string_view stage);

struct NewAutomation {
  std::string template_name;
  requests::ReminderFlags reminders;
  std::optional<bool> login;
};
Pipeline add_automation(accounts::Session& s, std::string_view pipeline, std::string_view stage,
                        const NewAutomation& in);
Pipeline remove_automation(accounts::Session& s, int64_t id);

// Removes the request template `name_or_id` and audits it. It lives here, not
// in requests, because stage automations send templates by name: refused
// (Conflict, naming the pipeline and stage) while one does, since every move
// into that stage would fail. Throws NotFound when there is no such template.
requests::Definition remove_template(accounts::Session& s, std::string_view name_or_id);

// TOML: name, [[stage]] name / automove / [[stage.automation]] send_request, ...
std::string export_pipeline(const Pipeline& p);
// The same content as export_pipeline as one JSON object (`--json`): name,
// stages [{name, automove, automations [{send_request, reminders {on,
// every_days, count} or null, login or null}]}]. Pure.
nlohmann::ordered_json export_pipeline_json(const Pipeline& p);
Pipeline import_pipeline(accounts::Session& s, const std::string& toml_text, const std::string& origin);

struct NewJob {
  std::string account;
  std::string pipeline;
  std::optional<std::string> stage; // default: the first
  std::optional<std::string> title; // default: the pipeline's name
  std::optional<std::string> assignee;
  std::optional<std::string> due; // YYYY-MM-DD
};

struct Result {
  Job job;
  std::vector<int64_t> outbox_ids; // mail queued by automations
};

Job get_job(storage::Database& db, int64_t id);
// `id` when job `id` exists; throws NotFound as get_job does (a filter by job
// needs no more of the job than that).
int64_t require_job(storage::Database& db, int64_t id);
// The jobs `f` keeps, with their linked items, oldest first.
std::vector<Job> list_jobs(storage::Database& db, const JobFilter& f);
// The same jobs in the same order, one at a time.
void each_job(storage::Database& db, const JobFilter& f, const std::function<void(const Job&)>& fn);
Result create_job(accounts::Session& s, const requests::Env& env, const NewJob& in);

enum class Pending { keep, cancel };
// Moves a job by hand. With unfinished items linked in its stage and no
// `pending` decision, throws Conflict listing them (nothing changes).
Result move_job(accounts::Session& s, const requests::Env& env, int64_t id,
                const std::optional<std::string>& to, std::optional<Pending> pending);

Job link_item(accounts::Session& s, int64_t job_id, const std::string& kind, int64_t item_id);
Job unlink_item(accounts::Session& s, int64_t job_id, const std::string& kind, int64_t item_id);
Job archive_job(accounts::Session& s, int64_t id);

// After an item was finished (a submission, a completion, an approval):
// moves on every job whose stage that finished, running the next stages'
// automations; this may chain. Audited as the system with the reason.
std::vector<int64_t> on_item_done(accounts::Session& s, const requests::Env& env, const std::string& kind,
                                  int64_t item_id, const std::string& event);

} // namespace practice::jobs
