// The database itself: db migrate copies a SQLite firm into PostgreSQL.
#include "app.hpp"
#include "views.hpp"

#include "practice/app/migrate.hpp"
#include "practice/app/workspace.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

struct MigrateOptions {
  std::string to;
};

std::string plural(int64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", util::group_thousands(n), n == 1 ? one : many);
}

std::string key_line(const app::MigrateReport& r) {
  switch (r.key_state) {
  case app::KeyFileState::same:
    return fmt::format("Its link key stays {} ([database] key_file)", r.key_file);
  case app::KeyFileState::copied:
    return fmt::format("Copied its link key to {} ([database] key_file)", r.key_file);
  case app::KeyFileState::no_key:
    return "The firm has no link key yet: set [database] key_file in config.toml before it runs there";
  case app::KeyFileState::none_yet:
    return fmt::format("The firm has no link key yet: the first link made creates it in {} ([database] key_file)",
                       r.key_file);
  case app::KeyFileState::not_set:
    break;
  }
  return fmt::format("Its link key stays in {}: before the firm runs there, set [database] url = \"{}\" and "
                     "key_file = \"{}\" in config.toml",
                     r.key_file, r.to, r.key_file);
}

void run_migrate(const MigrateOptions& o, Context& ctx) {
  const std::string from = ctx.db_path();
  // Before the source is opened: a wrong URL or a firm already on PostgreSQL opens nothing.
  app::check_migration(from, o.to);
  auto& db = ctx.database();
  app::MigrateInputs in;
  in.from_path = from;
  in.to_url = o.to;
  in.key_file = app::link_key_path_for(o.to, ctx.config(), ctx.base_dir());
  in.busy_timeout_ms = ctx.busy_timeout_ms();
  const auto r = app::migrate_firm(db, in);
  if (ctx.out.json()) {
    ctx.out.print_json({{"to", r.to},
                        {"tables", r.copy.tables},
                        {"rows", r.copy.rows},
                        {"files", r.copy.files},
                        {"file_bytes", r.copy.file_bytes},
                        {"audit_rows", r.audit_rows},
                        {"key_file", r.key_file}});
    return;
  }
  ctx.out.print_line(fmt::format("Copied the firm to {}: {}, {}, {} ({}), audit chain of {} verified", r.to,
                                 plural(r.copy.tables, "table", "tables"), plural(r.copy.rows, "row", "rows"),
                                 plural(r.copy.files, "file", "files"), size_text(r.copy.file_bytes),
                                 plural(r.audit_rows, "row", "rows")));
  ctx.out.print_line(key_line(r));
}

} // namespace

void register_db_commands(CLI::App& app, Context& ctx) {
  auto* db = app.add_subcommand("db", "The database itself: copy this firm into another one");
  db->require_subcommand(1);
  auto o = std::make_shared<MigrateOptions>();
  auto* migrate = db->add_subcommand("migrate", "Copy this SQLite firm into an empty PostgreSQL database");
  migrate->add_option("--to", o->to, "The empty database's URL")->required()->type_name("URL");
  on_run(migrate, ctx, [o, &ctx] { run_migrate(*o, ctx); });
}

} // namespace practice::cli
