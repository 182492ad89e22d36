// Looking after an installation: doctor, backup, restore.
#include "app.hpp"

#include "practice/app/doctor.hpp"
#include "practice/app/workspace.hpp"
#include "practice/error.hpp"
#include "practice/storage/backup.hpp"
#include "practice/util/time.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

std::string size_text(int64_t bytes) {
  if (bytes >= 1024 * 1024) {
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  if (bytes >= 1024) {
    return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1024.0);
  }
  return fmt::format("{} bytes", bytes);
}

std::string files_text(int n) { return fmt::format("{} stored {}", n, n == 1 ? "file" : "files"); }

storage::FirmPaths firm_paths(Context& ctx) {
  return {ctx.db_path(), ctx.link_key_path(), app::files_root_for(ctx.db_path())};
}

void run_doctor(Context& ctx) {
  app::DoctorInputs in{ctx.db_path(), ctx.link_key_path(), app::files_root_for(ctx.db_path()), ctx.config_path(),
                       std::nullopt};
  try {
    ctx.config();
  } catch (const Error& e) {
    in.config_error = e.what();
  }
  const auto checks = app::run_doctor(in);
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

void run_backup(const std::string& archive, Context& ctx) {
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

} // namespace

void register_care_commands(CLI::App& app, Context& ctx) {
  {
    auto* cmd = app.add_subcommand("doctor", "Check the database, audit chain, stored files, link key and config");
    on_run(cmd, ctx, [&ctx] { run_doctor(ctx); });
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
