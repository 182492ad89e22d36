#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/requests.hpp"
#include "practice/storage/migrations.hpp"

#include <fmt/format.h>

#include <memory>
#include <sys/stat.h>

namespace practice::cli {

namespace {

struct InitOptions {
  std::optional<std::string> firm;
  std::optional<std::string> email;
};

void run_init(const InitOptions& o, Context& ctx) {
  const std::string path = ctx.db_path();
  const bool postgres = storage::is_postgres_url(path);
  const std::string key_path = ctx.link_key_path();
  // Before the database is touched: a firm on PostgreSQL starts with its key.
  requests::require_link_key_path(key_path);
  struct stat st {};
  const bool file_existed = !postgres && ::stat(path.c_str(), &st) == 0;
  auto& db = ctx.database(storage::OpenMode::create);
  // A server's database exists before init; the firm is new when init laid its whole schema.
  const bool existed = postgres ? ctx.migrations_applied() < storage::schema_version(db) : file_existed;
  const auto firm_name = o.firm ? o.firm : ctx.config().firm_name;
  const auto firm_email = o.email ? o.email : ctx.config().firm_email;
  // Flags, else the config, seed a new firm; an existing one is never
  // changed here (cli.md: 'firm edit' does).
  // The secret behind client links lives beside the database, never in it;
  // its fingerprint is recorded with the firm (an existing firm's key is
  // checked against it, and never made anew).
  const auto result = ctx.write([&](accounts::Session& s) {
    auto made = accounts::init_firm(s, firm_name, firm_email);
    requests::link_key(s.db, ctx.request_env());
    return made;
  });
  // Config values that differ are no news: they only ever seed a new firm.
  for (const auto& field : result.ignored) {
    if (field == "name" && o.firm) {
      ctx.out.warn(fmt::format("--firm is ignored: the firm is already \"{}\"; change it with "
                               "'practice firm edit --name NAME'",
                               result.firm.name));
    } else if (field == "email" && o.email) {
      ctx.out.warn(fmt::format("--email is ignored: the firm's email is already {}; change it with "
                               "'practice firm edit --email ADDRESS'",
                               result.firm.email.value_or("unset")));
    }
  }
  const int version = storage::schema_version(db);
  if (ctx.out.json()) {
    ctx.out.print_json({{"path", path},
                        {"created", !existed},
                        {"schema_version", version},
                        {"migrations_applied", ctx.migrations_applied()},
                        {"firm", to_json(result.firm,
                                         accounts::firm_language(result.firm, ctx.config().firm_language))}});
    return;
  }
  if (!existed) {
    ctx.out.print_line(fmt::format("Created the database {} for {}", path, result.firm.name));
  } else if (ctx.migrations_applied() > 0) {
    ctx.out.print_line(fmt::format("The database {} was already there; upgraded it to schema {}",
                                   path, version));
  } else {
    ctx.out.print_line(fmt::format("The database {} was already there (schema {})", path, version));
  }
}

} // namespace

void register_init_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<InitOptions>();
  auto* cmd = app.add_subcommand("init", "Create the database (harmless when it exists)");
  cmd->add_option("--firm", o->firm, "The firm's name")->type_name("NAME");
  cmd->add_option("--email", o->email, "The firm's email address (From: of its mail)")
      ->type_name("ADDRESS");
  on_run(cmd, ctx, [o, &ctx] { run_init(*o, ctx); });
}

} // namespace practice::cli
