#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

struct FirmEditOptions {
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> language;
};

// The language clients read, and where it comes from.
std::string language_text(const accounts::Firm& f, const config::Config& config) {
  const std::string code = accounts::firm_language(f, config.firm_language);
  const std::string name = i18n::catalogue(code).name();
  if (f.language) {
    return fmt::format("{} ({})", code, name);
  }
  return config.firm_language ? fmt::format("{} ({}, from [firm] language in {})", code, name, config.path)
                              : fmt::format("{} ({}, the default)", code, name);
}

void print_firm_fields(Context& ctx, const accounts::Firm& f) {
  ctx.out.print_fields({{"name", f.name},
                        {"email", f.email.value_or("-")},
                        {"language", language_text(f, ctx.config())},
                        {"created", time_text(f.created_at)}});
}

void run_firm_show(Context& ctx) {
  const auto firm = ctx.read([](storage::Database& db) { return accounts::get_firm(db); });
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(firm, accounts::firm_language(firm, ctx.config().firm_language)));
    return;
  }
  print_firm_fields(ctx, firm);
}

void run_firm_edit(const FirmEditOptions& o, Context& ctx) {
  if (!o.name && !o.email && !o.language) {
    throw UsageError("give --name, --email or --language");
  }
  const auto firm =
      ctx.write([&](accounts::Session& s) { return accounts::edit_firm(s, {o.name, o.email, o.language}); });
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(firm, accounts::firm_language(firm, ctx.config().firm_language)));
    return;
  }
  ctx.out.print_line(firm.email ? fmt::format("Saved the firm: {} <{}>, writing to clients in {}", firm.name,
                                              *firm.email, language_text(firm, ctx.config()))
                                : fmt::format("Saved the firm: {}, writing to clients in {}", firm.name,
                                              language_text(firm, ctx.config())));
}

} // namespace

void register_firm_commands(CLI::App& app, Context& ctx) {
  auto* firm = app.add_subcommand(
      "firm", "The firm itself: its name, the address its mail comes from, the language its clients read");
  firm->require_subcommand(1);
  {
    auto* cmd = firm->add_subcommand("show", "Show the firm's name, email, language and when it was created");
    on_run(cmd, ctx, [&ctx] { run_firm_show(ctx); });
  }
  {
    auto o = std::make_shared<FirmEditOptions>();
    auto* cmd = firm->add_subcommand("edit", "Change the firm's name, email or language (owners and admins)");
    cmd->add_option("--name", o->name, "The firm's name (the From: name of its mail)")->type_name("NAME");
    cmd->add_option("--email", o->email, "The firm's address (the From: of its mail)")->type_name("ADDRESS");
    cmd->add_option("--language", o->language,
                    "The language of client emails and pages, unless a contact has their own; \"\" for "
                    "[firm] language in config.toml (else en)")
        ->type_name(language_choices());
    on_run(cmd, ctx, [o, &ctx] { run_firm_edit(*o, ctx); });
  }
}

} // namespace practice::cli
