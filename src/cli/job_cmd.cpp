#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/error.hpp"
#include "practice/jobs/jobs.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <unistd.h>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

struct JobOptions {
  int64_t id = 0;
  std::string account;
  std::string pipeline;
  std::optional<std::string> stage;
  std::optional<std::string> title;
  std::optional<std::string> assignee;
  std::optional<std::string> due;
  std::optional<std::string> account_filter;
  std::optional<std::string> pipeline_filter;
  bool blocked = false;
  bool archived = false;
  std::optional<std::string> to;
  bool next = false;
  std::optional<std::string> pending;
  std::optional<int64_t> request;
  std::optional<int64_t> approval;
};

json item_json(const jobs::LinkedItem& i, int64_t current_stage) {
  json x = json_object(8);
  x["kind"] = i.kind;
  x["id"] = i.id;
  x["title"] = i.title;
  x["status"] = i.status;
  x["stage"] = i.stage_name;
  x["done"] = i.state == jobs::ItemState::done;
  x["blocking"] = i.stage_id == current_stage && i.state == jobs::ItemState::waiting;
  x["waiting_for"] = i.state == jobs::ItemState::waiting ? json(i.waiting_for) : json(nullptr);
  return x;
}

json job_json(const jobs::Job& j) {
  json x = json_object(16);
  x["id"] = j.id;
  x["account_id"] = j.account_id;
  x["account"] = j.account_name;
  x["pipeline_id"] = j.pipeline_id;
  x["pipeline"] = j.pipeline_name;
  x["stage_id"] = j.stage_id;
  x["stage"] = j.stage_name;
  x["title"] = j.title;
  x["assignee"] = j.assignee ? json{{"id", j.assignee->id}, {"name", j.assignee->name}, {"email", j.assignee->email}}
                             : json(nullptr);
  x["due_date"] = opt_json(j.due_date);
  x["created_at"] = time_json(j.created_at);
  x["moved_at"] = time_json(j.moved_at);
  x["archived_at"] = time_json(j.archived_at);
  json items = json::array();
  json blocked = json::array();
  for (const auto& i : j.items) {
    items.push_back(item_json(i, j.stage_id));
    // The blockers (jobs::blockers) are the items item_json marks blocking.
    if (items.back()["blocking"].get<bool>()) {
      blocked.push_back(items.back());
    }
  }
  x["items"] = items;
  x["blocked_by"] = blocked;
  return x;
}

void print_job(Context& ctx, const jobs::Job& j, const std::string& line, const std::optional<json>& mail = {}) {
  if (ctx.out.json()) {
    json x = job_json(j);
    if (mail) {
      x["mail"] = *mail;
    }
    ctx.out.print_json(x);
  } else {
    ctx.out.print_line(line);
  }
}

void run_job_show(const JobOptions& o, Context& ctx) {
  const auto j = ctx.read([&](storage::Database& db) { return jobs::get_job(db, o.id); });
  if (ctx.out.json()) {
    ctx.out.print_json(job_json(j));
    return;
  }
  ctx.out.print_fields({{"id", std::to_string(j.id)},
                        {"title", j.title},
                        {"account", fmt::format("{} ({})", j.account_name, j.account_id)},
                        {"pipeline", j.pipeline_name},
                        {"stage", j.stage_name},
                        {"assignee", j.assignee ? j.assignee->email : "-"},
                        {"due", j.due_date.value_or("-")},
                        {"moved", time_text(j.moved_at)},
                        {"archived", time_text(j.archived_at)}});
  if (!j.items.empty()) {
    TextTable t;
    t.add_column("ITEM");
    t.add_column("TITLE");
    t.add_column("STAGE");
    t.add_column("STATUS");
    for (const auto& i : j.items) {
      t.add_row({fmt::format("{} {}", i.kind, i.id), i.title, i.stage_name, i.status});
    }
    fmt::print("\n");
    ctx.out.print_table(t);
  }
  const auto open = jobs::blockers(j.items, j.stage_id);
  fmt::print("\n");
  if (open.empty()) {
    fmt::print("Nothing holds this job in \"{}\".\n", j.stage_name);
  } else {
    fmt::print("Waiting in \"{}\" for:\n", j.stage_name);
    for (const auto& b : open) {
      fmt::print("  {} {} \"{}\": {}\n", b.kind, b.id, b.title, b.waiting_for);
    }
  }
}

void run_job_list(const JobOptions& o, Context& ctx) {
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("ACCOUNT");
  t.add_column("TITLE");
  t.add_column("STAGE");
  t.add_column("ASSIGNEE");
  t.add_column("DUE");
  t.add_column("WAITING FOR");
  bool any = false;
  // Printed as read: 100,000 jobs are never held whole.
  ctx.read([&](storage::Database& db) {
    jobs::JobFilter f;
    f.archived = o.archived;
    if (o.account_filter) {
      f.account_id = accounts::resolve_account(db, *o.account_filter);
    }
    if (o.pipeline_filter) {
      const auto p = jobs::get_pipeline(db, *o.pipeline_filter);
      f.pipeline_id = p.id;
      if (o.stage) {
        f.stage_id = jobs::get_stage(db, p, *o.stage).id;
      }
    } else if (o.stage) {
      throw UsageError("--stage needs --pipeline");
    }
    if (o.assignee) {
      f.assignee_id = accounts::get_staff(db, *o.assignee).id;
    }
    // --blocked is automove's own rule (jobs::blockers), applied as the jobs stream by.
    const auto keeps = [&](const jobs::Job& j) { return !o.blocked || !jobs::blockers(j.items, j.stage_id).empty(); };
    if (ctx.out.machine()) {
      Output::JsonArrayWriter out(ctx.out);
      jobs::each_job(db, f, [&](const jobs::Job& j) {
        if (keeps(j)) {
          out.add(job_json(j));
        }
      });
      out.finish();
      return;
    }
    jobs::each_job(db, f, [&](const jobs::Job& j) {
      if (!keeps(j)) {
        return;
      }
      any = true;
      std::string waiting;
      for (const auto& b : jobs::blockers(j.items, j.stage_id)) {
        waiting += fmt::format("{}{} {} ({})", waiting.empty() ? "" : "; ", b.kind, b.id, b.status);
      }
      t.add_row({std::to_string(j.id), j.account_name, j.title, j.stage_name, j.assignee ? j.assignee->email : "-",
                 j.due_date.value_or("-"), waiting.empty() ? "-" : waiting});
    });
  });
  if (ctx.out.machine()) {
    return;
  }
  if (!any) {
    ctx.out.note("no jobs");
    return;
  }
  ctx.out.print_table(t);
}

std::optional<jobs::Pending> decide_pending(const JobOptions& o, Context& ctx) {
  if (o.pending) {
    if (*o.pending == "keep") {
      return jobs::Pending::keep;
    }
    if (*o.pending == "cancel") {
      return jobs::Pending::cancel;
    }
    throw_bad_choice("--pending", *o.pending, "keep, cancel");
  }
  const auto j = ctx.read([&](storage::Database& db) { return jobs::get_job(db, o.id); });
  const auto open = jobs::blockers(j.items, j.stage_id);
  if (open.empty() || ::isatty(STDIN_FILENO) != 1 || !ctx.out.stderr_is_tty() || ctx.out.json()) {
    return std::nullopt; // the move refuses, listing them, if there are any
  }
  fmt::print(stderr, "Job {} has unfinished items in \"{}\":\n", j.id, j.stage_name);
  for (const auto& b : open) {
    fmt::print(stderr, "  {} {} \"{}\" ({})\n", b.kind, b.id, b.title, b.status);
  }
  for (;;) {
    fmt::print(stderr, "Keep them pending or cancel them? [k/c] ");
    std::string answer;
    if (!std::getline(std::cin, answer)) {
      return std::nullopt;
    }
    if (answer == "k" || answer == "keep") {
      return jobs::Pending::keep;
    }
    if (answer == "c" || answer == "cancel") {
      return jobs::Pending::cancel;
    }
  }
}

} // namespace

void register_job_commands(CLI::App& app, Context& ctx) {
  auto* job = app.add_subcommand("job", "Work for a client, moving through a pipeline's stages");
  job->require_subcommand(1);
  {
    auto o = std::make_shared<JobOptions>();
    auto* c = job->add_subcommand("create", "Create a job (the stage's automations run)");
    c->add_option("--account", o->account, "Account")->required()->type_name("ACCOUNT");
    c->add_option("--pipeline", o->pipeline, "Pipeline")->required()->type_name("PIPELINE");
    c->add_option("--stage", o->stage, "Start in this stage (default: the first)");
    c->add_option("--title", o->title, "Title (default: the pipeline's name)");
    c->add_option("--assignee", o->assignee, "Staff member")->type_name("STAFF");
    c->add_option("--due", o->due, "Due date")->type_name("DATE");
    on_run(c, ctx, [o, &ctx] {
      const auto env = ctx.request_env();
      const jobs::NewJob in{o->account, o->pipeline, o->stage, o->title, o->assignee, o->due};
      const auto r = ctx.write([&](accounts::Session& s) { return jobs::create_job(s, env, in); });
      const auto mail = ctx.deliver_after_commit(r.outbox_ids);
      print_job(ctx, r.job, fmt::format("Created job {} for {} in \"{}\"", r.job.id, r.job.account_name, r.job.stage_name), mail);
    });
  }
  {
    auto o = std::make_shared<JobOptions>();
    auto* c = job->add_subcommand("list", "List jobs");
    c->add_option("--account", o->account_filter, "Only this account's")->type_name("ACCOUNT");
    c->add_option("--pipeline", o->pipeline_filter, "Only this pipeline's")->type_name("PIPELINE");
    c->add_option("--stage", o->stage, "Only jobs in this stage (with --pipeline)");
    c->add_option("--assignee", o->assignee, "Only this staff member's")->type_name("STAFF");
    c->add_flag("--blocked", o->blocked, "Only jobs waiting for unfinished items");
    c->add_flag("--archived", o->archived, "Include archived jobs");
    add_csv_flag(c, ctx);
    on_run(c, ctx, [o, &ctx] { run_job_list(*o, ctx); });
  }
  {
    auto o = std::make_shared<JobOptions>();
    auto* c = job->add_subcommand("show", "Show a job, its items, and what holds it");
    c->add_option("job", o->id, "Job id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] { run_job_show(*o, ctx); });
  }
  {
    auto o = std::make_shared<JobOptions>();
    auto* c = job->add_subcommand("move", "Move a job by hand");
    c->add_option("job", o->id, "Job id")->required()->transform(decimal());
    c->add_option("--to", o->to, "Stage")->type_name("STAGE");
    c->add_flag("--next", o->next, "The next stage");
    c->add_option("--pending", o->pending, "Unfinished items: keep them, or cancel them")->type_name("keep|cancel");
    on_run(c, ctx, [o, &ctx] {
      if (o->next == o->to.has_value()) {
        throw UsageError("give --to STAGE or --next");
      }
      const auto env = ctx.request_env();
      const auto pending = decide_pending(*o, ctx);
      const auto r = ctx.write([&](accounts::Session& s) { return jobs::move_job(s, env, o->id, o->to, pending); });
      const auto mail = ctx.deliver_after_commit(r.outbox_ids);
      print_job(ctx, r.job, fmt::format("Moved job {} to \"{}\"", r.job.id, r.job.stage_name), mail);
    });
  }
  for (const bool linking : {true, false}) {
    auto o = std::make_shared<JobOptions>();
    auto* c = job->add_subcommand(linking ? "link" : "unlink", linking ? "Link an item to the job's current stage"
                                                                        : "Unlink an item");
    c->add_option("job", o->id, "Job id")->required()->transform(decimal());
    c->add_option("--request", o->request, "Request id")->transform(decimal());
    c->add_option("--approval", o->approval, "Approval id")->transform(decimal());
    on_run(c, ctx, [o, &ctx, linking] {
      if (o->request.has_value() == o->approval.has_value()) {
        throw UsageError("give --request R or --approval AP");
      }
      const std::string kind = o->request ? "request" : "approval";
      const int64_t item = o->request ? *o->request : *o->approval;
      const auto j = ctx.write([&](accounts::Session& s) {
        return linking ? jobs::link_item(s, o->id, kind, item) : jobs::unlink_item(s, o->id, kind, item);
      });
      print_job(ctx, j, fmt::format("{} {} {} {} job {}", linking ? "Linked" : "Unlinked", kind, item,
                                    linking ? "to" : "from", j.id));
    });
  }
  {
    auto o = std::make_shared<JobOptions>();
    auto* c = job->add_subcommand("archive", "Archive a job (its items' reminders stop)");
    c->add_option("job", o->id, "Job id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] {
      const auto j = ctx.write([&](accounts::Session& s) { return jobs::archive_job(s, o->id); });
      print_job(ctx, j, fmt::format("Archived job {}", j.id));
    });
  }
}

} // namespace practice::cli
