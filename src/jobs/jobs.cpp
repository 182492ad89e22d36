#include "practice/jobs/jobs.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/permissions.hpp"
#include "practice/accounts/staff_store.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/jobs/job_store.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <set>
#include <sstream>

namespace practice::jobs {

namespace {

using nlohmann::json;

void require_access(accounts::Session& s, int64_t account_id) { accounts::require_account_access(s, account_id); }

void audit_pipeline(accounts::Session& s, const Pipeline& p, std::string_view action, const json& details) {
  audit::AuditLog(s.db).record(s.now, s.actor, std::nullopt, fmt::format("pipeline:{}", p.id), action, details);
}

void audit_job(accounts::Session& s, const Job& j, std::string_view action, const json& details,
               const audit::Actor& actor) {
  audit::AuditLog(s.db).record(s.now, actor, j.account_id, fmt::format("job:{}", j.id), action, details);
}

const Stage* next_stage(const Pipeline& p, int64_t stage_id) {
  for (size_t i = 0; i + 1 < p.stages.size(); ++i) {
    if (p.stages[i].id == stage_id) {
      return &p.stages[i + 1];
    }
  }
  return nullptr;
}

bool is_last(const Pipeline& p, int64_t stage_id) {
  return !p.stages.empty() && p.stages.back().id == stage_id;
}

// Runs the stage's automations for a job that just entered it.
std::vector<int64_t> enter_stage(accounts::Session& s, const requests::Env& env, Job& job, const Stage& stage) {
  std::vector<int64_t> outbox;
  JobStore store(s.db);
  for (const auto& a : stage.automations) {
    requests::NewRequest in;
    in.accounts = {std::to_string(job.account_id)};
    in.template_name = a.template_name;
    if (a.reminders) {
      in.reminders.every_days = a.reminders->every_days;
      in.reminders.count = a.reminders->count;
      in.reminders.off = !a.reminders->on;
    }
    in.no_login = a.login.has_value() && !*a.login;
    if (!requests::RequestStore(s.db).find_template(a.template_name)) {
      throw Conflict(fmt::format("stage \"{}\" sends the request template \"{}\", which no longer exists",
                                 stage.name, a.template_name),
                     "add the template again, or remove the automation");
    }
    // With no contact to send to, the request waits as a draft (and says so
    // in 'job show') rather than failing the move.
    // The same rule as request create: a request that needs a login goes
    // only to contacts with portal access.
    const bool login = !in.no_login && requests::RequestStore(s.db).find_template(a.template_name)->login;
    bool any_recipient = false;
    for (const auto& c : accounts::ContactStore(s.db).list(job.account_id)) {
      any_recipient = any_recipient || (c.notify && (!login || c.portal));
    }
    in.draft = !any_recipient;
    // The automation acts as the system, also when a client's submission
    // moved the job here: it is the firm's rule, not the client's act.
    accounts::Session system = s;
    system.actor = audit::Actor::system();
    if (system.client) {
      system.client.reset();
      system.open_access = true;
    }
    const auto created = requests::create_requests(system, env, in);
    for (const auto& r : created.requests) {
      store.link(job.id, "request", r.id, stage.id, s.now);
      audit_job(s, job, "linked", {{"item", fmt::format("request:{}", r.id)}, {"stage", stage.name},
                                   {"cause", "automation"}}, audit::Actor::system());
    }
    outbox.insert(outbox.end(), created.outbox_ids.begin(), created.outbox_ids.end());
  }
  return outbox;
}

std::vector<int64_t> move_to(accounts::Session& s, const requests::Env& env, Job& job, const Pipeline& p,
                             const Stage& target, const json& cause, const audit::Actor& actor) {
  const std::string from = job.stage_name;
  job.stage_id = target.id;
  job.stage_name = target.name;
  job.moved_at = s.now;
  JobStore(s.db).update_job(job);
  json details = cause;
  details["from"] = from;
  details["to"] = target.name;
  audit_job(s, job, "moved", details, actor);
  (void)p;
  return enter_stage(s, env, job, target);
}

std::string check_name(std::string_view what, std::string_view v) { return util::require_line(what, v, 100); }

} // namespace

Pipeline get_pipeline(storage::Database& db, std::string_view ref) {
  JobStore store(db);
  return *store.get_pipeline(store.resolve_pipeline(ref));
}

std::vector<Pipeline> list_pipelines(storage::Database& db) { return JobStore(db).list_pipelines(); }

Stage get_stage(storage::Database& db, const Pipeline& p, std::string_view ref) {
  return JobStore(db).resolve_stage(p, ref);
}

Pipeline create_pipeline(accounts::Session& s, const std::string& name, const std::vector<std::string>& stages) {
  accounts::require_staff_actor(s);
  const std::string clean = check_name("the pipeline name", name);
  if (stages.empty()) {
    throw UsageError("a pipeline needs at least one --stage");
  }
  JobStore store(s.db);
  try {
    store.resolve_pipeline(clean);
    throw Conflict(fmt::format("a pipeline named \"{}\" exists already", clean));
  } catch (const NotFound&) {
  }
  const auto id = store.insert_pipeline(clean, s.now);
  std::set<std::string> seen;
  int position = 0;
  for (const auto& st : stages) {
    const std::string n = check_name("a stage name", st);
    if (!seen.insert(util::to_lower(n)).second) {
      throw InvalidInput(fmt::format("the stage \"{}\" is named twice", n));
    }
    store.insert_stage(id, n, ++position, false);
  }
  const auto p = *store.get_pipeline(id);
  audit_pipeline(s, p, "created", {{"name", p.name}, {"stages", stages}});
  return p;
}

Pipeline add_stage(accounts::Session& s, std::string_view pipeline, const std::string& name, const StageChanges& in) {
  accounts::require_staff_actor(s);
  JobStore store(s.db);
  Pipeline p = get_pipeline(s.db, pipeline);
  const std::string n = check_name("the stage name", name);
  for (const auto& st : p.stages) {
    if (util::to_lower(st.name) == util::to_lower(n)) {
      throw Conflict(fmt::format("pipeline \"{}\" has a stage \"{}\" already", p.name, n));
    }
  }
  const int count = static_cast<int>(p.stages.size());
  const int position = in.position.value_or(count + 1);
  if (position < 1 || position > count + 1) {
    throw InvalidInput(fmt::format("--position must be from 1 to {}", count + 1));
  }
  const bool automove = in.automove.value_or(false);
  if (automove && position == count + 1) {
    throw InvalidInput("automove cannot be on for the last stage: there is nowhere to move to");
  }
  const auto id = store.insert_stage(p.id, n, position, automove);
  std::vector<int64_t> order;
  for (const auto& st : p.stages) {
    order.push_back(st.id);
  }
  order.insert(order.begin() + (position - 1), id);
  store.set_order(order);
  audit_pipeline(s, p, "stage_added", {{"stage", n}, {"position", position}, {"automove", automove}});
  return *store.get_pipeline(p.id);
}

Pipeline edit_stage(accounts::Session& s, std::string_view pipeline, std::string_view stage, const StageChanges& in) {
  accounts::require_staff_actor(s);
  JobStore store(s.db);
  Pipeline p = get_pipeline(s.db, pipeline);
  Stage st = store.resolve_stage(p, stage);
  json changed = json::object();
  if (in.rename) {
    const std::string n = check_name("the stage name", *in.rename);
    for (const auto& other : p.stages) {
      if (other.id != st.id && util::to_lower(other.name) == util::to_lower(n)) {
        throw Conflict(fmt::format("pipeline \"{}\" has a stage \"{}\" already", p.name, n));
      }
    }
    changed["name"] = {st.name, n};
    st.name = n;
  }
  std::vector<int64_t> order;
  for (const auto& x : p.stages) {
    if (x.id != st.id) {
      order.push_back(x.id);
    }
  }
  int position = st.position;
  if (in.position) {
    if (*in.position < 1 || *in.position > static_cast<int>(p.stages.size())) {
      throw InvalidInput(fmt::format("--position must be from 1 to {}", p.stages.size()));
    }
    position = *in.position;
    changed["position"] = {st.position, position};
  }
  order.insert(order.begin() + (position - 1), st.id);
  if (in.automove) {
    st.automove = *in.automove;
    changed["automove"] = *in.automove;
  }
  // Whatever moved, automove stays off the last stage.
  if (order.back() == st.id && st.automove) {
    throw InvalidInput(fmt::format("automove cannot be on for \"{}\": it is the last stage", st.name));
  }
  for (const auto& x : p.stages) {
    if (x.id == order.back() && x.id != st.id && x.automove) {
      throw InvalidInput(fmt::format("\"{}\" would become the last stage with automove on", x.name),
                         fmt::format("turn it off first with 'practice pipeline stage edit \"{}\" \"{}\" --automove off'",
                                     p.name, x.name));
    }
  }
  store.update_stage(st);
  store.set_order(order);
  audit_pipeline(s, p, "stage_edited", {{"stage", st.name}, {"changed", changed}});
  return *store.get_pipeline(p.id);
}

Pipeline remove_stage(accounts::Session& s, std::string_view pipeline, std::string_view stage) {
  accounts::require_staff_actor(s);
  JobStore store(s.db);
  Pipeline p = get_pipeline(s.db, pipeline);
  const Stage st = store.resolve_stage(p, stage);
  if (const auto n = store.jobs_in_stage(st.id); n > 0) {
    throw Conflict(fmt::format("stage \"{}\" holds {} job{}", st.name, n, n == 1 ? "" : "s"),
                   "move them first with 'practice job move JOB --to STAGE'");
  }
  if (p.stages.size() == 1) {
    throw Conflict("a pipeline needs at least one stage");
  }
  store.remove_stage(st.id, s.now);
  std::vector<int64_t> order;
  for (const auto& x : p.stages) {
    if (x.id != st.id) {
      order.push_back(x.id);
    }
  }
  store.set_order(order);
  const auto after = *store.get_pipeline(p.id);
  if (after.stages.back().automove) {
    throw InvalidInput(fmt::format("\"{}\" would become the last stage with automove on", after.stages.back().name));
  }
  audit_pipeline(s, p, "stage_removed", {{"stage", st.name}});
  return after;
}

Pipeline add_automation(accounts::Session& s, std::string_view pipeline, std::string_view stage,
                        const NewAutomation& in) {
  accounts::require_staff_actor(s);
  JobStore store(s.db);
  Pipeline p = get_pipeline(s.db, pipeline);
  const Stage st = store.resolve_stage(p, stage);
  const auto tpl = requests::RequestStore(s.db).find_template(in.template_name);
  if (!tpl) {
    throw NotFound(fmt::format("no request template named \"{}\"", in.template_name),
                   "add it with 'practice template add --file FILE.toml'");
  }
  Automation a;
  a.stage_id = st.id;
  a.template_name = tpl->name;
  if (in.reminders.every_days || in.reminders.count || in.reminders.off) {
    requests::Reminders r = tpl->reminders.value_or(requests::Reminders{});
    if (in.reminders.every_days) {
      r.every_days = *in.reminders.every_days;
    }
    if (in.reminders.count) {
      r.count = *in.reminders.count;
    }
    r.on = !in.reminders.off;
    if (r.every_days < 1 || r.every_days > 365 || r.count < 0 || r.count > 100) {
      throw InvalidInput("reminders: every 1 to 365 days, 0 to 100 of them");
    }
    a.reminders = r;
  }
  a.login = in.login;
  const auto id = store.insert_automation(a, s.now);
  audit_pipeline(s, p, "automation_added", {{"id", id}, {"stage", st.name}, {"send_request", a.template_name}});
  return *store.get_pipeline(p.id);
}

Pipeline remove_automation(accounts::Session& s, int64_t id) {
  accounts::require_staff_actor(s);
  JobStore store(s.db);
  for (const auto& p : store.list_pipelines()) {
    for (const auto& st : p.stages) {
      for (const auto& a : st.automations) {
        if (a.id == id) {
          store.delete_automation(id);
          audit_pipeline(s, p, "automation_removed", {{"id", id}, {"stage", st.name}});
          return *store.get_pipeline(p.id);
        }
      }
    }
  }
  throw NotFound(fmt::format("no automation with id {}", id), "list them with 'practice pipeline automation list'");
}

requests::Definition remove_template(accounts::Session& s, std::string_view name_or_id) {
  accounts::require_staff_actor(s);
  auto [id, def] = requests::get_template(s.db, name_or_id);
  const auto uses = JobStore(s.db).automations_sending(def.name);
  if (!uses.empty()) {
    const auto& first = uses.front();
    std::string message = fmt::format("request template \"{}\" is in use: stage \"{}\" of pipeline \"{}\" sends it",
                                      def.name, first.stage, first.pipeline);
    if (uses.size() > 1) {
      message += fmt::format(" (and {} more automation{})", uses.size() - 1, uses.size() == 2 ? "" : "s");
    }
    std::vector<std::string> ids;
    for (const auto& u : uses) {
      ids.push_back(std::to_string(u.automation_id));
    }
    throw Conflict(message, uses.size() == 1
                                ? fmt::format("remove it first with 'practice pipeline automation remove {}'", ids[0])
                                : fmt::format("remove them first with 'practice pipeline automation remove ID' "
                                              "for each of {}",
                                              fmt::join(ids, ", ")));
  }
  requests::RequestStore(s.db).delete_template(def.name);
  audit::AuditLog(s.db).record(s.now, s.actor, std::nullopt, fmt::format("template:{}", id), "removed",
                               {{"name", def.name}});
  return std::move(def);
}

std::string export_pipeline(const Pipeline& p) {
  const auto q = [](const std::string& v) {
    std::ostringstream s;
    s << toml::value<std::string>{v};
    return s.str();
  };
  std::string out = "name = " + q(p.name) + "\n";
  for (const auto& st : p.stages) {
    out += "\n[[stage]]\nname = " + q(st.name) + "\n";
    out += std::string("automove = ") + (st.automove ? "true" : "false") + "\n";
    for (const auto& a : st.automations) {
      out += "\n[[stage.automation]]\nsend_request = " + q(a.template_name) + "\n";
      if (a.reminders) {
        out += fmt::format("reminders = {}\nremind_every_days = {}\nreminder_count = {}\n",
                           a.reminders->on ? "true" : "false", a.reminders->every_days, a.reminders->count);
      }
      if (a.login) {
        out += std::string("login = ") + (*a.login ? "true" : "false") + "\n";
      }
    }
  }
  return out;
}

nlohmann::ordered_json export_pipeline_json(const Pipeline& p) {
  using ordered = nlohmann::ordered_json;
  ordered stages = ordered::array();
  for (const auto& st : p.stages) {
    ordered automations = ordered::array();
    for (const auto& a : st.automations) {
      ordered x = ordered::object();
      x["send_request"] = a.template_name;
      x["reminders"] = a.reminders ? ordered{{"on", a.reminders->on},
                                             {"every_days", a.reminders->every_days},
                                             {"count", a.reminders->count}}
                                   : ordered(nullptr);
      x["login"] = a.login ? ordered(*a.login) : ordered(nullptr);
      automations.push_back(std::move(x));
    }
    ordered stage = ordered::object();
    stage["name"] = st.name;
    stage["automove"] = st.automove;
    stage["automations"] = std::move(automations);
    stages.push_back(std::move(stage));
  }
  ordered j = ordered::object();
  j["name"] = p.name;
  j["stages"] = std::move(stages);
  return j;
}

Pipeline import_pipeline(accounts::Session& s, const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw InvalidInput(fmt::format("{} line {}: {}", origin, e.source().begin.line, e.description()));
  }
  const auto name = root["name"].value<std::string>();
  const auto* stages = root["stage"].as_array();
  if (!name || stages == nullptr || stages->empty()) {
    throw InvalidInput(fmt::format("{}: needs name = \"...\" and at least one [[stage]]", origin));
  }
  std::vector<std::string> names;
  for (const auto& st : *stages) {
    const auto n = st.as_table() ? (*st.as_table())["name"].value<std::string>() : std::nullopt;
    if (!n) {
      throw InvalidInput(fmt::format("{}: every [[stage]] needs name = \"...\"", origin));
    }
    names.push_back(*n);
  }
  Pipeline p = create_pipeline(s, *name, names);
  for (size_t i = 0; i < stages->size(); ++i) {
    const auto& t = *(*stages)[i].as_table();
    if (t["automove"].value_or(false)) {
      edit_stage(s, p.name, p.stages[i].name, {std::nullopt, std::nullopt, true});
    }
    if (const auto* autos = t["automation"].as_array()) {
      for (const auto& a : *autos) {
        const auto& at = *a.as_table();
        const auto tpl = at["send_request"].value<std::string>();
        if (!tpl) {
          throw InvalidInput(fmt::format("{}: every [[stage.automation]] needs send_request = \"TEMPLATE\"", origin));
        }
        NewAutomation in;
        in.template_name = *tpl;
        if (const auto every = at["remind_every_days"].value<int64_t>()) {
          in.reminders.every_days = static_cast<int>(*every);
        }
        if (const auto count = at["reminder_count"].value<int64_t>()) {
          in.reminders.count = static_cast<int>(*count);
        }
        if (at["reminders"].value<bool>() == std::optional<bool>(false)) {
          in.reminders.off = true;
        }
        in.login = at["login"].value<bool>();
        add_automation(s, p.name, p.stages[i].name, in);
      }
    }
  }
  return get_pipeline(s.db, std::to_string(p.id));
}

namespace {

[[noreturn]] void no_job(int64_t id) {
  throw NotFound(fmt::format("no job with id {}", id), "list them with 'practice job list'");
}

} // namespace

Job get_job(storage::Database& db, int64_t id) {
  auto j = JobStore(db).get_job(id);
  if (!j) {
    no_job(id);
  }
  return *j;
}

int64_t require_job(storage::Database& db, int64_t id) {
  if (!JobStore(db).job_exists(id)) {
    no_job(id);
  }
  return id;
}

std::vector<Job> list_jobs(storage::Database& db, const JobFilter& f) { return JobStore(db).list_jobs(f); }

void each_job(storage::Database& db, const JobFilter& f, const std::function<void(const Job&)>& fn) {
  JobStore(db).each_job(f, fn);
}

Result create_job(accounts::Session& s, const requests::Env& env, const NewJob& in) {
  accounts::AccountStore accounts(s.db);
  const auto account = *accounts.get(accounts.resolve(in.account));
  require_access(s, account.id);
  if (account.archived_at) {
    throw Conflict(fmt::format("account \"{}\" is archived", account.name));
  }
  JobStore store(s.db);
  const Pipeline p = get_pipeline(s.db, in.pipeline);
  const Stage stage = in.stage ? store.resolve_stage(p, *in.stage) : p.stages.front();
  Job j;
  j.account_id = account.id;
  j.account_name = account.name;
  j.pipeline_id = p.id;
  j.pipeline_name = p.name;
  j.stage_id = stage.id;
  j.stage_name = stage.name;
  j.title = util::require_line("the job title", in.title.value_or(p.name), 200);
  if (in.assignee) {
    const auto st = accounts::StaffStore(s.db).resolve(*in.assignee);
    j.assignee = accounts::Ref{st.id, st.name, st.email};
  }
  if (in.due) {
    const auto d = util::parse_date(util::trim(*in.due));
    if (!d) {
      throw InvalidInput(fmt::format("--due \"{}\" is not a date such as 2026-04-15", *in.due));
    }
    j.due_date = util::format_date(*d);
  }
  j.created_at = s.now;
  j.moved_at = s.now;
  j.id = store.insert_job(j);
  audit_job(s, j, "created", {{"pipeline", p.name}, {"stage", stage.name}, {"title", j.title}}, s.actor);
  Result r;
  r.outbox_ids = enter_stage(s, env, j, stage);
  r.job = get_job(s.db, j.id);
  return r;
}

Result move_job(accounts::Session& s, const requests::Env& env, int64_t id, const std::optional<std::string>& to,
                std::optional<Pending> pending) {
  Job j = get_job(s.db, id);
  require_access(s, j.account_id);
  if (j.archived_at) {
    throw Conflict(fmt::format("job {} is archived", j.id));
  }
  JobStore store(s.db);
  const Pipeline p = *store.get_pipeline(j.pipeline_id);
  const Stage* target = nullptr;
  Stage named;
  if (to) {
    named = store.resolve_stage(p, *to);
    target = &named;
  } else {
    target = next_stage(p, j.stage_id);
    if (target == nullptr) {
      throw Conflict(fmt::format("job {} is in \"{}\", the last stage", j.id, j.stage_name));
    }
  }
  if (target->id == j.stage_id) {
    throw Conflict(fmt::format("job {} is in \"{}\" already", j.id, j.stage_name));
  }
  const auto open = blockers(j.items, j.stage_id);
  if (!open.empty() && !pending) {
    std::string list;
    for (const auto& b : open) {
      list += fmt::format("{}{} {} \"{}\" ({})", list.empty() ? "" : ", ", b.kind, b.id, b.title, b.status);
    }
    throw Conflict(fmt::format("job {} has unfinished items in \"{}\": {}", j.id, j.stage_name, list),
                   "say what happens to them with --pending keep or --pending cancel");
  }
  json cause = {{"cause", "manual"}};
  if (!open.empty()) {
    cause["pending"] = *pending == Pending::keep ? "keep" : "cancel";
    if (*pending == Pending::cancel) {
      for (const auto& b : open) {
        if (b.kind == "approval") {
          if (b.status == "pending") {
            approvals::cancel(s, b.id);
          }
        } else {
          requests::cancel(s, b.id, fmt::format("job {} moved to \"{}\"", j.id, target->name));
        }
      }
    }
  }
  Result r;
  r.outbox_ids = move_to(s, env, j, p, *target, cause, s.actor);
  r.job = get_job(s.db, id);
  return r;
}

Job link_item(accounts::Session& s, int64_t job_id, const std::string& kind, int64_t item_id) {
  Job j = get_job(s.db, job_id);
  require_access(s, j.account_id);
  if (j.archived_at) {
    throw Conflict(fmt::format("job {} is archived", j.id));
  }
  int64_t account_id = 0;
  std::string account_name;
  if (kind == "request") {
    const auto r = requests::get_request(s.db, item_id);
    account_id = r.account_id;
    account_name = r.account_name;
  } else {
    const auto a = approvals::get_approval(s.db, item_id);
    account_id = a.document.account_id;
    account_name = a.document.account_name;
  }
  if (account_id != j.account_id) {
    throw Conflict(fmt::format("{} {} is for \"{}\", job {} for \"{}\"", kind, item_id, account_name, j.id,
                               j.account_name));
  }
  for (const auto& i : j.items) {
    if (i.kind == kind && i.id == item_id) {
      throw Conflict(fmt::format("{} {} is linked to job {} already", kind, item_id, j.id));
    }
  }
  JobStore(s.db).link(j.id, kind, item_id, j.stage_id, s.now);
  audit_job(s, j, "linked", {{"item", fmt::format("{}:{}", kind, item_id)}, {"stage", j.stage_name}}, s.actor);
  return get_job(s.db, job_id);
}

Job unlink_item(accounts::Session& s, int64_t job_id, const std::string& kind, int64_t item_id) {
  Job j = get_job(s.db, job_id);
  require_access(s, j.account_id);
  if (!JobStore(s.db).unlink(j.id, kind, item_id)) {
    throw NotFound(fmt::format("{} {} is not linked to job {}", kind, item_id, j.id));
  }
  audit_job(s, j, "unlinked", {{"item", fmt::format("{}:{}", kind, item_id)}}, s.actor);
  return get_job(s.db, job_id);
}

Job archive_job(accounts::Session& s, int64_t id) {
  Job j = get_job(s.db, id);
  require_access(s, j.account_id);
  if (j.archived_at) {
    throw Conflict(fmt::format("job {} is archived already", j.id));
  }
  j.archived_at = s.now;
  JobStore(s.db).update_job(j);
  audit_job(s, j, "archived", json::object(), s.actor);
  return j;
}

std::vector<int64_t> on_item_done(accounts::Session& s, const requests::Env& env, const std::string& kind,
                                  int64_t item_id, const std::string& event) {
  std::vector<int64_t> outbox;
  JobStore store(s.db);
  for (const auto job_id : store.jobs_linking(kind, item_id)) {
    // A move runs the next stage's automations; if that stage is finished
    // too, the job moves again.
    for (int guard = 0; guard < 100; ++guard) {
      Job j = get_job(s.db, job_id);
      const Pipeline p = *store.get_pipeline(j.pipeline_id);
      const Stage* stage = nullptr;
      for (const auto& st : p.stages) {
        if (st.id == j.stage_id) {
          stage = &st;
        }
      }
      if (stage == nullptr || !should_automove(*stage, is_last(p, stage->id), j.items)) {
        break;
      }
      const Stage target = *next_stage(p, stage->id);
      const json cause = {{"cause", "automove"},
                          {"reason", fmt::format("every item linked in \"{}\" is done", stage->name)},
                          {"trigger", fmt::format("{}:{} {}", kind, item_id, event)}};
      const auto ids = move_to(s, env, j, p, target, cause, audit::Actor::system());
      outbox.insert(outbox.end(), ids.begin(), ids.end());
    }
  }
  return outbox;
}

} // namespace practice::jobs
