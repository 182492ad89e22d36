#include "app.hpp"
#include "views.hpp"

#include "practice/error.hpp"
#include "practice/jobs/jobs.hpp"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

struct PipelineOptions {
  std::string pipeline;
  std::string stage;
  std::vector<std::string> stages;
  std::optional<std::string> automove;
  std::optional<std::string> rename;
  std::optional<int> position;
  std::string template_name;
  std::optional<int> remind_every;
  std::optional<int> reminders;
  bool no_reminders = false;
  bool no_login = false;
  int64_t id = 0;
  std::string file;
  std::optional<std::string> pipeline_filter;
};

json pipeline_json(const jobs::Pipeline& p) {
  json stages = json::array();
  for (const auto& st : p.stages) {
    json autos = json::array();
    for (const auto& a : st.automations) {
      json x = json::object();
      x["id"] = a.id;
      x["send_request"] = a.template_name;
      x["reminders"] = a.reminders ? json{{"on", a.reminders->on}, {"every_days", a.reminders->every_days},
                                          {"count", a.reminders->count}}
                                   : json(nullptr);
      x["login"] = opt_json(a.login);
      autos.push_back(x);
    }
    stages.push_back({{"id", st.id}, {"name", st.name}, {"position", st.position}, {"automove", st.automove},
                      {"automations", autos}});
  }
  json j = json::object();
  j["id"] = p.id;
  j["name"] = p.name;
  j["stages"] = stages;
  j["job_count"] = p.job_count;
  j["created_at"] = time_json(p.created_at);
  return j;
}

void print_pipeline(Context& ctx, const jobs::Pipeline& p, const std::string& line) {
  if (ctx.out.json()) {
    ctx.out.print_json(pipeline_json(p));
  } else {
    ctx.out.print_line(line);
  }
}

void show(Context& ctx, const jobs::Pipeline& p) {
  if (ctx.out.json()) {
    ctx.out.print_json(pipeline_json(p));
    return;
  }
  fmt::print("{} (pipeline {}, {} active jobs)\n", p.name, p.id, p.job_count);
  TextTable t;
  t.add_column("#", Align::right);
  t.add_column("STAGE");
  t.add_column("AUTOMOVE");
  t.add_column("AUTOMATIONS");
  for (const auto& st : p.stages) {
    std::string autos;
    for (const auto& a : st.automations) {
      autos += fmt::format("{}[{}] send request \"{}\"", autos.empty() ? "" : "; ", a.id, a.template_name);
    }
    t.add_row({std::to_string(st.position), st.name, on_off(st.automove), autos.empty() ? "-" : autos});
  }
  ctx.out.print_table(t);
}

jobs::StageChanges changes(const PipelineOptions& o) {
  jobs::StageChanges c;
  c.rename = o.rename;
  c.position = o.position;
  if (o.automove) {
    c.automove = parse_on_off("--automove", *o.automove);
  }
  return c;
}

} // namespace

void register_pipeline_commands(CLI::App& app, Context& ctx) {
  auto* pl = app.add_subcommand("pipeline", "Pipelines of stages that jobs move through");
  pl->require_subcommand(1);
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = pl->add_subcommand("create", "Create a pipeline");
    c->add_option("name", o->pipeline, "Name")->required();
    c->add_option("--stage", o->stages, "A stage, in order (repeatable)")->required()->type_name("NAME");
    on_run(c, ctx, [o, &ctx] {
      const auto p = ctx.write([&](accounts::Session& s) { return jobs::create_pipeline(s, o->pipeline, o->stages); });
      print_pipeline(ctx, p, fmt::format("Created pipeline {}: {} ({} stages)", p.id, p.name, p.stages.size()));
    });
  }
  {
    auto* c = pl->add_subcommand("list", "List pipelines");
    add_csv_flag(c, ctx);
    on_run(c, ctx, [&ctx] {
      const auto list = ctx.read([](storage::Database& db) { return jobs::list_pipelines(db); });
      if (ctx.out.machine()) {
        ctx.out.print_json_array(list, pipeline_json);
        return;
      }
      if (list.empty()) {
        ctx.out.note("no pipelines; create one with 'practice pipeline create NAME --stage S --stage T'");
        return;
      }
      TextTable t;
      t.add_column("ID", Align::right);
      t.add_column("NAME");
      t.add_column("STAGES");
      t.add_column("JOBS", Align::right);
      for (const auto& p : list) {
        std::string stages;
        for (const auto& st : p.stages) {
          stages += (stages.empty() ? "" : " > ") + st.name;
        }
        t.add_row({std::to_string(p.id), p.name, stages, std::to_string(p.job_count)});
      }
      ctx.out.print_table(t);
    });
  }
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = pl->add_subcommand("show", "Show a pipeline's stages and automations");
    c->add_option("pipeline", o->pipeline, "Name or id")->required();
    on_run(c, ctx, [o, &ctx] { show(ctx, ctx.read([&](storage::Database& db) { return jobs::get_pipeline(db, o->pipeline); })); });
  }
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = pl->add_subcommand("export", "Print a pipeline as TOML that 'pipeline import' takes (JSON with --json)");
    c->add_option("pipeline", o->pipeline, "Name or id")->required();
    on_run(c, ctx, [o, &ctx] {
      const auto p = ctx.read([&](storage::Database& db) { return jobs::get_pipeline(db, o->pipeline); });
      if (ctx.out.json()) {
        ctx.out.print_json(jobs::export_pipeline_json(p));
        return;
      }
      fmt::print("{}", jobs::export_pipeline(p));
    });
  }
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = pl->add_subcommand("import", "Create a pipeline from a TOML file");
    c->add_option("file", o->file, "The pipeline file")->required()->type_name("FILE.toml");
    on_run(c, ctx, [o, &ctx] {
      const std::string text = read_text_file(o->file);
      const auto p = ctx.write([&](accounts::Session& s) { return jobs::import_pipeline(s, text, o->file); });
      print_pipeline(ctx, p, fmt::format("Imported pipeline {}: {} ({} stages)", p.id, p.name, p.stages.size()));
    });
  }
  auto* stage = pl->add_subcommand("stage", "Add, change or remove stages");
  stage->require_subcommand(1);
  for (const char* verb : {"add", "edit", "remove"}) {
    auto o = std::make_shared<PipelineOptions>();
    const std::string v = verb;
    auto* c = stage->add_subcommand(verb, v == "add" ? "Add a stage" : v == "edit" ? "Change a stage" : "Remove a stage");
    c->add_option("pipeline", o->pipeline, "Name or id")->required();
    // A new stage's name for add (NAME: nothing to complete), an existing one otherwise.
    c->add_option("stage", o->stage, "Stage name")->required()->type_name(v == "add" ? "NAME" : "STAGE");
    if (v != "remove") {
      c->add_option("--automove", o->automove, "Move jobs on when every linked item is done")->type_name("on|off");
      c->add_option("--position", o->position, "Place it at this position (1 = first)")->transform(decimal());
    }
    if (v == "edit") {
      c->add_option("--rename", o->rename, "New name")->type_name("NEW");
    }
    on_run(c, ctx, [o, &ctx, v] {
      const auto p = ctx.write([&](accounts::Session& s) {
        if (v == "add") {
          return jobs::add_stage(s, o->pipeline, o->stage, changes(*o));
        }
        if (v == "edit") {
          return jobs::edit_stage(s, o->pipeline, o->stage, changes(*o));
        }
        return jobs::remove_stage(s, o->pipeline, o->stage);
      });
      print_pipeline(ctx, p, fmt::format("Saved pipeline {}: {} stages", p.name, p.stages.size()));
    });
  }
  auto* automation = pl->add_subcommand("automation", "What happens when a job enters a stage");
  automation->require_subcommand(1);
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = automation->add_subcommand("add", "Send a request from a template when a job enters the stage");
    c->add_option("pipeline", o->pipeline, "Name or id")->required();
    c->add_option("stage", o->stage, "Stage name")->required();
    c->add_option("--send-request", o->template_name, "Request template")->required()->type_name("TEMPLATE");
    c->add_option("--remind-every", o->remind_every, "Days until the next reminder")
        ->type_name("DAYS")
        ->transform(decimal());
    c->add_option("--reminders", o->reminders, "Number of automatic reminders")->type_name("N")->transform(decimal());
    c->add_flag("--no-reminders", o->no_reminders, "No automatic reminders");
    c->add_flag("--no-login", o->no_login, "Anyone with the link may answer");
    on_run(c, ctx, [o, &ctx] {
      if (o->no_reminders && o->reminders) {
        throw UsageError("give --reminders N or --no-reminders, not both");
      }
      jobs::NewAutomation in{o->template_name, {o->remind_every, o->reminders, o->no_reminders},
                             o->no_login ? std::optional<bool>(false) : std::nullopt};
      const auto p = ctx.write([&](accounts::Session& s) { return jobs::add_automation(s, o->pipeline, o->stage, in); });
      print_pipeline(ctx, p, fmt::format("Stage \"{}\" of {} now sends \"{}\"", o->stage, p.name, o->template_name));
    });
  }
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = automation->add_subcommand("list", "List automations");
    c->add_option("pipeline", o->pipeline_filter, "Only this pipeline's");
    add_csv_flag(c, ctx);
    on_run(c, ctx, [o, &ctx] {
      const auto list = ctx.read([&](storage::Database& db) {
        return o->pipeline_filter ? std::vector<jobs::Pipeline>{jobs::get_pipeline(db, *o->pipeline_filter)}
                                  : jobs::list_pipelines(db);
      });
      json rows = json::array();
      TextTable t;
      t.add_column("ID", Align::right);
      t.add_column("PIPELINE");
      t.add_column("STAGE");
      t.add_column("SENDS REQUEST");
      t.add_column("REMINDERS");
      for (const auto& p : list) {
        for (const auto& st : p.stages) {
          for (const auto& a : st.automations) {
            const std::string rem = a.reminders ? (a.reminders->on ? fmt::format("every {} days x{}", a.reminders->every_days,
                                                                                 a.reminders->count)
                                                                   : std::string("off"))
                                                : std::string("template's");
            rows.push_back({{"id", a.id}, {"pipeline", p.name}, {"stage", st.name}, {"send_request", a.template_name}});
            t.add_row({std::to_string(a.id), p.name, st.name, a.template_name, rem});
          }
        }
      }
      if (ctx.out.machine()) {
        ctx.out.print_json(rows);
      } else if (rows.empty()) {
        ctx.out.note("no automations");
      } else {
        ctx.out.print_table(t);
      }
    });
  }
  {
    auto o = std::make_shared<PipelineOptions>();
    auto* c = automation->add_subcommand("remove", "Remove an automation");
    c->add_option("id", o->id, "Automation id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] {
      const auto p = ctx.write([&](accounts::Session& s) { return jobs::remove_automation(s, o->id); });
      print_pipeline(ctx, p, fmt::format("Removed automation {}", o->id));
    });
  }
}

} // namespace practice::cli
