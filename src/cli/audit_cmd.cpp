#include "app.hpp"
#include "pager.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/audit/people.hpp"
#include "practice/error.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>

namespace practice::cli {

namespace {

struct AuditOptions {
  std::optional<std::string> account;
  std::optional<std::string> item;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> actor;
  std::optional<int64_t> limit;
  bool no_pager = false;
  bool verify = false;
};

void run_verify(Context& ctx) {
  const auto r = ctx.read([](storage::Database& db) { return audit::AuditLog(db).verify(); });
  if (ctx.out.json()) {
    ctx.out.print_json({{"ok", r.ok},
                        {"rows", r.rows},
                        {"head_hash", r.ok ? nlohmann::ordered_json(r.head_hash) : nlohmann::ordered_json(nullptr)},
                        {"bad_row", opt_json(r.bad_row)},
                        {"problem", r.ok ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.problem)}});
  }
  if (!r.ok) {
    throw InvalidInput(fmt::format("the audit trail fails verification: {}", r.problem),
                       "restore the database from a backup and compare");
  }
  ctx.out.print_line(fmt::format("Audit trail verified: {} rows, head {}", r.rows, r.head_hash));
}

void run_audit(const AuditOptions& o, Context& ctx) {
  if (o.verify && ctx.out.csv()) {
    throw UsageError("'practice audit --verify' prints no list, so it takes no --csv");
  }
  if (o.verify) {
    run_verify(ctx);
    return;
  }
  audit::AuditFilter f;
  if (o.item) {
    const auto colon = o.item->find(':');
    const bool well_formed =
        colon != std::string::npos && colon > 0 &&
        o.item->find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == colon &&
        colon + 1 < o.item->size() &&
        o.item->find_first_not_of("0123456789", colon + 1) == std::string::npos;
    if (!well_formed) {
      throw InvalidInput(fmt::format("--item \"{}\" is not of the form KIND:ID", *o.item),
                         "for example --item account:3 or --item request:12");
    }
    // An unknown kind would only ever list nothing.
    const std::string kind = o.item->substr(0, colon);
    const std::vector<std::string> kinds(audit::k_item_kinds.begin(), audit::k_item_kinds.end());
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      std::string message = fmt::format("--item \"{}\": the audit trail has no items of kind \"{}\"", *o.item, kind);
      if (const auto near = util::closest_match(kind, kinds)) {
        message += fmt::format("; did you mean \"{}\"?", *near);
      }
      throw InvalidInput(message, fmt::format("the kinds are {}", fmt::join(kinds, ", ")));
    }
    f.item = o.item;
  }
  const auto when = [&](const std::optional<std::string>& text, std::string_view flag) {
    std::optional<util::TimePoint> t;
    if (text) {
      t = util::parse_when(*text, ctx.now(), util::Relative::past);
      if (!t) {
        throw InvalidInput(fmt::format("{} \"{}\" is not a time", flag, *text),
                           "use 2026-03-01, 2026-03-01T09:00:00Z, today, yesterday, or 7d, 12h, 30m, 2w ago");
      }
    }
    return t;
  };
  f.since = when(o.since, "--since");
  f.until = when(o.until, "--until");
  if (o.limit && *o.limit < 1) {
    throw InvalidInput(fmt::format("--limit {} is not a number of entries", *o.limit), "give 1 or more");
  }
  f.limit = o.limit;
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("AT");
  t.add_column("ACTOR");
  t.add_column("ITEM");
  t.add_column("ACTION");
  t.add_column("DETAILS");
  bool any = false;
  // Printed as read: a large firm's trail is never held whole.
  ctx.read([&](storage::Database& db) {
    if (o.account) {
      f.account_id = accounts::resolve_account(db, *o.account);
    }
    if (o.actor) {
      // A staff member by id, email or name; anyone else (a client's address,
      // "system") by the name the entries record.
      try {
        f.actor_staff_id = accounts::get_staff(db, *o.actor).id;
      } catch (const NotFound&) {
        f.actor = std::string(util::trim(*o.actor));
      }
    }
    if (ctx.out.machine()) {
      Output::JsonArrayWriter out(ctx.out);
      audit::People people(db);
      const bool csv = ctx.out.csv();
      audit::AuditLog(db).each(f, [&](const audit::AuditEntry& e) {
        auto j = to_json(e, people.person(e.actor));
        if (csv) {
          // Each action has its own details: one column of their JSON, not a
          // column for every key any action ever recorded.
          j["details"] = j["details"].dump();
        }
        out.add(j);
      });
      out.finish();
      return;
    }
    audit::AuditLog(db).each(f, [&](const audit::AuditEntry& e) {
      any = true;
      t.add_row({std::to_string(e.id), e.at, e.actor.name, e.item, e.action, e.details == "{}" ? "" : e.details});
    });
  });
  if (ctx.out.machine()) {
    return;
  }
  if (!any) {
    ctx.out.note("no audit entries");
    return;
  }
  const Pager pager(!o.no_pager);
  ctx.out.print_table(t);
}

} // namespace

void register_audit_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<AuditOptions>();
  auto* cmd = app.add_subcommand("audit", "The audit trail: every change, who made it and when");
  cmd->add_option("--account", o->account, "Only this account's entries")->type_name("ACCOUNT");
  cmd->add_option("--item", o->item, "Only this item, e.g. account:3 or request:12")
      ->type_name("KIND:ID");
  cmd->add_option("--since", o->since, "Only entries at or after this time (also 7d, yesterday)")->type_name("TIME");
  cmd->add_option("--until", o->until, "Only entries at or before this time")->type_name("TIME");
  cmd->add_option("--actor", o->actor, "Only this actor's entries: a staff member, or a client's address")
      ->type_name("WHO");
  cmd->add_option("--limit", o->limit, "Only the most recent N entries")->type_name("N")->transform(decimal());
  cmd->add_flag("--no-pager", o->no_pager, "Print straight to the terminal, not through $PAGER");
  cmd->add_flag("--verify", o->verify, "Check the hash chain; exit 65 naming the first bad row");
  add_csv_flag(cmd, ctx);
  on_run(cmd, ctx, [o, &ctx] { run_audit(*o, ctx); });
}

} // namespace practice::cli
