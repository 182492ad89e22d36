#include "app.hpp"
#include "views.hpp"

#include "practice/jobs/jobs.hpp"
#include "practice/requests/definition.hpp"
#include "practice/requests/requests.hpp"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace practice::cli {

namespace {

struct TemplateOptions {
  std::string file;
  std::string name;
};

nlohmann::ordered_json template_json(int64_t id, const requests::Definition& d) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["id"] = id;
  const auto full = requests::definition_to_json(d);
  for (const auto& [k, v] : full.items()) {
    j[k] = v;
  }
  return j;
}

void run_template_add(const TemplateOptions& o, Context& ctx) {
  const auto def = requests::parse_definition(read_text_file(o.file), o.file);
  const auto id = ctx.write([&](accounts::Session& s) { return requests::add_template(s, def); });
  if (ctx.out.json()) {
    ctx.out.print_json(template_json(id, def));
  } else {
    ctx.out.print_line(fmt::format("Added request template {}: {} ({} questions)", id, def.name,
                                   def.questions.size()));
  }
}

void run_template_list(Context& ctx) {
  const auto list = ctx.read([](storage::Database& db) { return requests::list_templates(db); });
  if (ctx.out.machine()) {
    ctx.out.print_json_array(list, [](const auto& p) { return template_json(p.first, p.second); });
    return;
  }
  if (list.empty()) {
    ctx.out.note("no request templates; add one with 'practice template add --file FILE.toml'");
    return;
  }
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("NAME");
  t.add_column("TITLE");
  t.add_column("QUESTIONS", Align::right);
  t.add_column("LOGIN");
  for (const auto& [id, d] : list) {
    t.add_row({std::to_string(id), d.name, d.title, std::to_string(d.questions.size()), on_off(d.login)});
  }
  ctx.out.print_table(t);
}

void run_template_show(const TemplateOptions& o, Context& ctx) {
  const auto [id, d] = ctx.read([&](storage::Database& db) { return requests::get_template(db, o.name); });
  if (ctx.out.json()) {
    ctx.out.print_json(template_json(id, d));
    return;
  }
  fmt::print("{}", requests::export_definition(d));
}

void run_template_export(const TemplateOptions& o, Context& ctx) {
  const auto d = ctx.read([&](storage::Database& db) { return requests::get_template(db, o.name).second; });
  if (ctx.out.json()) {
    // The same content as the TOML, as the object 'template show --json' holds.
    ctx.out.print_json(requests::definition_to_json(d));
    return;
  }
  fmt::print("{}", requests::export_definition(d));
}

void run_template_remove(const TemplateOptions& o, Context& ctx) {
  const auto d = ctx.write([&](accounts::Session& s) { return jobs::remove_template(s, o.name); });
  ctx.out.print_line(fmt::format("Removed request template {}", d.name));
}

} // namespace

void register_template_commands(CLI::App& app, Context& ctx) {
  auto* tpl = app.add_subcommand("template", "Request templates (saved questionnaires)");
  tpl->require_subcommand(1);
  {
    auto o = std::make_shared<TemplateOptions>();
    auto* cmd = tpl->add_subcommand("add", "Add a template from a TOML file");
    cmd->add_option("--file", o->file, "The template file")->required()->type_name("FILE.toml");
    on_run(cmd, ctx, [o, &ctx] { run_template_add(*o, ctx); });
  }
  {
    auto* cmd = tpl->add_subcommand("list", "List templates");
    add_csv_flag(cmd, ctx);
    on_run(cmd, ctx, [&ctx] { run_template_list(ctx); });
  }
  for (const char* verb : {"show", "export", "remove"}) {
    auto o = std::make_shared<TemplateOptions>();
    const std::string v = verb;
    auto* cmd = tpl->add_subcommand(verb, v == "show"     ? "Show a template"
                                          : v == "export" ? "Print a template as TOML that 'template add' takes back"
                                                          : "Remove a template");
    cmd->add_option("template", o->name, "Name or id")->required();
    on_run(cmd, ctx, [o, &ctx, v] {
      if (v == "show") {
        run_template_show(*o, ctx);
      } else if (v == "export") {
        run_template_export(*o, ctx);
      } else {
        run_template_remove(*o, ctx);
      }
    });
  }
}

} // namespace practice::cli
