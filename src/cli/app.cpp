#include "app.hpp"

#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace practice::cli {

namespace {

// The nouns of the tree in --help's order, each with what registers it
// (one function may register several nouns).
struct Noun {
  std::string_view name;
  void (*add)(CLI::App&, Context&);
};
constexpr std::array<Noun, 23> k_nouns = {{
    {"init", register_init_command},
    {"firm", register_firm_commands},
    {"staff", register_staff_commands},
    {"account", register_account_commands},
    {"contact", register_contact_commands},
    {"pipeline", register_pipeline_commands},
    {"job", register_job_commands},
    {"template", register_template_commands},
    {"folder", register_doc_commands},
    {"doc", register_doc_commands},
    {"approval", register_approval_commands},
    {"request", register_request_commands},
    {"remind", register_remind_command},
    {"todo", register_todo_command},
    {"outbox", register_outbox_commands},
    {"portal", register_portal_commands},
    {"config", register_care_commands},
    {"doctor", register_care_commands},
    {"backup", register_care_commands},
    {"restore", register_care_commands},
    {"db", register_db_commands},
    {"audit", register_audit_command},
    {"__complete", register_complete_command},
}};

void add_global_options(CLI::App& app, Context& ctx) {
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
}

// The noun a command line names: its first word that is not a global option
// or an option's value; empty when there is none.
std::string_view noun_of(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      return {};
    }
    if (!arg.empty() && arg.front() == '-') {
      // The global options that take a value (not written --db=PATH) have it next.
      if (arg == "--db" || arg == "--config" || arg == "--as" || arg == "--now") {
        ++i;
      }
      continue;
    }
    return arg;
  }
  return {};
}

} // namespace

void build_cli(CLI::App& app, Context& ctx) {
  add_global_options(app, ctx);
  void (*last)(CLI::App&, Context&) = nullptr;
  for (const auto& noun : k_nouns) {
    if (noun.add != last) {
      noun.add(app, ctx);
      last = noun.add;
    }
  }
}

void build_cli(CLI::App& app, Context& ctx, int argc, const char* const* argv) {
  // Building the whole tree costs about a millisecond, most of a short
  // command's own time: a line that names a noun gets only that noun's
  // branch, which parses, runs and fails exactly as in the whole tree. Any
  // other line (no noun, a misspelt one, --help alone, completion, which
  // walks the tree) gets the whole tree.
  const auto noun = noun_of(argc, argv);
  const auto it = std::find_if(k_nouns.begin(), k_nouns.end(), [&](const Noun& n) { return n.name == noun; });
  if (noun.empty() || it == k_nouns.end() || noun == "__complete") {
    build_cli(app, ctx);
    return;
  }
  add_global_options(app, ctx);
  it->add(app, ctx);
}

std::vector<std::string_view> noun_names() {
  std::vector<std::string_view> out;
  for (const auto& noun : k_nouns) {
    out.push_back(noun.name);
  }
  return out;
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
