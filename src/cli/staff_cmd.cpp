#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

constexpr std::string_view k_roles = "owner, admin, member";

struct StaffAddOptions {
  std::string name;
  std::string email;
  std::optional<std::string> role;
  bool view_all = false;
};

struct StaffEditOptions {
  std::string ref;
  std::optional<std::string> name;
  std::optional<std::string> email;
  std::optional<std::string> role;
  std::optional<std::string> view_all;
};

struct StaffRefOptions {
  std::string ref;
  bool all = false;
};

std::string describe(const accounts::Staff& s) {
  return fmt::format("{} <{}> ({})", s.name, s.email, to_string(s.role));
}

accounts::Role parse_role_arg(const std::string& v) {
  return parse_choice<accounts::Role>("role", v, accounts::parse_role, k_roles);
}

void print_staff(Context& ctx, const accounts::Staff& s, std::string_view verb) {
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(s));
  } else {
    ctx.out.print_line(fmt::format("{} staff member {}: {}", verb, s.id, describe(s)));
  }
}

void run_staff_add(const StaffAddOptions& o, Context& ctx) {
  accounts::NewStaff in{o.name, o.email, std::nullopt, o.view_all};
  if (o.role) {
    in.role = parse_role_arg(*o.role);
  }
  const auto s = ctx.write([&](accounts::Session& ss) { return accounts::add_staff(ss, in); });
  print_staff(ctx, s, "Added");
}

void run_staff_edit(const StaffEditOptions& o, Context& ctx) {
  accounts::StaffChanges in{o.name, o.email, std::nullopt, std::nullopt};
  if (o.role) {
    in.role = parse_role_arg(*o.role);
  }
  if (o.view_all) {
    in.view_all_accounts = parse_on_off("--view-all-accounts", *o.view_all);
  }
  const auto s =
      ctx.write([&](accounts::Session& ss) { return accounts::edit_staff(ss, o.ref, in); });
  print_staff(ctx, s, "Saved");
}

void run_staff_remove(const StaffRefOptions& o, Context& ctx) {
  const auto s = ctx.write([&](accounts::Session& ss) { return accounts::remove_staff(ss, o.ref); });
  print_staff(ctx, s, "Removed");
}

void run_staff_list(const StaffRefOptions& o, Context& ctx) {
  const auto list = ctx.read([&](storage::Database& db) {
    return accounts::list_staff(db, o.all ? accounts::IncludeRemoved::yes : accounts::IncludeRemoved::no);
  });
  if (ctx.out.machine()) {
    ctx.out.print_json_array(list, [](const auto& x) { return to_json(x); });
    return;
  }
  if (list.empty()) {
    ctx.out.note("no staff yet; add the first with 'practice staff add NAME --email ADDRESS'");
    return;
  }
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("NAME");
  t.add_column("EMAIL");
  t.add_column("ROLE");
  t.add_column("VIEW ALL");
  if (o.all) {
    t.add_column("REMOVED");
  }
  for (const auto& s : list) {
    std::vector<std::string> row{std::to_string(s.id), s.name, s.email,
                                 std::string(to_string(s.role)), on_off(s.view_all_accounts)};
    if (o.all) {
      row.push_back(time_text(s.removed_at));
    }
    t.add_row(std::move(row));
  }
  ctx.out.print_table(t);
}

void run_staff_show(const StaffRefOptions& o, Context& ctx) {
  const auto [s, accounts_list] = ctx.read([&](storage::Database& db) {
    auto st = accounts::get_staff(db, o.ref);
    return std::make_pair(st, accounts::assigned_accounts(db, st.id));
  });
  if (ctx.out.json()) {
    auto j = to_json(s);
    j["accounts"] = nlohmann::ordered_json::array();
    for (const auto& a : accounts_list) {
      j["accounts"].push_back({{"id", a.id}, {"name", a.name}});
    }
    ctx.out.print_json(j);
    return;
  }
  std::string assigned;
  for (const auto& a : accounts_list) {
    assigned += fmt::format("{}{} ({})", assigned.empty() ? "" : ", ", a.name, a.id);
  }
  ctx.out.print_fields({{"id", std::to_string(s.id)},
                        {"name", s.name},
                        {"email", s.email},
                        {"role", std::string(to_string(s.role))},
                        {"view all accounts", on_off(s.view_all_accounts)},
                        {"accounts", assigned.empty() ? "-" : assigned},
                        {"created", time_text(s.created_at)}});
}

} // namespace

void register_staff_commands(CLI::App& app, Context& ctx) {
  auto* staff = app.add_subcommand("staff", "The firm's team members");
  staff->require_subcommand(1);
  {
    auto o = std::make_shared<StaffAddOptions>();
    auto* cmd = staff->add_subcommand("add", "Add a staff member");
    cmd->add_option("name", o->name, "Full name")->required();
    cmd->add_option("--email", o->email, "Email address")->required()->type_name("ADDRESS");
    cmd->add_option("--role", o->role, "owner, admin or member (first: owner; else member)")
        ->type_name("ROLE");
    cmd->add_flag("--view-all-accounts", o->view_all, "May work on every account");
    on_run(cmd, ctx, [o, &ctx] { run_staff_add(*o, ctx); });
  }
  {
    auto o = std::make_shared<StaffRefOptions>();
    auto* cmd = staff->add_subcommand("list", "List staff");
    cmd->add_flag("--all", o->all, "Include removed staff");
    add_csv_flag(cmd, ctx);
    on_run(cmd, ctx, [o, &ctx] { run_staff_list(*o, ctx); });
  }
  {
    auto o = std::make_shared<StaffRefOptions>();
    auto* cmd = staff->add_subcommand("show", "Show a staff member");
    cmd->add_option("staff", o->ref, "Id, email or name")->required();
    on_run(cmd, ctx, [o, &ctx] { run_staff_show(*o, ctx); });
  }
  {
    auto o = std::make_shared<StaffEditOptions>();
    auto* cmd = staff->add_subcommand("edit", "Change a staff member");
    cmd->add_option("staff", o->ref, "Id, email or name")->required();
    cmd->add_option("--name", o->name, "New name");
    cmd->add_option("--email", o->email, "New email address")->type_name("ADDRESS");
    cmd->add_option("--role", o->role, "owner, admin or member")->type_name("ROLE");
    cmd->add_option("--view-all-accounts", o->view_all, "on or off")->type_name("on|off");
    on_run(cmd, ctx, [o, &ctx] { run_staff_edit(*o, ctx); });
  }
  {
    auto o = std::make_shared<StaffRefOptions>();
    auto* cmd = staff->add_subcommand("remove", "Remove a staff member (kept in records)");
    cmd->add_option("staff", o->ref, "Id, email or name")->required();
    on_run(cmd, ctx, [o, &ctx] { run_staff_remove(*o, ctx); });
  }
}

} // namespace practice::cli
