#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/error.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/reminders/reminders.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <unistd.h>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

// Reminders queued per write transaction by remind --run.
constexpr int k_queue_batch = 50;

struct RemindOptions {
  bool run = false;
  bool dry_run = false;
  bool list = false;
  int limit = 0;
  std::optional<std::string> account;
};

json planned_json(const reminders::Planned& p) {
  json j = json_object(11);
  j["kind"] = p.item.kind;
  j["id"] = p.item.id;
  j["account_id"] = p.item.account_id;
  j["account"] = p.item.account_name;
  j["title"] = p.item.title;
  j["number"] = p.number;
  j["of"] = p.item.settings.count;
  j["due_at"] = time_json(p.nominal);
  j["send_at"] = time_json(p.send_at);
  j["due"] = p.due;
  j["reason"] = p.reason;
  return j;
}

void run_remind_list(const RemindOptions& o, Context& ctx) {
  const auto cal = reminders::calendar_from(ctx.config(), ctx.base_dir());
  const auto now = ctx.now();
  TextTable t;
  t.add_column("SEND AT");
  t.add_column("ITEM");
  t.add_column("ACCOUNT");
  t.add_column("TITLE");
  t.add_column("REMINDER");
  bool any = false;
  // Printed as planned: the reminders of 100,000 items are never held whole.
  ctx.read([&](storage::Database& db) {
    std::optional<int64_t> account;
    if (o.account) {
      account = accounts::resolve_account(db, *o.account);
    }
    if (ctx.out.machine()) {
      Output::JsonArrayWriter out(ctx.out);
      reminders::each_scheduled(db, account, cal, now, [&](const reminders::Planned& p) { out.add(planned_json(p)); });
      out.finish();
      return;
    }
    reminders::each_scheduled(db, account, cal, now, [&](const reminders::Planned& p) {
      any = true;
      t.add_row({util::format_iso(p.send_at) + (p.due ? " (due)" : ""), fmt::format("{} {}", p.item.kind, p.item.id),
                 p.item.account_name, p.item.title, fmt::format("{} of {}", p.number, p.item.settings.count)});
    });
  });
  if (ctx.out.machine()) {
    return;
  }
  if (!any) {
    ctx.out.note("no reminders scheduled");
    return;
  }
  ctx.out.print_table(t);
}

void run_remind(const RemindOptions& o, Context& ctx) {
  if (o.limit < 0) {
    throw InvalidInput("--limit must not be negative");
  }
  const auto cal = reminders::calendar_from(ctx.config(), ctx.base_dir());
  const auto env = ctx.request_env();
  if (o.dry_run) {
    bool any = false;
    // Printed as planned: every item awaiting a client is read, none held.
    ctx.read([&](storage::Database& db) {
      const auto s = ctx.session(db); // the actor is checked as for a real run
      if (ctx.out.machine()) {
        Output::JsonArrayWriter out(ctx.out);
        reminders::each_due(db, cal, s.now, o.limit, [&](const reminders::Planned& p) { out.add(planned_json(p)); });
        out.finish();
        return;
      }
      reminders::each_due(db, cal, s.now, o.limit, [&](const reminders::Planned& p) {
        any = true;
        fmt::print("{} {} \"{}\" ({}): {}\n", p.item.kind, p.item.id, p.item.title, p.item.account_name, p.reason);
      });
    });
    if (!any && !ctx.out.machine()) {
      ctx.out.note("nothing is due");
    }
    return;
  }
  // Without a transport the reminders would only pile up: refuse before queuing.
  if (!ctx.config().mail_transport) {
    throw ConfigError("no mail transport is configured, so no reminder can go out",
                      "set [mail] transport = \"smtp\" (with [smtp] url) or \"file\" in config.toml");
  }
  // Planned once, then queued in batches, each its own short transaction:
  // 10,000 reminders due at once (after an outage) would otherwise hold the
  // write lock for most of a second while clients save answers in the
  // portal. Each reminder is independent and deduplicated, so a kill between
  // batches loses nothing.
  auto due = ctx.read([&](storage::Database& db) { return reminders::due_reminders(db, cal, ctx.now(), o.limit); });
  reminders::RunResult queued;
  for (size_t at = 0; at < due.size(); at += k_queue_batch) {
    if (at > 0) {
      // SQLite's write lock has no queue: without a gap the next batch would
      // take it again before a waiting portal write wakes up.
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::vector<reminders::Planned> slice(due.begin() + static_cast<std::ptrdiff_t>(at),
                                          due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), at + k_queue_batch)));
    auto batch = ctx.write([&](accounts::Session& s) {
      s.actor = audit::Actor::system();
      return reminders::queue_planned(s, env, std::move(slice));
    });
    queued.due.insert(queued.due.end(), batch.due.begin(), batch.due.end());
    queued.outbox_ids.insert(queued.outbox_ids.end(), batch.outbox_ids.begin(), batch.outbox_ids.end());
  }
  // Deliver everything due (these reminders and any earlier leftovers).
  const auto report = ctx.deliver(std::nullopt, 0);
  json summary = {{"due", queued.due.size()},
                  {"queued", queued.outbox_ids.size()},
                  {"sent", report ? report->sent : 0},
                  {"deferred", report ? report->deferred : static_cast<int>(queued.outbox_ids.size())},
                  {"failed", report ? report->failed : 0},
                  {"cancelled", report ? report->cancelled : 0}};
  if (ctx.out.json()) {
    ctx.out.print_json(summary);
  } else if (::isatty(STDOUT_FILENO) == 1 || ctx.out.verbose()) {
    ctx.out.print_line(fmt::format("{} reminders due: {} emails sent, {} deferred, {} failed",
                                   queued.due.size(), summary["sent"].get<int>(), summary["deferred"].get<int>(),
                                   summary["failed"].get<int>()));
  }
  if (!report) {
    // Routine when cron runs overlap: a note on stderr would mail the firm
    // every time, so only someone watching (a terminal, or -v) hears of it.
    ctx.out.detail("another delivery run is in progress; it or the next run sends these");
    return;
  }
  if (report->stopped) {
    const std::string why = fmt::format("the mail server could not be used: {}", report->stop_reason);
    if (report->stop_outcome == mail::Outcome::stop_config) {
      throw MailUnavailable(why, "check [smtp] in config.toml; the reminders stay queued");
    }
    ctx.out.error("busy", why, "the reminders stay queued for the next run");
    ctx.exit_code = 75;
  } else if (report->deferred > 0) {
    ctx.out.warn(fmt::format("{} messages deferred for retry", report->deferred));
    ctx.exit_code = 75;
  }
  if (report->failed > 0) {
    ctx.out.warn(fmt::format("{} messages failed; see 'practice outbox --status failed'", report->failed));
  }
}

} // namespace

void register_remind_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<RemindOptions>();
  auto* cmd = app.add_subcommand("remind", "Automatic reminders (the cron entry: practice remind --run)");
  cmd->add_flag("--run", o->run, "Send what is due, then deliver");
  cmd->add_flag("--dry-run", o->dry_run, "With --run: list what would be sent, change nothing");
  cmd->add_option("--limit", o->limit, "With --run: at most this many reminders")->transform(decimal());
  cmd->add_flag("--list", o->list, "What is scheduled, and when");
  cmd->add_option("--account", o->account, "With --list: only this account's")->type_name("ACCOUNT");
  add_csv_flag(cmd, ctx);
  on_run(cmd, ctx, [o, &ctx] {
    if (o->run == o->list) {
      throw UsageError("give --run or --list");
    }
    if (o->run && !o->dry_run && ctx.out.csv()) {
      throw UsageError("'practice remind --run' prints no list, so it takes no --csv",
                       "--csv goes with --list, or with --run --dry-run");
    }
    if (o->list) {
      run_remind_list(*o, ctx);
    } else {
      run_remind(*o, ctx);
    }
  });
}

void register_todo_command(CLI::App& app, Context& ctx) {
  auto account = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("todo", "A client's to-do list: pending items, most recently notified first");
  cmd->add_option("account", *account, "Account")->required();
  add_csv_flag(cmd, ctx);
  on_run(cmd, ctx, [account, &ctx] {
    const auto list = ctx.read([&](storage::Database& db) {
      return reminders::todo(db, accounts::resolve_account(db, *account));
    });
    if (ctx.out.machine()) {
      ctx.out.print_json_array(list, [](const reminders::TodoEntry& e) {
        return json{{"kind", e.kind}, {"id", e.id}, {"title", e.title}, {"status", e.status},
                    {"last_notified_at", time_json(e.last_notified)}};
      });
      return;
    }
    if (list.empty()) {
      ctx.out.note("nothing pending");
      return;
    }
    TextTable t;
    t.add_column("ITEM");
    t.add_column("TITLE");
    t.add_column("STATUS");
    t.add_column("LAST NOTIFIED");
    for (const auto& e : list) {
      t.add_row({fmt::format("{} {}", e.kind, e.id), e.title, e.status, time_text(e.last_notified)});
    }
    ctx.out.print_table(t);
  });
}

} // namespace practice::cli
