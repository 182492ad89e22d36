#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/error.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

struct FirmEditOptions {
  std::optional<std::string> name;
  std::optional<std::string> email;
};

void print_firm_fields(Context& ctx, const accounts::Firm& f) {
  ctx.out.print_fields({{"name", f.name}, {"email", f.email.value_or("-")}, {"created", time_text(f.created_at)}});
}

void run_show(Context& ctx) {
  const auto firm = ctx.read([](storage::Database& db) { return accounts::get_firm(db); });
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(firm));
    return;
  }
  print_firm_fields(ctx, firm);
}

void run_edit(const FirmEditOptions& o, Context& ctx) {
  if (!o.name && !o.email) {
    throw UsageError("give --name or --email (or both)");
  }
  const auto firm = ctx.write([&](accounts::Session& s) { return accounts::edit_firm(s, {o.name, o.email}); });
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(firm));
    return;
  }
  ctx.out.print_line(firm.email ? fmt::format("Saved the firm: {} <{}>", firm.name, *firm.email)
                                : fmt::format("Saved the firm: {}", firm.name));
}

} // namespace

void register_firm_commands(CLI::App& app, Context& ctx) {
  auto* firm = app.add_subcommand("firm", "The firm itself: its name and the address its mail comes from");
  firm->require_subcommand(1);
  {
    auto* cmd = firm->add_subcommand("show", "Show the firm's name, email and when it was created");
    on_run(cmd, ctx, [&ctx] { run_show(ctx); });
  }
  {
    auto o = std::make_shared<FirmEditOptions>();
    auto* cmd = firm->add_subcommand("edit", "Change the firm's name or email (owners and admins)");
    cmd->add_option("--name", o->name, "The firm's name (the From: name of its mail)")->type_name("NAME");
    cmd->add_option("--email", o->email, "The firm's address (the From: of its mail)")->type_name("ADDRESS");
    on_run(cmd, ctx, [o, &ctx] { run_edit(*o, ctx); });
  }
}

} // namespace practice::cli
