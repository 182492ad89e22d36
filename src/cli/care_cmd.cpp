// Looking after an installation: doctor, backup, restore.
#include "app.hpp"
#include "text_table.hpp"
#include "views.hpp"

#include "practice/app/doctor.hpp"
#include "practice/app/workspace.hpp"
#include "practice/config/config.hpp"
#include "practice/error.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/mail/message.hpp"
#include "practice/storage/backup.hpp"
#include "practice/util/time.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

std::string files_text(int n) { return fmt::format("{} stored {}", n, n == 1 ? "file" : "files"); }

storage::FirmPaths firm_paths(Context& ctx) {
  return {ctx.db_path(), ctx.link_key_path(), app::files_root_for(ctx.db_path())};
}

// The `--mail` check: the firm's domain (for EHLO) from the database when it opens.
app::DoctorCheck mail_check(Context& ctx) {
  std::string helo = "localhost";
  try {
    helo = ctx.read([&](storage::Database& db) {
      return mail::domain_of(mail::mail_settings(db, ctx.config()).from.email);
    });
  } catch (const Error&) {
    // A database that does not open is the database check's to report.
  }
  return app::check_mail(ctx.config(), ctx.base_dir(), helo);
}

void run_doctor(Context& ctx, bool with_mail) {
  app::DoctorInputs in{ctx.db_path(), ctx.link_key_path(), app::files_root_for(ctx.db_path()), ctx.config_path(),
                       std::nullopt};
  try {
    ctx.config();
  } catch (const Error& e) {
    in.config_error = e.what();
  }
  auto checks = app::run_doctor(in);
  if (with_mail && !in.config_error) {
    checks.push_back(mail_check(ctx));
  }
  const app::DoctorCheck* first_failed = nullptr;
  int failed = 0;
  for (const auto& c : checks) {
    if (!c.ok) {
      ++failed;
      first_failed = first_failed ? first_failed : &c;
    }
  }
  if (ctx.out.json()) {
    json list = json::array();
    for (const auto& c : checks) {
      list.push_back({{"check", c.name}, {"ok", c.ok}, {"detail", c.detail},
                      {"hint", c.hint.empty() ? json(nullptr) : json(c.hint)}});
    }
    ctx.out.print_json({{"ok", failed == 0}, {"checks", list}});
  } else {
    for (const auto& c : checks) {
      ctx.out.print_line(fmt::format("{:<4}  {:<8}  {}", c.ok ? "ok" : "FAIL", c.name, c.detail));
      if (!c.ok && !c.hint.empty()) {
        ctx.out.print_line(fmt::format("{:<4}  {:<8}  hint: {}", "", "", c.hint));
      }
    }
  }
  if (first_failed != nullptr) {
    std::string names;
    for (const auto& c : checks) {
      if (!c.ok) {
        names += (names.empty() ? "" : ", ") + c.name;
      }
    }
    throw Error(first_failed->kind,
                fmt::format("{} {} failed: {}", failed, failed == 1 ? "check" : "checks", names));
  }
}

// backup and restore copy a SQLite file; a shared server has its own tools.
void sqlite_only(Context& ctx, std::string_view verb) {
  if (storage::is_postgres_url(ctx.db_path())) {
    throw UsageError(fmt::format("'practice {}' copies a SQLite firm; this firm is on PostgreSQL", verb),
                     "back it up with pg_dump (or restore with pg_restore), and keep a copy of the key file "
                     "[database] key_file names");
  }
}

void run_backup(const std::string& archive, Context& ctx) {
  sqlite_only(ctx, "backup");
  auto& db = ctx.database();
  const auto r = storage::backup_firm(db, firm_paths(ctx), archive, ctx.now());
  if (ctx.out.json()) {
    ctx.out.print_json({{"path", archive},
                        {"schema_version", r.schema_version},
                        {"database_bytes", r.database_bytes},
                        {"files", r.files},
                        {"file_bytes", r.file_bytes},
                        {"archive_bytes", r.archive_bytes}});
    return;
  }
  ctx.out.print_line(fmt::format("Backed up the firm to {} ({}): the database ({}, schema {}), the link key and {} ({})",
                                 archive, size_text(r.archive_bytes), size_text(r.database_bytes), r.schema_version,
                                 files_text(r.files), size_text(r.file_bytes)));
}

void run_restore(const std::string& archive, bool force, Context& ctx) {
  sqlite_only(ctx, "restore");
  const auto paths = firm_paths(ctx);
  const auto r = storage::restore_firm(archive, paths, force);
  if (ctx.out.json()) {
    ctx.out.print_json({{"path", paths.db},
                        {"backup_created_at", util::format_iso(r.created_at)},
                        {"schema_version", r.schema_version},
                        {"database_bytes", r.database_bytes},
                        {"files", r.files}});
    return;
  }
  ctx.out.print_line(fmt::format("Restored the firm from {} (taken {}) into {}: the database (schema {}), the link "
                                 "key and {}; 'practice doctor' checks it",
                                 archive, util::format_iso(r.created_at), paths.db, r.schema_version,
                                 files_text(r.files)));
}

config::MissingFile missing_config(const Context& ctx) {
  return ctx.global.config && !ctx.global.config->empty() ? config::MissingFile::error
                                                         : config::MissingFile::defaults;
}

// Where a global option's value came from: the flag or its variable can't be
// told apart once parsed, so both are named.
std::string given_or(const std::optional<std::string>& value, std::string_view given, std::string_view otherwise) {
  return value && !value->empty() ? std::string(given) : std::string(otherwise);
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_null()) {
    return "-";
  }
  if (v.is_string()) {
    return v.get<std::string>();
  }
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) {
      out += (out.empty() ? "" : ", ") + value_text(e);
    }
    return out.empty() ? "(none)" : out;
  }
  return v.dump();
}

void run_config_show(Context& ctx) {
  const std::string path = ctx.config_path();
  const auto settings = config::describe_config(path, missing_config(ctx));
  struct Row {
    std::string key;
    nlohmann::json value;
    std::string source;
  };
  std::vector<Row> rows;
  rows.push_back({"config", path, given_or(ctx.global.config, "--config or PRACTICE_CONFIG", "default")});
  rows.push_back({"database", ctx.db_path(), given_or(ctx.global.db, "--db or PRACTICE_DB", "default")});
  if (ctx.global.as && !ctx.global.as->empty()) {
    rows.push_back({"acting staff", *ctx.global.as, "--as or PRACTICE_USER"});
  }
  for (const auto& s : settings) {
    rows.push_back({s.key, s.value, s.source});
  }
  if (ctx.out.json()) {
    json list = json::array();
    for (const auto& r : rows) {
      list.push_back({{"key", r.key}, {"value", r.value}, {"source", r.source}});
    }
    ctx.out.print_json(list);
    return;
  }
  TextTable t;
  t.add_column("KEY");
  t.add_column("VALUE");
  t.add_column("SOURCE");
  for (const auto& r : rows) {
    t.add_row({r.key, value_text(r.value), r.source});
  }
  ctx.out.print_table(t);
}

void run_config_check(Context& ctx, bool with_mail) {
  const std::string path = ctx.config_path();
  const auto problems = config::check_config(path, missing_config(ctx));
  std::optional<app::DoctorCheck> mail;
  if (with_mail && problems.empty()) {
    mail = mail_check(ctx);
  }
  if (ctx.out.json()) {
    json j = {{"path", path}, {"ok", problems.empty() && (!mail || mail->ok)}, {"problems", problems}};
    if (mail) {
      j["mail"] = {{"ok", mail->ok}, {"detail", mail->detail}};
    }
    ctx.out.print_json(j);
  } else {
    for (const auto& p : problems) {
      ctx.out.print_line(p);
    }
  }
  if (!problems.empty()) {
    throw ConfigError(fmt::format("{} has {} {}", path, problems.size(), problems.size() == 1 ? "problem" : "problems"),
                      "'man 5 practice.toml' lists every key");
  }
  if (mail && !mail->ok) {
    throw Error(mail->kind, fmt::format("mail cannot go out: {}", mail->detail), mail->hint);
  }
  if (!ctx.out.json()) {
    ctx.out.print_line(fmt::format("{}: every key is known and valid", path));
    if (mail) {
      ctx.out.print_line(fmt::format("mail: {}", mail->detail));
    }
  }
}

} // namespace

void register_care_commands(CLI::App& app, Context& ctx) {
  {
    auto* config_cmd = app.add_subcommand("config", "The configuration in effect, and whether it is valid");
    config_cmd->require_subcommand(1);
    auto* show = config_cmd->add_subcommand("show", "Every key with the value in effect and where it came from");
    on_run(show, ctx, [&ctx] { run_config_show(ctx); });
    auto* check = config_cmd->add_subcommand("check", "Name every bad or unknown key (exit 78)");
    auto check_mail = std::make_shared<bool>(false);
    check->add_flag("--mail", *check_mail, "Also open an SMTP session (EHLO, STARTTLS, AUTH; no message)");
    on_run(check, ctx, [&ctx, check_mail] { run_config_check(ctx, *check_mail); });
  }
  {
    auto* cmd = app.add_subcommand("doctor", "Check the database, audit chain, stored files, link key and config");
    auto with_mail = std::make_shared<bool>(false);
    cmd->add_flag("--mail", *with_mail, "Also open an SMTP session (EHLO, STARTTLS, AUTH; no message)");
    on_run(cmd, ctx, [&ctx, with_mail] { run_doctor(ctx, *with_mail); });
  }
  {
    auto archive = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("backup", "Write the firm (database, link key, files) to one tar file");
    cmd->add_option("file", *archive, "The new archive")->required()->type_name("FILE.tar");
    on_run(cmd, ctx, [archive, &ctx] { run_backup(*archive, ctx); });
  }
  {
    auto archive = std::make_shared<std::string>();
    auto force = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("restore", "Put a backup in place of the configured database");
    cmd->add_option("file", *archive, "A backup made by 'practice backup'")->required()->type_name("FILE.tar");
    cmd->add_flag("--force", *force, "Replace the database that is there (stop the portal and cron first)");
    on_run(cmd, ctx, [archive, force, &ctx] { run_restore(*archive, *force, ctx); });
  }
}

} // namespace practice::cli
