#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

struct ContactOptions {
  std::string ref;
  std::optional<std::string> account;
  std::string name;
  std::string email;
  bool no_notify = false;
  bool portal = false;
  std::optional<std::string> new_name;
  std::optional<std::string> new_email;
  std::optional<std::string> notify_switch;
  std::optional<std::string> portal_switch;
  std::optional<std::string> language;
};

void print_contact(Context& ctx, const accounts::Contact& c, std::string_view verb) {
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(c));
  } else {
    ctx.out.print_line(fmt::format("{} contact {}: {} <{}> of {}", verb, c.id, c.name, c.email,
                                   c.account_name));
  }
}

void run_contact_add(const ContactOptions& o, Context& ctx) {
  const accounts::NewContact in{o.account.value_or(""), o.name, o.email, !o.no_notify, o.portal, o.language};
  const auto c = ctx.write([&](accounts::Session& s) { return accounts::add_contact(s, in); });
  print_contact(ctx, c, "Added");
}

void run_contact_list(const ContactOptions& o, Context& ctx) {
  const auto list = ctx.read([&](storage::Database& db) {
    std::optional<int64_t> account_id;
    if (o.account) {
      account_id = accounts::resolve_account(db, *o.account);
    }
    return accounts::list_contacts(db, account_id);
  });
  if (ctx.out.machine()) {
    ctx.out.print_json_array(list, [](const auto& x) { return to_json(x); });
    return;
  }
  if (list.empty()) {
    ctx.out.note("no contacts");
    return;
  }
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("ACCOUNT");
  t.add_column("NAME");
  t.add_column("EMAIL");
  t.add_column("NOTIFY");
  t.add_column("PORTAL");
  for (const auto& c : list) {
    t.add_row({std::to_string(c.id), c.account_name, c.name, c.email, on_off(c.notify),
               on_off(c.portal)});
  }
  ctx.out.print_table(t);
}

void run_contact_show(const ContactOptions& o, Context& ctx) {
  const auto c = ctx.read(
      [&](storage::Database& db) { return accounts::get_contact(db, o.ref, o.account); });
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(c));
    return;
  }
  ctx.out.print_fields({{"id", std::to_string(c.id)},
                        {"account", fmt::format("{} ({})", c.account_name, c.account_id)},
                        {"name", c.name},
                        {"email", c.email},
                        {"notify", on_off(c.notify)},
                        {"portal", on_off(c.portal)},
                        {"language", c.language.value_or("the firm's")},
                        {"created", time_text(c.created_at)}});
}

void run_contact_edit(const ContactOptions& o, Context& ctx) {
  accounts::ContactChanges in{o.new_name, o.new_email, std::nullopt, std::nullopt, o.language};
  if (o.notify_switch) {
    in.notify = parse_on_off("--notify", *o.notify_switch);
  }
  if (o.portal_switch) {
    in.portal = parse_on_off("--portal", *o.portal_switch);
  }
  const auto c = ctx.write(
      [&](accounts::Session& s) { return accounts::edit_contact(s, o.ref, o.account, in); });
  print_contact(ctx, c, "Saved");
}

void run_contact_remove(const ContactOptions& o, Context& ctx) {
  const auto c = ctx.write(
      [&](accounts::Session& s) { return accounts::remove_contact(s, o.ref, o.account); });
  print_contact(ctx, c, "Removed");
}

void add_ref(CLI::App* cmd, ContactOptions& o) {
  cmd->add_option("contact", o.ref, "Id, email or name")->required();
  cmd->add_option("--account", o.account, "The account the contact belongs to")
      ->type_name("ACCOUNT");
}

} // namespace

void register_contact_commands(CLI::App& app, Context& ctx) {
  auto* contact = app.add_subcommand("contact", "People at a client who get its emails");
  contact->require_subcommand(1);
  {
    auto o = std::make_shared<ContactOptions>();
    auto* cmd = contact->add_subcommand("add", "Add a contact to an account");
    cmd->add_option("--account", o->account, "Id or name of the account")
        ->required()
        ->type_name("ACCOUNT");
    cmd->add_option("--name", o->name, "Full name")->required();
    cmd->add_option("--email", o->email, "Email address")->required()->type_name("ADDRESS");
    cmd->add_flag("--no-notify", o->no_notify, "Send this contact no emails");
    cmd->add_flag("--portal", o->portal, "Has client-portal access");
    cmd->add_option("--language", o->language, "The language of their emails and pages (default: the firm's)")
        ->type_name(language_choices());
    on_run(cmd, ctx, [o, &ctx] { run_contact_add(*o, ctx); });
  }
  {
    auto o = std::make_shared<ContactOptions>();
    auto* cmd = contact->add_subcommand("list", "List contacts");
    cmd->add_option("--account", o->account, "Only this account's contacts")->type_name("ACCOUNT");
    add_csv_flag(cmd, ctx);
    on_run(cmd, ctx, [o, &ctx] { run_contact_list(*o, ctx); });
  }
  {
    auto o = std::make_shared<ContactOptions>();
    auto* cmd = contact->add_subcommand("show", "Show a contact");
    add_ref(cmd, *o);
    on_run(cmd, ctx, [o, &ctx] { run_contact_show(*o, ctx); });
  }
  {
    auto o = std::make_shared<ContactOptions>();
    auto* cmd = contact->add_subcommand("edit", "Change a contact");
    add_ref(cmd, *o);
    cmd->add_option("--name", o->new_name, "New name");
    cmd->add_option("--email", o->new_email, "New email address")->type_name("ADDRESS");
    cmd->add_option("--notify", o->notify_switch, "on or off")->type_name("on|off");
    cmd->add_option("--portal", o->portal_switch, "on or off")->type_name("on|off");
    cmd->add_option("--language", o->language, "The language of their emails and pages; \"\" for the firm's")
        ->type_name(language_choices());
    on_run(cmd, ctx, [o, &ctx] { run_contact_edit(*o, ctx); });
  }
  {
    auto o = std::make_shared<ContactOptions>();
    auto* cmd = contact->add_subcommand("remove", "Remove a contact (kept in records)");
    add_ref(cmd, *o);
    on_run(cmd, ctx, [o, &ctx] { run_contact_remove(*o, ctx); });
  }
}

} // namespace practice::cli
