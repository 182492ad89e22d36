#include "app.hpp"

#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace practice::cli {

void build_cli(CLI::App& app, Context& ctx) {
  app.description("Practice management for accounting and tax firms: clients, jobs, requests, "
                  "approvals and reminders in one SQLite database.");
  app.require_subcommand(1);
  // Global options are accepted before or after the subcommand.
  app.fallthrough();
  auto& g = ctx.global;
  app.add_option("--db", g.db, "Database file")->envname("PRACTICE_DB")->type_name("PATH");
  app.add_option("--config", g.config, "Config file")->envname("PRACTICE_CONFIG")->type_name("PATH");
  app.add_flag("--json", g.json, "Machine-readable output on stdout");
  app.add_option("--as", g.as, "Acting staff member (id, email or name)")
      ->envname("PRACTICE_USER")
      ->type_name("STAFF");
  app.add_option("--now", g.now, "The clock, ISO 8601 (for tests, demos and backfills)")
      ->envname("PRACTICE_NOW")
      ->type_name("TIME");
  auto* quiet = app.add_flag("-q,--quiet", g.quiet, "No human chatter on stderr");
  app.add_flag("-v,--verbose", g.verbose,
               "More on stderr: also the notes only a terminal gets (another run holds the lock)")
      ->excludes(quiet);
  app.set_version_flag("--version", std::string("practice ") + PRACTICE_VERSION);

  register_init_command(app, ctx);
  register_firm_commands(app, ctx);
  register_staff_commands(app, ctx);
  register_account_commands(app, ctx);
  register_contact_commands(app, ctx);
  register_pipeline_commands(app, ctx);
  register_job_commands(app, ctx);
  register_template_commands(app, ctx);
  register_doc_commands(app, ctx);
  register_approval_commands(app, ctx);
  register_request_commands(app, ctx);
  register_remind_command(app, ctx);
  register_todo_command(app, ctx);
  register_outbox_commands(app, ctx);
  register_portal_commands(app, ctx);
  register_care_commands(app, ctx);
  register_audit_command(app, ctx);
  register_complete_command(app, ctx);
}

void on_run(CLI::App* cmd, Context& ctx, std::function<void()> fn) {
  cmd->callback([&ctx, fn = std::move(fn)] { ctx.action = fn; });
}

void add_csv_flag(CLI::App* cmd, Context& ctx) {
  cmd->add_flag("--csv", ctx.global.csv, "The list as CSV (RFC 4180): a header row of the --json field names");
}

void check_output_flags(const CLI::App& app, const Context& ctx) {
  if (!ctx.global.csv) {
    return;
  }
  if (ctx.global.json) {
    throw UsageError("give --csv or --json, not both");
  }
  const CLI::App* at = &app;
  std::string path = app.get_name();
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    path += " " + at->get_name();
  }
  if (at->get_option_no_throw("--csv") == nullptr) {
    throw UsageError(fmt::format("'{}' prints no list, so it takes no --csv", path));
  }
}

void throw_bad_choice(std::string_view what, const std::string& value, std::string_view choices) {
  throw InvalidInput(fmt::format("{} \"{}\" is not one of: {}", what, value, choices));
}

const CLI::Validator& decimal() {
  static const CLI::Validator validator(
      [](std::string& value) -> std::string {
        const size_t start = !value.empty() && value.front() == '-' ? 1 : 0;
        if (value.size() == start || value.find_first_not_of("0123456789", start) != std::string::npos) {
          return fmt::format("\"{}\" is not a whole number (decimal digits only)", value);
        }
        // CLI11 converts with base 0: without this, 010 would be eight.
        const size_t first_digit = std::min(value.find_first_not_of('0', start), value.size() - 1);
        value.erase(start, first_digit - start);
        return {};
      },
      "", "DECIMAL");
  return validator;
}

std::string read_text_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream s;
    s << std::cin.rdbuf();
    return s.str();
  }
  if (std::filesystem::is_directory(path)) {
    throw InvalidInput(fmt::format("{} is a folder, not a file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw NotFound(fmt::format("cannot read {}", path));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string language_choices() {
  std::string out;
  for (const auto& code : i18n::languages()) {
    out += (out.empty() ? "" : "|") + code;
  }
  return out;
}

bool parse_on_off(std::string_view what, const std::string& value) {
  if (const auto b = util::parse_switch(value)) {
    return *b;
  }
  throw_bad_choice(what, value, "on, off");
}

} // namespace practice::cli
