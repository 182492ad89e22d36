#include "app.hpp"
#include "views.hpp"

#include "practice/accounts/directory.hpp"
#include "practice/app/actions.hpp"
#include "practice/error.hpp"
#include "practice/jobs/jobs.hpp"
#include "practice/requests/definition.hpp"
#include "practice/requests/requests.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

namespace practice::cli {

namespace {

using json = nlohmann::ordered_json;

struct RequestOptions {
  int64_t id = 0;
  std::vector<std::string> accounts;
  std::optional<std::string> account;
  std::optional<std::string> title;
  std::optional<std::string> message;
  std::optional<std::string> template_name;
  std::optional<std::string> file;
  std::vector<std::string> to;
  bool no_login = false;
  std::optional<std::string> login;
  std::optional<int> remind_every;
  std::optional<int> reminders;
  bool no_reminders = false;
  bool reminders_on = false;
  bool draft = false;
  std::optional<std::string> status;
  bool links = false;
  int position = 0;
  std::optional<std::string> type;
  std::optional<std::string> prompt;
  std::vector<std::string> options;
  bool optional_q = false;
  std::optional<std::string> required;
  std::vector<std::string> values;
  std::vector<std::string> files;
  std::optional<std::string> by;
  std::optional<std::string> reason;
  std::optional<std::string> relink_to;
  std::optional<std::string> dir;
  std::vector<int64_t> jobs;
  std::optional<int64_t> job;
  std::optional<std::string> language;
};

json request_json(const requests::Request& r) {
  json j = json_object(20);
  j["id"] = r.id;
  j["account_id"] = r.account_id;
  j["account"] = r.account_name;
  j["title"] = r.title;
  j["message"] = opt_json(r.message);
  j["template"] = opt_json(r.template_name);
  j["login"] = r.login;
  j["status"] = to_string(r.status);
  j["answered"] = r.answered;
  j["question_count"] = r.question_count;
  j["reminders"] = {{"on", r.reminders.on}, {"every_days", r.reminders.every_days},
                    {"count", r.reminders.count}, {"sent", r.reminders_sent}};
  put_person(j, "created_by", r.created_by);
  j["created_at"] = time_json(r.created_at);
  j["sent_at"] = time_json(r.sent_at);
  j["last_notified_at"] = time_json(r.last_notified_at);
  j["submitted_at"] = time_json(r.submitted_at);
  j["completed_at"] = time_json(r.completed_at);
  j["cancelled_at"] = time_json(r.cancelled_at);
  j["cancel_reason"] = opt_json(r.cancel_reason);
  j["last_activity_at"] = time_json(r.last_activity_at);
  return j;
}

json full_json(const requests::Request& r) {
  json j = request_json(r);
  j["answered"] = static_cast<int>(std::count_if(r.answers.begin(), r.answers.end(),
                                                 [](const auto& a) { return a.has_value(); }));
  j["question_count"] = r.questions.size();
  json qs = json::array();
  for (size_t i = 0; i < r.questions.size(); ++i) {
    const auto& q = r.questions[i];
    json x = json::object();
    x["number"] = q.position;
    x["type"] = to_string(q.type);
    x["prompt"] = q.prompt;
    x["options"] = q.options;
    x["required"] = q.required;
    x["answer"] = nullptr; // filled in below, once the files are known
    put_person(x, "answered_by", r.answers[i] ? std::optional<audit::Person>(r.answers[i]->answered_by) : std::nullopt);
    x["answered_at"] = r.answers[i] ? time_json(r.answers[i]->answered_at) : json(nullptr);
    json files = json::array();
    if (r.answers[i]) {
      for (const auto& f : r.answers[i]->files) {
        files.push_back({{"id", f.id}, {"name", f.name}, {"sha256", f.sha256}, {"size", f.size},
                         {"uploaded_at", time_json(f.uploaded_at)}});
      }
    }
    // One shape per type: a string (text, paragraph, yesno "yes"/"no", choice,
    // date YYYY-MM-DD, number as entered), an array of strings (multichoice),
    // the files (file); null until answered.
    x["answer"] = !r.answers[i] ? json(nullptr) : q.type == requests::QuestionType::file ? files
                                                : json::parse(r.answers[i]->value);
    x["files"] = files;
    qs.push_back(x);
  }
  j["questions"] = qs;
  json rs = json::array();
  for (const auto& rc : r.recipients) {
    rs.push_back({{"email", rc.email}, {"name", rc.name}, {"contact_id", opt_json(rc.contact_id)},
                  {"third_party", !rc.contact_id.has_value()}, {"language", opt_json(rc.language)}});
  }
  j["recipients"] = rs;
  j["links_active"] = requests::links_active(r.status);
  return j;
}

std::string answer_text(const requests::Question& q, const std::optional<requests::Answer>& a) {
  if (!a) {
    return "-";
  }
  if (q.type == requests::QuestionType::file) {
    std::string s;
    for (const auto& f : a->files) {
      s += fmt::format("{}{} ({} bytes, sha256 {})", s.empty() ? "" : "; ", f.name, f.size,
                       f.sha256.substr(0, 12));
    }
    return s;
  }
  const auto v = json::parse(a->value);
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) {
      s += (s.empty() ? "" : ", ") + x.get<std::string>();
    }
    return s;
  }
  return v.get<std::string>();
}

void print_request(Context& ctx, const requests::Request& r, const std::string& line,
                   const std::optional<json>& mail = std::nullopt) {
  if (ctx.out.json()) {
    json j = full_json(r);
    if (mail) {
      j["mail"] = *mail;
    }
    ctx.out.print_json(j);
  } else {
    ctx.out.print_line(line);
  }
}

requests::ReminderFlags reminder_flags(const RequestOptions& o) {
  if (o.no_reminders && o.reminders) {
    throw UsageError("give --reminders N or --no-reminders, not both");
  }
  return {o.remind_every, o.reminders, o.no_reminders};
}

std::vector<std::string> account_refs(const RequestOptions& o) {
  std::vector<std::string> refs;
  for (const auto& a : o.accounts) {
    if (a == "-") {
      std::string line;
      while (std::getline(std::cin, line)) {
        const auto t = util::trim(line);
        if (!t.empty()) {
          refs.emplace_back(t);
        }
      }
    } else {
      refs.push_back(a);
    }
  }
  if (refs.empty()) {
    throw UsageError("give --account ACCOUNT (repeatable, or - to read them from stdin)");
  }
  return refs;
}

void run_create(const RequestOptions& o, Context& ctx) {
  requests::NewRequest in;
  in.accounts = account_refs(o);
  in.title = o.title;
  in.message = o.message;
  in.template_name = o.template_name;
  if (o.file) {
    in.definition = requests::parse_definition(read_text_file(*o.file), *o.file);
  }
  in.to = o.to;
  in.no_login = o.no_login;
  in.reminders = reminder_flags(o);
  in.draft = o.draft;
  in.language = o.language;
  const auto env = ctx.request_env();
  const auto out = ctx.write([&](accounts::Session& s) {
    auto created = requests::create_requests(s, env, in);
    for (const auto& r : created.requests) {
      for (const auto job : o.jobs) {
        jobs::link_item(s, job, "request", r.id);
      }
    }
    return created;
  });
  const auto mail = ctx.deliver_after_commit(out.outbox_ids);
  if (ctx.out.json()) {
    if (out.requests.size() == 1) {
      json j = full_json(out.requests.front());
      j["mail"] = mail;
      ctx.out.print_json(j);
    } else {
      ctx.out.print_json_array(out.requests, full_json);
    }
    return;
  }
  for (const auto& r : out.requests) {
    ctx.out.print_line(r.status == requests::Status::draft
                           ? fmt::format("Request {} created as a draft for {}", r.id, r.account_name)
                           : fmt::format("Request {} sent to {} recipient{} at {}", r.id, r.recipients.size(),
                                         r.recipients.size() == 1 ? "" : "s", r.account_name));
  }
}

void run_send(const RequestOptions& o, Context& ctx) {
  const auto env = ctx.request_env();
  const auto out = ctx.write([&](accounts::Session& s) { return requests::send_request(s, env, o.id); });
  const auto mail = ctx.deliver_after_commit(out.outbox_ids);
  const auto& r = out.requests.front();
  print_request(ctx, r, fmt::format("Request {} sent to {} recipient{}", r.id, r.recipients.size(),
                                    r.recipients.size() == 1 ? "" : "s"), mail);
}

void run_request_edit(const RequestOptions& o, Context& ctx) {
  requests::RequestChanges in;
  in.title = o.title;
  in.message = o.message;
  if (!o.to.empty()) {
    in.to = o.to;
  }
  if (o.no_login) {
    in.login = false;
  }
  if (o.login) {
    in.login = parse_on_off("--login", *o.login);
  }
  in.reminders = reminder_flags(o);
  in.reminders_on = o.reminders_on;
  in.language = o.language;
  const auto env = ctx.request_env();
  const auto r = ctx.write([&](accounts::Session& s) { return requests::edit_request(s, env, o.id, in); });
  print_request(ctx, r, fmt::format("Saved request {}", r.id));
}

void run_request_list(const RequestOptions& o, Context& ctx) {
  TextTable t;
  t.add_column("ID", Align::right);
  t.add_column("ACCOUNT");
  t.add_column("TITLE");
  t.add_column("STATUS");
  t.add_column("PROGRESS", Align::right);
  t.add_column("LAST ACTIVITY");
  bool any = false;
  // Printed as read: 100,000 requests are never held whole.
  ctx.read([&](storage::Database& db) {
    requests::RequestFilter f;
    if (o.account) {
      f.account_id = accounts::resolve_account(db, *o.account);
    }
    if (o.status) {
      f.status = parse_choice<requests::Status>("--status", *o.status, requests::parse_status,
                                                "draft, pending, in_progress, submitted, completed, cancelled");
    }
    if (o.job) {
      f.job_id = jobs::require_job(db, *o.job);
    }
    if (ctx.out.machine()) {
      Output::JsonArrayWriter out(ctx.out);
      requests::each_request(db, f, [&](const requests::Request& r) { out.add(request_json(r)); });
      out.finish();
      return;
    }
    requests::each_request(db, f, [&](const requests::Request& r) {
      any = true;
      t.add_row({std::to_string(r.id), r.account_name, r.title, std::string(to_string(r.status)),
                 fmt::format("{}/{}", r.answered, r.question_count), time_text(r.last_activity_at)});
    });
  });
  if (ctx.out.machine()) {
    return;
  }
  if (!any) {
    ctx.out.note("no requests");
    return;
  }
  ctx.out.print_table(t);
}

void run_request_show(const RequestOptions& o, Context& ctx) {
  const auto env = ctx.request_env();
  const auto r = ctx.read([&](storage::Database& db) { return requests::get_request(db, o.id); });
  std::vector<requests::Link> links;
  if (o.links) {
    // Outside the read: a firm's first key records its fingerprint (one statement).
    links = requests::links(ctx.database(), env, r);
  }
  if (ctx.out.json()) {
    json j = full_json(r);
    if (o.links) {
      json ls = json::array();
      for (const auto& l : links) {
        ls.push_back({{"email", l.email}, {"token", l.token}, {"url", opt_json(l.url)}, {"active", l.active}});
      }
      j["links"] = ls;
    }
    ctx.out.print_json(j);
    return;
  }
  std::string to;
  for (const auto& rc : r.recipients) {
    const std::string who = rc.name.empty() ? rc.email : fmt::format("{} <{}>", rc.name, rc.email);
    std::string note = rc.contact_id ? "" : "third party";
    if (rc.language) {
      note += (note.empty() ? "" : ", ") + *rc.language;
    }
    to += fmt::format("{}{}{}", to.empty() ? "" : ", ", who, note.empty() ? "" : " (" + note + ")");
  }
  ctx.out.print_fields(
      {{"id", std::to_string(r.id)},
       {"account", fmt::format("{} ({})", r.account_name, r.account_id)},
       {"title", r.title},
       {"status", std::string(to_string(r.status))},
       {"message", r.message.value_or("-")},
       {"recipients", to.empty() ? "-" : to},
       {"login", r.login ? "required (portal contacts)" : "not required (anyone with the link)"},
       {"links", requests::links_active(r.status) ? "active" : "inactive"},
       {"reminders", r.reminders.on ? fmt::format("every {} days, {} of {} sent", r.reminders.every_days,
                                                  r.reminders_sent, r.reminders.count)
                                    : std::string("off")},
       {"created", fmt::format("{} by {}", time_text(r.created_at), person_text(r.created_by))},
       {"sent", time_text(r.sent_at)},
       {"last activity", time_text(r.last_activity_at)}});
  if (!r.questions.empty()) {
    TextTable t;
    t.add_column("  #", Align::right);
    t.add_column("TYPE");
    t.add_column("QUESTION");
    t.add_column("ANSWER");
    for (size_t i = 0; i < r.questions.size(); ++i) {
      const auto& q = r.questions[i];
      std::string prompt = q.prompt + (q.required ? "" : " (optional)");
      if (!q.options.empty()) {
        std::string opts;
        for (const auto& x : q.options) {
          opts += (opts.empty() ? "" : " / ") + x;
        }
        prompt += " [" + opts + "]";
      }
      t.add_row({std::to_string(q.position), std::string(to_string(q.type)), prompt,
                 answer_text(q, r.answers[i])});
    }
    fmt::print("\n");
    ctx.out.print_table(t);
  }
  if (o.links) {
    fmt::print("\n");
    for (const auto& l : links) {
      fmt::print("{}: {}{}\n", l.email, l.url.value_or(l.token), l.active ? "" : " (inactive)");
    }
  }
}

void run_question_add(const RequestOptions& o, Context& ctx) {
  requests::Question q;
  q.type = parse_choice<requests::QuestionType>("question type", o.type.value_or(""),
                                                requests::parse_question_type, requests::k_question_types);
  q.prompt = o.prompt.value_or("");
  q.options = o.options;
  q.required = !o.optional_q;
  const auto r = ctx.write([&](accounts::Session& s) { return requests::add_question(s, o.id, q); });
  print_request(ctx, r, fmt::format("Added question {} to request {}", r.questions.size(), r.id));
}

void run_question_edit(const RequestOptions& o, Context& ctx) {
  requests::QuestionChanges in;
  in.prompt = o.prompt;
  if (!o.options.empty()) {
    in.options = o.options;
  }
  if (o.required) {
    in.required = parse_on_off("--required", *o.required);
  }
  const auto r = ctx.write([&](accounts::Session& s) { return requests::edit_question(s, o.id, o.position, in); });
  print_request(ctx, r, fmt::format("Saved question {} of request {}", o.position, r.id));
}

void run_question_remove(const RequestOptions& o, Context& ctx) {
  const auto r = ctx.write([&](accounts::Session& s) { return requests::remove_question(s, o.id, o.position); });
  print_request(ctx, r, fmt::format("Removed question {} of request {}", o.position, r.id));
}

void run_answer(const RequestOptions& o, Context& ctx) {
  const auto env = ctx.request_env();
  const requests::AnswerInput in{o.position, o.values, o.files, {}, o.by};
  const auto r = ctx.write([&](accounts::Session& s) { return app::save_answer(s, env, o.id, in); });
  print_request(ctx, r, fmt::format("Saved the answer to question {} of request {} ({} of {} answered)",
                                    o.position, r.id,
                                    std::count_if(r.answers.begin(), r.answers.end(),
                                                  [](const auto& a) { return a.has_value(); }),
                                    r.questions.size()));
}

void run_submit(const RequestOptions& o, Context& ctx) {
  const auto env = ctx.request_env();
  const auto out = ctx.write([&](accounts::Session& s) { return app::submit_request(s, env, o.id, o.by); });
  const auto mail = ctx.deliver_after_commit(out.outbox_ids);
  print_request(ctx, out.requests.front(), fmt::format("Request {} submitted", o.id), mail);
}

void run_request_complete(const RequestOptions& o, Context& ctx) {
  const auto env = ctx.request_env();
  const auto out = ctx.write([&](accounts::Session& s) { return app::complete_request(s, env, o.id); });
  const auto mail = ctx.deliver_after_commit(out.outbox_ids);
  print_request(ctx, out.requests.front(), fmt::format("Request {} completed", o.id), mail);
}

void run_cancel(const RequestOptions& o, Context& ctx) {
  const auto r = ctx.write([&](accounts::Session& s) { return requests::cancel(s, o.id, o.reason); });
  print_request(ctx, r, fmt::format("Request {} cancelled", r.id));
}

void run_relink(const RequestOptions& o, Context& ctx) {
  const auto r = ctx.write([&](accounts::Session& s) { return requests::relink(s, o.id, o.relink_to); });
  print_request(ctx, r, fmt::format("New links for request {}; the old ones no longer work", r.id));
}

void run_request_export(const RequestOptions& o, Context& ctx) {
  const auto env = ctx.request_env();
  const auto r = ctx.read([&](storage::Database& db) { return requests::get_request(db, o.id); });
  const std::string dir = o.dir.value_or(fmt::format("request-{}", r.id));
  const auto files = requests::export_request(ctx.database(), env, r, dir);
  if (ctx.out.json()) {
    ctx.out.print_json({{"dir", dir}, {"files", files}});
  } else {
    ctx.out.print_line(fmt::format("Exported request {} to {} ({} files)", r.id, dir, files.size()));
  }
}

void add_id(CLI::App* cmd, RequestOptions& o) {
  cmd->add_option("request", o.id, "Request id")->required()->transform(decimal());
}

void add_reminder_options(CLI::App* cmd, RequestOptions& o) {
  cmd->add_option("--remind-every", o.remind_every, "Days until the next reminder")
      ->type_name("DAYS")
      ->transform(decimal());
  cmd->add_option("--reminders", o.reminders, "Number of automatic reminders")->type_name("N")->transform(decimal());
  cmd->add_flag("--no-reminders", o.no_reminders, "No automatic reminders");
}

} // namespace

void register_request_commands(CLI::App& app, Context& ctx) {
  auto* req = app.add_subcommand("request", "Client requests: questionnaires clients answer");
  req->require_subcommand(1);
  const auto verb = [&](const char* name, const char* help, auto fn, auto setup) {
    auto o = std::make_shared<RequestOptions>();
    auto* cmd = req->add_subcommand(name, help);
    setup(cmd, *o);
    on_run(cmd, ctx, [o, &ctx, fn] { fn(*o, ctx); });
    return cmd;
  };
  verb("create", "Create a request (and send it, unless --draft)", run_create, [](CLI::App* c, RequestOptions& o) {
    c->add_option("--account", o.accounts, "Account (repeatable; - reads them from stdin)")->type_name("ACCOUNT");
    c->add_option("--title", o.title, "Title");
    c->add_option("--message", o.message, "Message to the client");
    c->add_option("--template", o.template_name, "Start from this request template");
    c->add_option("--file", o.file, "Start from a request file (TOML)")->type_name("FILE.toml");
    c->add_option("--to", o.to, "Recipient: a contact, or any address (\"Name <address>\" greets them by name); "
                                "repeatable")
        ->type_name("CONTACT_OR_EMAIL");
    c->add_option("--language", o.language, "The language of recipients who are not contacts (default: the firm's)")
        ->type_name(language_choices());
    c->add_flag("--no-login", o.no_login, "Anyone with the link may answer");
    add_reminder_options(c, o);
    c->add_flag("--draft", o.draft, "Keep it unsent");
    c->add_option("--job", o.jobs, "Link it to this job (repeatable)")->type_name("J")->transform(decimal());
  });
  for (const bool linking : {true, false}) {
    verb(linking ? "link" : "unlink", linking ? "Link a request to a job" : "Unlink a request from a job",
         [linking](const RequestOptions& o, Context& c) {
           const auto j = c.write([&](accounts::Session& s) {
             return linking ? jobs::link_item(s, *o.job, "request", o.id) : jobs::unlink_item(s, *o.job, "request", o.id);
           });
           c.out.print_line(fmt::format("{} request {} {} job {}", linking ? "Linked" : "Unlinked", o.id,
                                        linking ? "to" : "from", j.id));
           if (c.out.json()) {
             c.out.print_json(full_json(requests::get_request(c.database(), o.id)));
           }
         },
         [](CLI::App* c, RequestOptions& o) {
           add_id(c, o);
           c->add_option("--job", o.job, "Job id")->required()->type_name("J")->transform(decimal());
         });
  }
  verb("send", "Send a draft", run_send, add_id);
  verb("edit", "Change a request", run_request_edit, [](CLI::App* c, RequestOptions& o) {
    add_id(c, o);
    c->add_option("--title", o.title, "Title");
    c->add_option("--message", o.message, "Message");
    c->add_option("--to", o.to, "Replace the recipients (repeatable)")->type_name("CONTACT_OR_EMAIL");
    c->add_option("--language", o.language, "The language of recipients who are not contacts")
        ->type_name(language_choices());
    c->add_flag("--no-login", o.no_login, "Anyone with the link may answer");
    c->add_option("--login", o.login, "on: portal contacts only; off: anyone with the link")->type_name("on|off");
    add_reminder_options(c, o);
    c->add_flag("--reminders-on", o.reminders_on, "Switch automatic reminders back on");
  });
  add_csv_flag(verb("list", "List requests", run_request_list, [](CLI::App* c, RequestOptions& o) {
    c->add_option("--account", o.account, "Only this account's")->type_name("ACCOUNT");
    c->add_option("--status", o.status, "draft, pending, in_progress, submitted, completed or cancelled")
        ->type_name("STATUS");
    c->add_option("--job", o.job, "Only requests linked to this job")->type_name("J")->transform(decimal());
  }), ctx);
  verb("show", "Show a request with its questions, answers and recipients", run_request_show,
       [](CLI::App* c, RequestOptions& o) {
         add_id(c, o);
         c->add_flag("--links", o.links, "Print each recipient's secret link");
       });
  auto* question = req->add_subcommand("question", "Questions of a draft or pending request");
  question->require_subcommand(1);
  {
    auto o = std::make_shared<RequestOptions>();
    auto* c = question->add_subcommand("add", "Add a question");
    add_id(c, *o);
    c->add_option("--type", o->type, "text, paragraph, yesno, choice, multichoice, date, number or file")
        ->required()
        ->type_name("TYPE");
    c->add_option("--prompt", o->prompt, "The question")->required();
    c->add_option("--option", o->options, "A choice (repeatable)");
    c->add_flag("--optional", o->optional_q, "Not required");
    on_run(c, ctx, [o, &ctx] { run_question_add(*o, ctx); });
  }
  {
    auto o = std::make_shared<RequestOptions>();
    auto* c = question->add_subcommand("edit", "Change a question");
    add_id(c, *o);
    c->add_option("question", o->position, "Question number")->required()->transform(decimal());
    c->add_option("--prompt", o->prompt, "The question");
    c->add_option("--option", o->options, "Replace the choices (repeatable)");
    c->add_option("--required", o->required, "on or off")->type_name("on|off");
    on_run(c, ctx, [o, &ctx] { run_question_edit(*o, ctx); });
  }
  {
    auto o = std::make_shared<RequestOptions>();
    auto* c = question->add_subcommand("remove", "Remove a question");
    add_id(c, *o);
    c->add_option("question", o->position, "Question number")->required()->transform(decimal());
    on_run(c, ctx, [o, &ctx] { run_question_remove(*o, ctx); });
  }
  verb("answer", "Record an answer (saved at once)", run_answer, [](CLI::App* c, RequestOptions& o) {
    add_id(c, o);
    c->add_option("--question", o.position, "Question number")->required()->type_name("N")->transform(decimal());
    c->add_option("--value", o.values, "The answer (repeat for multichoice)");
    c->add_option("--file", o.files, "A file to attach (repeatable)")->type_name("PATH");
    c->add_option("--by", o.by, "The recipient this was entered for")->type_name("CONTACT_OR_EMAIL");
  });
  verb("submit", "Submit the answers (checks required questions)", run_submit, [](CLI::App* c, RequestOptions& o) {
    add_id(c, o);
    c->add_option("--by", o.by, "The recipient this was entered for")->type_name("CONTACT_OR_EMAIL");
  });
  verb("complete", "Mark a request done", run_request_complete, add_id);
  verb("resend", "Email the request again now (does not use up automatic reminders)",
       [](const RequestOptions& o, Context& c) {
         const auto env = c.request_env();
         const auto out = c.write([&](accounts::Session& s) { return requests::resend(s, env, o.id, o.message); });
         const auto mail = c.deliver_after_commit(out.outbox_ids);
         print_request(c, out.requests.front(), fmt::format("Resent request {} ({} emails)", o.id, out.outbox_ids.size()), mail);
       },
       [](CLI::App* c, RequestOptions& o) {
         add_id(c, o);
         c->add_option("--message", o.message, "A message for this email");
       });
  verb("cancel", "Cancel a request", run_cancel, [](CLI::App* c, RequestOptions& o) {
    add_id(c, o);
    c->add_option("--reason", o.reason, "Why");
  });
  verb("relink", "Make new secret links; the old ones stop working", run_relink, [](CLI::App* c, RequestOptions& o) {
    add_id(c, o);
    c->add_option("--to", o.relink_to, "Only this recipient")->type_name("CONTACT_OR_EMAIL");
  });
  verb("export", "Write the answers (JSON) and attached files to a folder", run_request_export,
       [](CLI::App* c, RequestOptions& o) {
         add_id(c, o);
         c->add_option("--dir", o.dir, "The folder to create (default request-ID)")->type_name("DIR");
       });
}

} // namespace practice::cli
