#pragma once

#include "context.hpp"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::cli {

// Builds the whole command tree into `app`; see app.cpp.
void build_cli(CLI::App& app, Context& ctx);
// Builds what the command line `argv` needs: the global options and the
// branch of the noun it names, or the whole tree when it names none.
void build_cli(CLI::App& app, Context& ctx, int argc, const char* const* argv);
// The nouns build_cli registers, in --help's order.
std::vector<std::string_view> noun_names();

// Makes `fn` the action when `cmd` is the chosen verb (parse, then run).
void on_run(CLI::App* cmd, Context& ctx, std::function<void()> fn);

// Gives the list command `cmd` its --csv flag (cli.md: lists also take --csv).
void add_csv_flag(CLI::App* cmd, Context& ctx);

// After parsing, before running: throws UsageError for --csv with --json, or
// on a command that is not a list (one reached through fallthrough, such as
// 'outbox retry --csv').
void check_output_flags(const CLI::App& app, const Context& ctx);

[[noreturn]] void throw_bad_choice(std::string_view what, const std::string& value,
                                   std::string_view choices);

// Parses an enumerated value or throws InvalidInput listing the choices.
template <typename T, typename Parse>
T parse_choice(std::string_view what, const std::string& value, Parse parse,
               std::string_view choices) {
  if (const auto v = parse(value)) {
    return *v;
  }
  throw_bad_choice(what, value, choices);
}

// The transform every integer option goes through: decimal digits with an
// optional minus, nothing else (CLI11 alone takes " 3" and 0x10, and reads
// 010 as octal); leading zeros are dropped, so 010 is ten. Anything else is a
// usage error naming the option.
const CLI::Validator& decimal();

// The whole file at `path`; throws NotFound naming it.
// The whole file at `path` ("-": standard input); NotFound when it cannot be read.
std::string read_text_file(const std::string& path);

// "en|it|pt|ro": the type name of a --language option (completion offers the codes).
std::string language_choices();

// Parses on/off (yes/no, true/false) or throws InvalidInput.
bool parse_on_off(std::string_view what, const std::string& value);

void register_init_command(CLI::App& app, Context& ctx);
void register_firm_commands(CLI::App& app, Context& ctx);
void register_staff_commands(CLI::App& app, Context& ctx);
void register_account_commands(CLI::App& app, Context& ctx);
void register_contact_commands(CLI::App& app, Context& ctx);
void register_audit_command(CLI::App& app, Context& ctx);
void register_complete_command(CLI::App& app, Context& ctx);
void register_outbox_commands(CLI::App& app, Context& ctx);
void register_template_commands(CLI::App& app, Context& ctx);
void register_request_commands(CLI::App& app, Context& ctx);
void register_pipeline_commands(CLI::App& app, Context& ctx);
void register_job_commands(CLI::App& app, Context& ctx);
void register_doc_commands(CLI::App& app, Context& ctx);
void register_approval_commands(CLI::App& app, Context& ctx);
void register_remind_command(CLI::App& app, Context& ctx);
void register_todo_command(CLI::App& app, Context& ctx);
void register_portal_commands(CLI::App& app, Context& ctx);
void register_care_commands(CLI::App& app, Context& ctx);
void register_db_commands(CLI::App& app, Context& ctx);

} // namespace practice::cli
