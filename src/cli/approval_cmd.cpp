#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/app/actions.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/error.hpp"
#include "practice/jobs/jobs.hpp"

#include <fmt/format.h>

#include <memory>

namespace practice::cli {

using json = nlohmann::ordered_json;
json document_json(const approvals::Document& d);

namespace {

struct ApprovalOptions {
  int64_t id = 0;
  std::optional<int64_t> opt_id;
  std::optional<std::string> message;
  std::vector<int64_t> jobs;
  std::optional<int> remind_every;
  std::optional<int> reminders;
  bool no_reminders = false;
  std::optional<std::string> account;
  std::optional<std::string> status;
  std::optional<int64_t> job;
  std::optional<std::string> by;
  std::vector<std::string> reasons;
  std::optional<std::string> comment;
  bool all_pending = false;
};

json approval_json(const approvals::Approval& a) {
  json j = json_object(20);
  j["id"] = a.id;
  j["document_id"] = a.document.id;
  j["document"] = a.document.name;
  j["account_id"] = a.document.account_id;
  j["account"] = a.document.account_name;
  j["description"] = opt_json(a.document.description);
  put_person(j, "uploaded_by", a.document.uploaded_by);
  j["status"] = to_string(a.status);
  j["message"] = opt_json(a.message);
  put_person(j, "requested_by", a.requested_by);
  j["requested_at"] = time_json(a.requested_at);
  put_person(j, "decided_by", a.decided_by);
  j["decided_at"] = time_json(a.decided_at);
  j["disapproved_at"] = a.status == approvals::Status::disapproved ? time_json(a.decided_at) : json(nullptr);
  j["reasons"] = a.reasons;
  j["comment"] = opt_json(a.comment);
  j["reminders"] = {{"on", a.reminders.on}, {"every_days", a.reminders.every_days},
                    {"count", a.reminders.count}, {"sent", a.reminders_sent}};
  j["last_notified_at"] = time_json(a.last_notified_at);
  j["cancelled_at"] = time_json(a.cancelled_at);
  return j;
}

void print_one(Context& ctx, const approvals::Approval& a, const std::string& line, const std::optional<json>& mail = {}) {
  if (ctx.out.json()) {
    json j = approval_json(a);
    if (mail) {
      j["mail"] = *mail;
    }
    ctx.out.print_json(j);
  } else {
    ctx.out.print_line(line);
  }
}

void run_approval_list(const ApprovalOptions& o, Context& ctx) {
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("DOCUMENT");
  t.add_column("ACCOUNT");
  t.add_column("REQUESTED");
  t.add_column("UPLOADED BY");
  t.add_column("DESCRIPTION");
  t.add_column("STATUS");
  t.add_column("DISAPPROVED");
  bool any = false;
  // Printed as read: 100,000 approvals are never held whole.
  ctx.read([&](storage::Database& db) {
    approvals::ApprovalFilter f;
    if (o.account) {
      f.account_id = accounts::resolve_account(db, *o.account);
    }
    if (o.status) {
      f.status = parse_choice<approvals::Status>("--status", *o.status, approvals::parse_status,
                                                 "pending, approved, disapproved, cancelled");
    }
    if (o.job) {
      f.job_id = jobs::require_job(db, *o.job);
    }
    if (ctx.out.machine()) {
      Output::JsonArrayWriter out(ctx.out);
      approvals::each_approval(db, f, [&](const approvals::Approval& a) { out.add(approval_json(a)); });
      out.finish();
      return;
    }
    approvals::each_approval(db, f, [&](const approvals::Approval& a) {
      any = true;
      t.add_row({std::to_string(a.id), a.document.name, a.document.account_name, time_text(a.requested_at),
                 person_text(a.document.uploaded_by), a.document.description.value_or("-"), std::string(to_string(a.status)),
                 a.status == approvals::Status::disapproved ? time_text(a.decided_at) : std::string("-")});
    });
  });
  if (ctx.out.machine()) {
    return;
  }
  if (!any) {
    ctx.out.note("no approvals");
    return;
  }
  ctx.out.print_table(t);
}

void run_approval_show(const ApprovalOptions& o, Context& ctx) {
  const auto a = ctx.read([&](storage::Database& db) { return approvals::get_approval(db, o.id); });
  if (ctx.out.json()) {
    json j = approval_json(a);
    j["document_detail"] = document_json(a.document);
    ctx.out.print_json(j);
    return;
  }
  std::string reasons;
  for (const auto& r : a.reasons) {
    reasons += (reasons.empty() ? "" : "; ") + r;
  }
  ctx.out.print_fields({{"id", std::to_string(a.id)},
                        {"document", fmt::format("{} ({})", a.document.name, a.document.id)},
                        {"account", a.document.account_name},
                        {"description", a.document.description.value_or("-")},
                        {"uploaded by", person_text(a.document.uploaded_by)},
                        {"status", std::string(to_string(a.status))},
                        {"requested", fmt::format("{} by {}", time_text(a.requested_at), person_text(a.requested_by))},
                        {"message", a.message.value_or("-")},
                        {"decided", a.decided_at ? fmt::format("{} by {}", time_text(a.decided_at), person_text(a.decided_by))
                                                 : std::string("-")},
                        {"reasons", reasons.empty() ? "-" : reasons},
                        {"comment", a.comment.value_or("-")},
                        {"reminders", a.reminders.on ? fmt::format("every {} days, {} of {} sent", a.reminders.every_days,
                                                                   a.reminders_sent, a.reminders.count)
                                                     : std::string("off")}});
}

void add_reminders(CLI::App* c, ApprovalOptions& o) {
  c->add_option("--remind-every", o.remind_every, "Days until the next reminder")
      ->type_name("DAYS")
      ->transform(decimal());
  c->add_option("--reminders", o.reminders, "Number of automatic reminders")->type_name("N")->transform(decimal());
  c->add_flag("--no-reminders", o.no_reminders, "No automatic reminders");
}

} // namespace

void register_approval_commands(CLI::App& app, Context& ctx) {
  auto* ap = app.add_subcommand("approval", "Ask clients to approve documents");
  ap->require_subcommand(1);
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("request", "Ask the client to approve a document");
    c->add_option("document", o->id, "Document id")->required()->transform(decimal());
    c->add_option("--message", o->message, "Message to the client");
    c->add_option("--job", o->jobs, "Link it to this job (repeatable)")->type_name("J")->transform(decimal());
    add_reminders(c, *o);
    on_run(c, ctx, [o, &ctx] {
      if (o->no_reminders && o->reminders) {
        throw UsageError("give --reminders N or --no-reminders, not both");
      }
      const auto env = ctx.request_env();
      const auto out = ctx.write([&](accounts::Session& s) {
        auto r = approvals::request_approval(s, env, o->id, o->message, {o->remind_every, o->reminders, o->no_reminders});
        for (const auto job : o->jobs) {
          jobs::link_item(s, job, "approval", r.approvals.front().id);
        }
        return r;
      });
      const auto mail = ctx.deliver_after_commit(out.outbox_ids);
      const auto& a = out.approvals.front();
      print_one(ctx, a, fmt::format("Approval {} of \"{}\" requested from {}", a.id, a.document.name,
                                    a.document.account_name), mail);
    });
  }
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("list", "List approvals");
    c->add_option("--account", o->account, "Only this account's")->type_name("ACCOUNT");
    c->add_option("--status", o->status, "pending, approved, disapproved or cancelled")->type_name("STATUS");
    c->add_option("--job", o->job, "Only approvals linked to this job")->type_name("J")->transform(decimal());
    add_csv_flag(c, ctx);
    on_run(c, ctx, [o, &ctx] { run_approval_list(*o, ctx); });
  }
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("show", "Show an approval with its reasons and comment");
    c->add_option("approval", o->id, "Approval id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] { run_approval_show(*o, ctx); });
  }
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("approve", "Record the client's approval");
    c->add_option("approval", o->id, "Approval id")->required()->transform(decimal());
    c->add_option("--by", o->by, "The contact it was entered for")->type_name("CONTACT");
    on_run(c, ctx, [o, &ctx] {
      const auto env = ctx.request_env();
      const auto out = ctx.write([&](accounts::Session& s) { return app::approve(s, env, o->id, o->by); });
      const auto mail = ctx.deliver_after_commit(out.outbox_ids);
      print_one(ctx, out.approvals.front(), fmt::format("Approval {} approved", o->id), mail);
    });
  }
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("disapprove", "Record the client's disapproval, with reasons");
    c->add_option("approval", o->id, "Approval id")->required()->transform(decimal());
    c->add_option("--reason", o->reasons, "A reason (repeatable; at least one)");
    c->add_option("--comment", o->comment, "A comment");
    c->add_option("--by", o->by, "The contact it was entered for")->type_name("CONTACT");
    on_run(c, ctx, [o, &ctx] {
      const auto env = ctx.request_env();
      const auto out = ctx.write([&](accounts::Session& s) {
        return app::disapprove(s, env, o->id, o->reasons, o->comment, o->by);
      });
      const auto mail = ctx.deliver_after_commit(out.outbox_ids);
      print_one(ctx, out.approvals.front(), fmt::format("Approval {} disapproved", o->id), mail);
    });
  }
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("cancel", "Cancel a pending approval");
    c->add_option("approval", o->id, "Approval id")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] {
      const auto a = ctx.write([&](accounts::Session& s) { return approvals::cancel(s, o->id); });
      print_one(ctx, a, fmt::format("Approval {} cancelled", a.id));
    });
  }
  {
    auto o = std::make_shared<ApprovalOptions>();
    auto* c = ap->add_subcommand("resend", "Send the approval request again (one, or all pending)");
    c->add_option("approval", o->opt_id, "Approval id")->transform(decimal());
    c->add_flag("--all-pending", o->all_pending, "Every pending approval");
    c->add_option("--account", o->account, "With --all-pending: only this account's")->type_name("ACCOUNT");
    c->add_option("--message", o->message, "Message to the client");
    on_run(c, ctx, [o, &ctx] {
      if (o->all_pending == o->opt_id.has_value()) {
        throw UsageError("give an approval id or --all-pending");
      }
      if (o->account && !o->all_pending) {
        throw UsageError("--account goes with --all-pending");
      }
      const auto env = ctx.request_env();
      const auto out = ctx.write([&](accounts::Session& s) {
        return approvals::resend(s, env, o->opt_id, o->account, o->message);
      });
      const auto mail = ctx.deliver_after_commit(out.outbox_ids);
      if (ctx.out.json()) {
        json j = json::object();
        j["approvals"] = json::array();
        for (const auto& a : out.approvals) {
          j["approvals"].push_back(approval_json(a));
        }
        j["mail"] = mail;
        ctx.out.print_json(j);
      } else {
        ctx.out.print_line(fmt::format("Resent {} approval request{} ({} email{})", out.approvals.size(),
                                       out.approvals.size() == 1 ? "" : "s", out.outbox_ids.size(),
                                       out.outbox_ids.size() == 1 ? "" : "s"));
      }
    });
  }
}

} // namespace practice::cli
