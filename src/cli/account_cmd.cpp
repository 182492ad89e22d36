#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/accounts/import.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/error.hpp"
#include "practice/util/time.hpp"

#include <unordered_set>

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

namespace {

constexpr std::string_view k_types = "individual, company";

struct AccountOptions {
  std::string ref;
  std::string name;
  std::optional<std::string> new_name;
  std::optional<std::string> type;
  std::string staff;
  bool archived = false;
  bool pending_approvals = false;
  bool pause = false;
  bool resume = false;
  std::optional<std::string> until;
  std::optional<std::string> assigned;
  bool allow_duplicate = false;
  std::string file;
  bool dry_run = false;
};

accounts::AccountType parse_type(const std::string& v) {
  return parse_choice<accounts::AccountType>("account type", v, accounts::parse_account_type,
                                             k_types);
}

std::string assigned_text(const accounts::Account& a) {
  std::string out;
  for (const auto& r : a.assigned) {
    out += fmt::format("{}{}", out.empty() ? "" : ", ", r.email);
  }
  return out.empty() ? "-" : out;
}

void print_account(Context& ctx, const accounts::Account& a, const std::string& line) {
  if (ctx.out.json()) {
    ctx.out.print_json(to_json(a));
  } else {
    ctx.out.print_line(line);
  }
}

void run_account_add(const AccountOptions& o, Context& ctx) {
  const auto type = o.type ? parse_type(*o.type) : accounts::AccountType::individual;
  const auto a = ctx.write([&](accounts::Session& s) {
    return accounts::add_account(s, o.name, type,
                                 o.allow_duplicate ? accounts::Duplicate::allow : accounts::Duplicate::refuse);
  });
  print_account(ctx, a, fmt::format("Added account {}: {} ({})", a.id, a.name, to_string(a.type)));
}

std::string count_of(int n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

void run_import(const AccountOptions& o, Context& ctx) {
  const std::string origin = o.file == "-" ? std::string("standard input") : o.file;
  const auto table = [&] {
    try {
      return util::parse_csv(read_text_file(o.file));
    } catch (const InvalidInput& e) {
      throw InvalidInput(fmt::format("{}: {}", origin, e.what()), e.hint());
    }
  }();
  // A dry run is the same import in the same transaction, rolled back: it
  // refuses exactly what the real one would.
  struct RolledBack {
    accounts::ImportSummary summary;
  };
  accounts::ImportSummary summary;
  try {
    summary = ctx.write([&](accounts::Session& s) {
      auto done = [&] {
        try {
          return accounts::import_accounts(s, table);
        } catch (const Error& e) {
          throw Error(e.kind(), fmt::format("{}, {}", origin, e.what()), e.hint());
        }
      }();
      if (o.dry_run) {
        throw RolledBack{done};
      }
      return done;
    });
  } catch (const RolledBack& r) {
    summary = r.summary;
  }
  if (ctx.out.json()) {
    ctx.out.print_json({{"accounts_created", summary.accounts_created},
                        {"accounts_existing", summary.accounts_existing},
                        {"contacts_created", summary.contacts_created},
                        {"contacts_existing", summary.contacts_existing},
                        {"assignments_created", summary.assignments_created},
                        {"dry_run", o.dry_run}});
    return;
  }
  const bool changed = summary.accounts_created + summary.contacts_created + summary.assignments_created > 0;
  ctx.out.print_line(fmt::format(
      "{} {} and {} ({} and {} already there{}){}", o.dry_run ? "Would add" : "Added",
      count_of(summary.accounts_created, "account", "accounts"),
      count_of(summary.contacts_created, "contact", "contacts"),
      count_of(summary.accounts_existing, "account", "accounts"),
      count_of(summary.contacts_existing, "contact", "contacts"),
      summary.assignments_created > 0
          ? fmt::format("; {} {}", o.dry_run ? "would assign" : "assigned",
                        count_of(summary.assignments_created, "staff member", "staff members"))
          : "",
      o.dry_run ? ": nothing changed (--dry-run)" : (changed ? "" : ": nothing to change")));
}

// What `account list` shows: the store's filter, and with --pending-approvals
// the accounts that have a pending approval.
struct ListFilter {
  accounts::AccountFilter accounts;
  std::optional<std::unordered_set<int64_t>> only;
  bool keeps(const accounts::Account& a) const { return !only || only->count(a.id) != 0; }
};

ListFilter list_filter(const AccountOptions& o, storage::Database& db) {
  ListFilter f;
  f.accounts.archived = o.archived ? accounts::IncludeArchived::yes : accounts::IncludeArchived::no;
  if (o.assigned) {
    f.accounts.assigned_to = accounts::get_staff(db, *o.assigned).id;
  }
  if (o.pending_approvals) {
    f.only = approvals::accounts_with_pending_approvals(db);
  }
  return f;
}

void run_account_list(const AccountOptions& o, Context& ctx) {
  if (ctx.out.machine()) {
    // Printed as read: 10,000 accounts are never held whole.
    ctx.read([&](storage::Database& db) {
      const ListFilter f = list_filter(o, db);
      Output::JsonArrayWriter out(ctx.out);
      accounts::each_account(db, f.accounts, [&](const accounts::Account& a) {
        if (!f.keeps(a)) {
          return;
        }
        if (out.pretty()) {
          out.add(to_json(a));
        } else {
          out.append([&](std::string& buf) { append_compact_json(buf, a); });
        }
      });
      out.finish();
    });
    return;
  }
  const auto list = ctx.read([&](storage::Database& db) {
    const ListFilter f = list_filter(o, db);
    auto found = accounts::list_accounts(db, f.accounts);
    std::erase_if(found, [&](const accounts::Account& a) { return !f.keeps(a); });
    return found;
  });
  if (list.empty()) {
    ctx.out.note("no accounts");
    return;
  }
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("NAME");
  t.add_column("TYPE");
  t.add_column("CONTACTS", Align::right);
  t.add_column("ASSIGNED");
  if (o.archived) {
    t.add_column("ARCHIVED");
  }
  for (const auto& a : list) {
    std::vector<std::string> row{std::to_string(a.id), a.name, std::string(to_string(a.type)),
                                 std::to_string(a.contact_count), assigned_text(a)};
    if (o.archived) {
      row.push_back(time_text(a.archived_at));
    }
    t.add_row(std::move(row));
  }
  ctx.out.print_table(t);
}

void run_account_show(const AccountOptions& o, Context& ctx) {
  const auto [a, contacts] = ctx.read([&](storage::Database& db) {
    auto acc = accounts::get_account(db, o.ref);
    return std::make_pair(acc, accounts::list_contacts(db, acc.id));
  });
  if (ctx.out.json()) {
    auto j = to_json(a);
    j["contacts"] = nlohmann::ordered_json::array();
    for (const auto& c : contacts) {
      j["contacts"].push_back(to_json(c));
    }
    ctx.out.print_json(j);
    return;
  }
  ctx.out.print_fields({{"id", std::to_string(a.id)},
                        {"name", a.name},
                        {"type", std::string(to_string(a.type))},
                        {"assigned", assigned_text(a)},
                        {"created", time_text(a.created_at)},
                        {"archived", time_text(a.archived_at)},
                        {"reminders", a.reminders_paused ? (a.reminders_paused_until ? "paused until " + time_text(a.reminders_paused_until)
                                                                                       : std::string("paused"))
                                                         : std::string("on")},
                        {"contacts", std::to_string(a.contact_count)}});
  if (!contacts.empty()) {
    TextTable t;
    t.add_column("  ID", Align::right);
    t.add_column("NAME");
    t.add_column("EMAIL");
    t.add_column("NOTIFY");
    t.add_column("PORTAL");
    for (const auto& c : contacts) {
      t.add_row({std::to_string(c.id), c.name, c.email, on_off(c.notify), on_off(c.portal)});
    }
    fmt::print("\n");
    ctx.out.print_table(t);
  }
}

void run_account_edit(const AccountOptions& o, Context& ctx) {
  accounts::AccountChanges in{o.new_name, std::nullopt, std::nullopt, std::nullopt};
  if (o.type) {
    in.type = parse_type(*o.type);
  }
  if (o.pause && o.resume) {
    throw UsageError("give --pause-reminders or --resume-reminders, not both");
  }
  if (o.until && !o.pause) {
    throw UsageError("--until goes with --pause-reminders");
  }
  if (o.pause || o.resume) {
    in.pause_reminders = o.pause;
  }
  if (o.until) {
    const auto d = util::parse_when(*o.until, ctx.now(), util::Relative::future);
    if (!d) {
      throw InvalidInput(fmt::format("--until \"{}\" is not a date such as 2026-04-01 (or 2w, tomorrow)", *o.until));
    }
    if (*d <= ctx.now()) {
      throw InvalidInput(fmt::format("--until {} is in the past: reminders would resume at once",
                                     util::format_iso(*d)),
                         "give a later date, or use --resume-reminders");
    }
    in.paused_until = d;
  }
  const auto a =
      ctx.write([&](accounts::Session& s) { return accounts::edit_account(s, o.ref, in); });
  print_account(ctx, a, fmt::format("Saved account {}: {} ({})", a.id, a.name, to_string(a.type)));
}

void run_archive(const AccountOptions& o, Context& ctx, accounts::Archive what) {
  const auto a =
      ctx.write([&](accounts::Session& s) { return accounts::archive_account(s, o.ref, what); });
  print_account(ctx, a,
                fmt::format("{} account {}: {}",
                            what == accounts::Archive::archive ? "Archived" : "Restored", a.id,
                            a.name));
}

void run_assign(const AccountOptions& o, Context& ctx, accounts::Assign what) {
  // The confirmation names the person and the account, not the ids typed.
  accounts::Staff staff;
  const auto a = ctx.write([&](accounts::Session& s) {
    staff = accounts::get_staff(s.db, o.staff);
    return accounts::assign_staff(s, o.ref, o.staff, what);
  });
  print_account(ctx, a,
                fmt::format("{} {} <{}> {} account {}: {}",
                            what == accounts::Assign::assign ? "Assigned" : "Unassigned", staff.name, staff.email,
                            what == accounts::Assign::assign ? "to" : "from", a.id, a.name));
}

} // namespace

void register_account_commands(CLI::App& app, Context& ctx) {
  auto* account = app.add_subcommand("account", "Clients (people and companies)");
  account->require_subcommand(1);
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("add", "Add an account");
    cmd->add_option("name", o->name, "The client's name")->required();
    cmd->add_option("--type", o->type, "individual (default) or company")->type_name("TYPE");
    cmd->add_flag("--allow-duplicate", o->allow_duplicate,
                  "Add it even though an active account has that name already");
    on_run(cmd, ctx, [o, &ctx] { run_account_add(*o, ctx); });
  }
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("import", "Add accounts and contacts from a CSV file (idempotent)");
    cmd->add_option("file", o->file, "The CSV file, or - for standard input")->required()->type_name("FILE.csv");
    cmd->add_flag("--dry-run", o->dry_run, "Check the file and count what it would add; change nothing");
    on_run(cmd, ctx, [o, &ctx] { run_import(*o, ctx); });
  }
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("list", "List accounts");
    cmd->add_flag("--archived", o->archived, "Include archived accounts");
    cmd->add_flag("--pending-approvals", o->pending_approvals, "Only accounts with approvals pending");
    cmd->add_option("--assigned", o->assigned, "Only accounts assigned to this staff member")
        ->type_name("STAFF");
    add_csv_flag(cmd, ctx);
    on_run(cmd, ctx, [o, &ctx] { run_account_list(*o, ctx); });
  }
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("show", "Show an account with its contacts");
    cmd->add_option("account", o->ref, "Id or name")->required();
    on_run(cmd, ctx, [o, &ctx] { run_account_show(*o, ctx); });
  }
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("edit", "Change an account");
    cmd->add_option("account", o->ref, "Id or name")->required();
    cmd->add_option("--name", o->new_name, "New name");
    cmd->add_option("--type", o->type, "individual or company")->type_name("TYPE");
    cmd->add_flag("--pause-reminders", o->pause, "No automatic reminders to this client (until --until)");
    cmd->add_option("--until", o->until, "With --pause-reminders: resume on this date")->type_name("DATE");
    cmd->add_flag("--resume-reminders", o->resume, "Automatic reminders again");
    on_run(cmd, ctx, [o, &ctx] { run_account_edit(*o, ctx); });
  }
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("archive", "Archive an account (hidden from lists)");
    cmd->add_option("account", o->ref, "Id or name")->required();
    on_run(cmd, ctx, [o, &ctx] { run_archive(*o, ctx, accounts::Archive::archive); });
  }
  {
    auto o = std::make_shared<AccountOptions>();
    auto* cmd = account->add_subcommand("unarchive", "Restore an archived account");
    cmd->add_option("account", o->ref, "Id or name")->required();
    on_run(cmd, ctx, [o, &ctx] { run_archive(*o, ctx, accounts::Archive::restore); });
  }
  for (const auto what : {accounts::Assign::assign, accounts::Assign::unassign}) {
    auto o = std::make_shared<AccountOptions>();
    const bool assign = what == accounts::Assign::assign;
    auto* cmd = account->add_subcommand(assign ? "assign" : "unassign",
                                        assign ? "Assign a staff member to an account"
                                               : "Take a staff member off an account");
    cmd->add_option("account", o->ref, "Id or name")->required();
    cmd->add_option("staff", o->staff, "Id, email or name")->required();
    on_run(cmd, ctx, [o, &ctx, what] { run_assign(*o, ctx, what); });
  }
}

} // namespace practice::cli
