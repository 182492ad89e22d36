#include "app.hpp"
#include "errors.hpp"
#include "views.hpp"

#include "practice/app/outbox.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/mail/mailer.hpp"
#include "practice/mail/setup_check.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

struct OutboxOptions {
  std::optional<std::string> status;
  int limit = 100;
  int64_t id = 0;
  std::optional<int64_t> retry_id;
  bool raw = false;
  bool all_failed = false;
  std::vector<std::string> to;
  std::optional<std::string> subject;
  std::optional<std::string> body;
  std::optional<std::string> body_file;
};

json row_json(const mail::OutboxRow& r) {
  json j = json_object(15);
  j["id"] = r.id;
  j["kind"] = r.kind;
  j["item"] = opt_json(r.item);
  j["account_id"] = opt_json(r.account_id);
  j["email"] = r.rcpt;
  j["subject"] = r.subject;
  j["message_id"] = r.message_id;
  j["status"] = to_string(r.state);
  j["attempts"] = r.attempts;
  j["uncertain"] = r.uncertain;
  j["next_attempt_at"] = r.state == mail::OutboxState::queued ? time_json(r.next_attempt_at) : json(nullptr);
  j["last_code"] = opt_json(r.last_code);
  j["last_reply"] = opt_json(r.last_reply);
  j["created_at"] = time_json(r.created_at);
  j["sent_at"] = time_json(r.sent_at);
  return j;
}

json report_json(const mail::DeliveryReport& r) {
  json j = json::object();
  j["claimed"] = r.claimed;
  j["sent"] = r.sent;
  j["deferred"] = r.deferred;
  j["failed"] = r.failed;
  j["cancelled"] = r.cancelled;
  j["uncertain"] = r.uncertain;
  return j;
}

// The state, flagged where a duplicate may have gone out (a lost final
// reply, or a run killed past the final dot).
std::string state_text(const mail::OutboxRow& r) {
  return std::string(to_string(r.state)) + (r.uncertain > 0 ? " (uncertain)" : "");
}

void run_outbox_list(const OutboxOptions& o, Context& ctx) {
  std::optional<mail::OutboxState> state;
  if (o.status) {
    state = parse_choice<mail::OutboxState>("--status", *o.status, mail::parse_outbox_state,
                                            "queued, sending, sent, failed, cancelled");
  }
  if (o.limit < 1) {
    throw InvalidInput("--limit must be at least 1");
  }
  const auto rows =
      ctx.read([&](storage::Database& db) { return mail::list_outbox(db, state, o.limit); });
  if (ctx.out.machine()) {
    ctx.out.print_json_array(rows, row_json);
    return;
  }
  if (rows.empty()) {
    ctx.out.note(state ? fmt::format("no {} messages", *o.status) : std::string("the outbox is empty"));
    return;
  }
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("STATUS");
  t.add_column("TO");
  t.add_column("SUBJECT");
  t.add_column("TRIES", Align::right);
  t.add_column("WHEN");
  t.add_column("LAST REPLY");
  for (const auto& r : rows) {
    const std::string when = r.state == mail::OutboxState::sent     ? time_text(r.sent_at)
                             : r.state == mail::OutboxState::queued ? "next " + time_text(r.next_attempt_at)
                                                                    : time_text(r.created_at);
    t.add_row({std::to_string(r.id), state_text(r), r.rcpt, r.subject, std::to_string(r.attempts), when,
               mail::last_reply_text(r)});
  }
  ctx.out.print_table(t);
}

void run_outbox_show(const OutboxOptions& o, Context& ctx) {
  const auto row = ctx.read([&](storage::Database& db) { return mail::find_outbox_message(db, o.id); });
  if (!row) {
    throw NotFound(fmt::format("no outbox message with id {}", o.id), "list them with 'practice outbox'");
  }
  if (o.raw) {
    std::fwrite(row->message.data(), 1, row->message.size(), stdout);
    return;
  }
  if (ctx.out.json()) {
    json j = row_json(*row);
    j["message"] = row->message;
    ctx.out.print_json(j);
    return;
  }
  ctx.out.print_fields({{"id", std::to_string(row->id)},
                        {"status", state_text(*row)},
                        {"kind", row->kind + (row->item ? " (" + *row->item + ")" : "")},
                        {"to", row->rcpt},
                        {"message id", row->message_id},
                        {"attempts", fmt::format("{} ({} uncertain)", row->attempts, row->uncertain)},
                        {"created", time_text(row->created_at)},
                        {"next attempt", row->state == mail::OutboxState::queued
                                             ? time_text(row->next_attempt_at)
                                             : std::string("-")},
                        {"sent", time_text(row->sent_at)},
                        {"last reply", mail::last_reply_text(*row)}});
  std::string text = row->message;
  std::string plain;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      plain += text[i];
    }
  }
  fmt::print("\n{}", plain);
}

void print_delivery(Context& ctx, const mail::DeliveryReport& r) {
  if (ctx.out.json()) {
    ctx.out.print_json(report_json(r));
  } else if (r.claimed + r.cancelled > 0) {
    ctx.out.print_line(fmt::format("{} sent, {} deferred, {} failed, {} cancelled", r.sent,
                                   r.deferred, r.failed, r.cancelled));
  }
  if (r.stopped) {
    const std::string why = fmt::format("the mail server could not be used: {}", r.stop_reason);
    if (r.stop_outcome == mail::Outcome::stop_config) {
      throw MailUnavailable(why, "check [smtp] in config.toml; nothing was counted against the messages");
    }
    ctx.out.error("busy", why, "the messages stay queued for the next run");
    ctx.exit_code = 75;
  } else if (r.deferred > 0) {
    ctx.out.note(fmt::format("{} deferred for a later retry", r.deferred));
    ctx.exit_code = 75;
  }
}

void run_flush(const OutboxOptions& o, Context& ctx) {
  if (o.limit < 0) {
    throw InvalidInput("--limit must not be negative");
  }
  const auto report = ctx.deliver(std::nullopt, o.limit);
  if (!report) {
    // Routine when runs overlap (cron): the other run sends them.
    ctx.out.detail("another delivery run is in progress; it sends what is due");
    if (ctx.out.json()) {
      ctx.out.print_json(report_json({}));
    }
    return;
  }
  print_delivery(ctx, *report);
}

void run_retry(const OutboxOptions& o, Context& ctx) {
  if (o.all_failed == o.retry_id.has_value()) {
    throw UsageError("give either an outbox id or --all-failed");
  }
  const auto ids = ctx.write([&](accounts::Session& s) { return app::retry_mail(s, o.retry_id); });
  const auto summary = ctx.deliver_after_commit(ids);
  if (ctx.out.json()) {
    ctx.out.print_json(summary);
  } else {
    ctx.out.print_line(fmt::format("Queued {} failed message{} again; {} sent", ids.size(),
                                   ids.size() == 1 ? "" : "s", summary["sent"].get<int>()));
  }
}

// The test messages' summary on stdout, then whether the set-up works: a
// set-up check that sent nothing fails (69, or 75 for a temporary failure),
// with the reason on stderr; what was not sent stays queued.
void finish_test(Context& ctx, const std::vector<int64_t>& ids, const std::optional<mail::DeliveryReport>& report) {
  const auto rows = ctx.read([&](storage::Database& db) {
    std::vector<mail::OutboxRow> out;
    for (const auto id : ids) {
      if (auto row = mail::find_outbox_message(db, id)) {
        out.push_back(std::move(*row));
      }
    }
    return out;
  });
  json summary = {{"queued", ids.size()}, {"sent", 0}, {"deferred", 0}, {"failed", 0}, {"cancelled", 0}};
  for (const auto& r : rows) {
    const char* key = r.state == mail::OutboxState::sent       ? "sent"
                      : r.state == mail::OutboxState::failed    ? "failed"
                      : r.state == mail::OutboxState::cancelled ? "cancelled"
                                                                : "deferred";
    summary[key] = summary[key].get<int>() + 1;
  }
  if (ctx.out.json()) {
    json j = summary;
    j["ids"] = ids;
    ctx.out.print_json(j);
  } else {
    ctx.out.print_line(fmt::format("Queued {} test message{}; {} sent", ids.size(), ids.size() == 1 ? "" : "s",
                                   summary["sent"].get<int>()));
  }
  const std::string none = ids.size() == 1 ? "the test message was not sent"
                                           : fmt::format("none of the {} test messages was sent", ids.size());
  const std::string stays = ids.size() == 1 ? "it stays queued" : "they stay queued";
  if (!report) {
    ctx.exit_code = report_error(
        Busy(fmt::format("{}: another delivery run is in progress", none),
             fmt::format("{}; that run or 'practice outbox flush' sends {}", stays, ids.size() == 1 ? "it" : "them")),
        ctx.out);
    return;
  }
  const auto check = mail::judge_test_delivery(*report, rows);
  switch (check.verdict) {
  case mail::SetupVerdict::works:
    if (summary["deferred"].get<int>() > 0 || summary["failed"].get<int>() > 0) {
      ctx.out.warn(fmt::format("{} deferred for retry, {} failed; see 'practice outbox'",
                               summary["deferred"].get<int>(), summary["failed"].get<int>()));
    }
    return;
  case mail::SetupVerdict::unavailable:
    ctx.exit_code = report_error(
        MailUnavailable(fmt::format("{}: {}", none, check.reason),
                        summary["deferred"].get<int>() > 0
                            ? fmt::format("check [smtp] in config.toml; {} until 'practice outbox flush' can send {}",
                                          stays, ids.size() == 1 ? "it" : "them")
                            : std::string("check [smtp] in config.toml and the server's reply; "
                                          "'practice outbox --status failed' lists what it refused")),
        ctx.out);
    return;
  case mail::SetupVerdict::temporary:
    ctx.exit_code = report_error(
        Busy(fmt::format("{} yet: {}", none, check.reason),
             fmt::format("the server asked to try later; {} for 'practice outbox flush'", stays)),
        ctx.out);
    return;
  }
}

void run_test(const OutboxOptions& o, Context& ctx) {
  if (o.to.empty()) {
    throw UsageError("give at least one --to ADDRESS");
  }
  if (o.body && o.body_file) {
    throw UsageError("give --body or --body-file, not both");
  }
  std::vector<std::string> to;
  for (const auto& a : o.to) {
    to.push_back(util::require_email("--to", a));
  }
  const std::string subject = util::require_line("--subject", o.subject.value_or("practice test message"), 300);
  const std::string body = o.body_file ? read_text_file(*o.body_file) : o.body.value_or("");
  // With no transport the check could only fail: say so before queuing anything.
  if (!ctx.config().mail_transport) {
    throw ConfigError("no mail transport is configured, so no test message can go out",
                      "set [mail] transport = \"smtp\" (with [smtp] url) or \"file\" in config.toml");
  }
  const auto ids = ctx.write([&](accounts::Session& s) {
    const auto settings = mail::mail_settings(s.db, ctx.config());
    std::vector<int64_t> queued;
    for (const auto& address : to) {
      mail::Outgoing out;
      out.template_name = "test";
      out.data = {{"subject", subject}, {"body", body}, {"to", address}};
      out.to = {"", address};
      out.language = "en"; // a staff member's check
      out.kind = "test";
      const auto id = mail::queue_mail(s.db, settings, s.now, out);
      audit::AuditLog(s.db).record(s.now, s.actor, std::nullopt, fmt::format("outbox:{}", *id),
                                   "queued", {{"to", address}, {"kind", "test"}});
      queued.push_back(*id);
    }
    return queued;
  });
  // Errors building the transport (a failing password_command) end the
  // command with their own code; the messages stay queued.
  finish_test(ctx, ids, ctx.deliver(ids));
}

} // namespace

void register_outbox_commands(CLI::App& app, Context& ctx) {
  auto list_opts = std::make_shared<OutboxOptions>();
  auto* outbox = app.add_subcommand("outbox", "Mail waiting to go out, sent, or failed");
  outbox->require_subcommand(0, 1);
  const auto add_list_options = [&ctx](CLI::App* cmd, OutboxOptions& o) {
    cmd->add_option("--status", o.status, "queued, sending, sent, failed or cancelled")
        ->type_name("STATE");
    cmd->add_option("--limit", o.limit, "At most this many, newest first (default 100)")->transform(decimal());
    add_csv_flag(cmd, ctx);
  };
  add_list_options(outbox, *list_opts);
  outbox->callback([&ctx, list_opts, outbox] {
    if (outbox->get_subcommands().empty()) {
      ctx.action = [list_opts, &ctx] { run_outbox_list(*list_opts, ctx); };
    }
  });
  {
    auto o = std::make_shared<OutboxOptions>();
    auto* cmd = outbox->add_subcommand("list", "List messages (the same as 'practice outbox')");
    add_list_options(cmd, *o);
    on_run(cmd, ctx, [o, &ctx] { run_outbox_list(*o, ctx); });
  }
  {
    auto o = std::make_shared<OutboxOptions>();
    auto* cmd = outbox->add_subcommand("show", "Show one message with its headers and body");
    cmd->add_option("id", o->id, "Outbox id")->required()->transform(decimal());
    cmd->add_flag("--raw", o->raw, "Print the message exactly as sent (CRLF line endings)");
    on_run(cmd, ctx, [o, &ctx] { run_outbox_show(*o, ctx); });
  }
  {
    auto o = std::make_shared<OutboxOptions>();
    auto* cmd = outbox->add_subcommand("retry", "Queue failed messages again");
    cmd->add_option("id", o->retry_id, "Outbox id")->transform(decimal());
    cmd->add_flag("--all-failed", o->all_failed, "Every failed message");
    on_run(cmd, ctx, [o, &ctx] { run_retry(*o, ctx); });
  }
  {
    auto o = std::make_shared<OutboxOptions>();
    o->limit = 0;
    auto* cmd = outbox->add_subcommand("flush", "Deliver every message that is due now");
    cmd->add_option("--limit", o->limit, "At most this many messages")->transform(decimal());
    on_run(cmd, ctx, [o, &ctx] { run_flush(*o, ctx); });
  }
  {
    auto o = std::make_shared<OutboxOptions>();
    auto* cmd = outbox->add_subcommand("test", "Send a test message (checks the mail set-up)");
    cmd->add_option("--to", o->to, "Recipient (repeatable)")->type_name("ADDRESS");
    cmd->add_option("--subject", o->subject, "Subject");
    cmd->add_option("--body", o->body, "Text to include");
    cmd->add_option("--body-file", o->body_file, "Include this file's text")->type_name("FILE");
    on_run(cmd, ctx, [o, &ctx] { run_test(*o, ctx); });
  }
}

} // namespace practice::cli
