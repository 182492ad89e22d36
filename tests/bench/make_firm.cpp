// Builds a large firm for the benchmarks (bench/large_firm.py): 10,000
// accounts with 3 contacts each, 100,000 jobs across 3 pipelines, 300,000
// requests of 5 questions (half of them answered), 100,000 documents each
// with an approval, 1,000,000 audit rows chained as the audit log chains
// them, and 300,000 outbox rows; --scale multiplies every count.
//
// The schema is the project's migrations and the rows go in through the
// stores (the same statements the commands run, prepared once through the
// connection's statement cache), one transaction per table, so no CLI call
// per row. The documents' 1,000 contents go into the file store beside DB
// (DIR/files) as an upload puts them, so `doctor` and `db migrate` find every
// file; outbox rows marked sent, which the stores have no call for, are
// written directly.
// Everything is a pure function of the row numbers: two runs build the same
// firm. Prints the time it took and the database size per 1,000 requests.
//
// Usage: practice_make_firm DB [--scale F]     (DB must not exist yet)

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/contact_store.hpp"
#include "practice/accounts/firm_store.hpp"
#include "practice/accounts/staff_store.hpp"
#include "practice/app/workspace.hpp"
#include "practice/approvals/approval_store.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/jobs/job_store.hpp"
#include "practice/mail/outbox_store.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/storage/database.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/util/time.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

namespace {

using namespace practice;
using json = nlohmann::json;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// The firm's "today": the benchmarks pass it as --now.
const util::TimePoint k_now = *util::parse_iso("2026-03-02T10:00:00Z");
const util::TimePoint k_start = k_now - days(365);

constexpr int k_staff = 20;
constexpr int k_contacts_per_account = 3;
constexpr int k_jobs_per_account = 10;
constexpr int k_requests_per_account = 30;
constexpr int k_documents_per_account = 10;
constexpr int k_questions = 5;
constexpr int k_stored_files = 1000;

// A fixed hash of a row number: the generator's only source of variety.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int64_t pick(uint64_t seed, int64_t n) { return static_cast<int64_t>(mix(seed) % static_cast<uint64_t>(n)); }

struct Sizes {
  int64_t accounts = 10'000;
  int64_t audit_rows = 1'000'000;
  int64_t outbox_rows = 300'000;
  int64_t requests() const { return accounts * k_requests_per_account; }
  int64_t jobs() const { return accounts * k_jobs_per_account; }
  int64_t documents() const { return accounts * k_documents_per_account; }
};

struct PipelineShape {
  const char* name;
  std::vector<const char*> stages;
};

const std::array<PipelineShape, 3> k_pipelines = {{
    {"Tax return", {"Intake", "Missing information", "Preparation", "Review", "Done"}},
    {"Bookkeeping", {"Collect", "Reconcile", "Report", "Done"}},
    {"Payroll", {"Inputs", "Run", "Filed"}},
}};

const std::array<const char*, 8> k_titles = {
    "Medical receipts", "Missing 1099-INT", "Bank statements Q4", "Payroll inputs",
    "Rental income",    "Donation receipts", "Vehicle mileage",   "Home office costs"};

// The seconds between the firm's start and `t`, spread over the year by row number.
util::TimePoint spread(int64_t i, int64_t n, util::TimePoint from = k_start, util::TimePoint to = k_now) {
  const auto span = (to - from).count();
  return from + seconds(span * i / std::max<int64_t>(n, 1));
}

class Generator {
public:
  Generator(storage::Database& db, const Sizes& sizes, std::string path)
      : m_db(db), m_sizes(sizes), m_path(std::move(path)) {}

  void run() {
    table("firm and staff", [&] { firm_and_staff(); });
    table("accounts", [&] { accounts(); });
    table("contacts", [&] { contacts(); });
    table("pipelines and jobs", [&] { jobs(); });
    table("requests", [&] { requests(); });
    table("documents and approvals", [&] { approvals(); });
    table("outbox", [&] { outbox(); });
    table("audit", [&] { audit(); });
  }

private:
  void table(const char* what, const std::function<void()>& fill) {
    const auto t0 = std::chrono::steady_clock::now();
    storage::Transaction tx(m_db, storage::TxMode::write);
    fill();
    tx.commit();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    std::fprintf(stderr, "  %-26s %6.1f s\n", what, took.count());
  }

  std::string staff_email(int64_t s) const { return fmt::format("staff{}@large.test", s); }
  std::string staff_name(int64_t s) const { return s == 1 ? "Alice Owner" : fmt::format("Staff Member {:02d}", s); }
  int64_t staff_of(int64_t account) const { return 1 + account % k_staff; }
  audit::Actor staff_actor(int64_t s) const { return {audit::ActorKind::staff, s, staff_name(s)}; }
  // Who did something, as records store them (the audit trail's name is the email).
  audit::Person staff_person(int64_t s) const {
    return {{audit::ActorKind::staff, s, staff_email(s)}, std::nullopt, std::nullopt};
  }
  std::string contact_email(int64_t account, int k) const {
    return fmt::format("c{}.{}@client{:02d}.test", k + 1, account, account % 97);
  }
  int64_t contact_id(int64_t account, int k) const { return (account - 1) * k_contacts_per_account + k + 1; }
  std::string account_name(int64_t a) const {
    // Mostly plain names, a few that need JSON escapes or are not ASCII, and
    // some duplicates' neighbours sorting close together.
    if (a % 50 == 0) {
      return fmt::format("Ionescu Familie \xc3\xa9 {:05d}", a);
    }
    if (a % 77 == 0) {
      return fmt::format("O'Brien & \"Sons\" {:05d}", a);
    }
    return fmt::format("Client {:05d}", a);
  }

  void firm_and_staff() {
    accounts::FirmStore(m_db).put({"Large CPA", "office@large.test", k_start, std::nullopt});
    accounts::StaffStore staff(m_db);
    for (int64_t s = 1; s <= k_staff; ++s) {
      accounts::Staff x;
      x.name = staff_name(s);
      x.email = staff_email(s);
      x.role = s == 1 ? accounts::Role::owner : s <= 3 ? accounts::Role::admin : accounts::Role::member;
      x.view_all_accounts = s <= 5;
      x.created_at = k_start;
      staff.insert(x);
    }
  }

  void accounts() {
    accounts::AccountStore store(m_db);
    for (int64_t a = 1; a <= m_sizes.accounts; ++a) {
      accounts::Account x;
      x.name = account_name(a);
      x.type = a % 3 == 0 ? accounts::AccountType::company : accounts::AccountType::individual;
      x.created_at = spread(a, m_sizes.accounts, k_start - days(30), k_start);
      if (a % 100 == 99) {
        x.archived_at = k_now - days(10);
      }
      const auto id = store.insert(x);
      if (a % 200 == 7) {
        x.id = id;
        x.reminders_paused = true;
        if (a % 400 == 7) {
          x.reminders_paused_until = k_now + days(20);
        }
        store.update(x);
      }
      store.assign(id, staff_of(a), x.created_at);
      if (a % 3 == 0) {
        store.assign(id, staff_of(a + 7), x.created_at);
      }
    }
  }

  void contacts() {
    accounts::ContactStore store(m_db);
    for (int64_t a = 1; a <= m_sizes.accounts; ++a) {
      for (int k = 0; k < k_contacts_per_account; ++k) {
        accounts::Contact c;
        c.account_id = a;
        c.name = fmt::format("Contact {} of {}", k + 1, a);
        c.email = contact_email(a, k);
        c.notify = k < 2;
        c.portal = k == 0;
        c.created_at = k_start;
        store.insert(c);
      }
    }
  }

  void jobs() {
    jobs::JobStore store(m_db);
    for (const auto& shape : k_pipelines) {
      const auto p = store.insert_pipeline(shape.name, k_start);
      std::vector<int64_t> stages;
      int position = 0;
      for (const char* stage : shape.stages) {
        ++position;
        // Automove on the stages that wait for the client.
        const bool automove = position == 2 && position < static_cast<int>(shape.stages.size());
        stages.push_back(store.insert_stage(p, stage, position, automove));
      }
      m_pipelines.push_back({p, stages});
    }
    const int64_t n = m_sizes.jobs();
    m_job_stage.reserve(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      const int64_t account = j / k_jobs_per_account + 1;
      const auto& [pipeline, stages] = m_pipelines[static_cast<size_t>(j % 3)];
      jobs::Job x;
      x.account_id = account;
      x.pipeline_id = pipeline;
      x.stage_id = stages[static_cast<size_t>(pick(j, static_cast<int64_t>(stages.size())))];
      x.title = fmt::format("{} {}", k_pipelines[static_cast<size_t>(j % 3)].name, 2025 - (j % k_jobs_per_account) / 3);
      if (j % 4 != 0) {
        x.assignee = accounts::Ref{staff_of(account + j), staff_name(staff_of(account + j)),
                                   staff_email(staff_of(account + j))};
      }
      if (j % 2 == 0) {
        x.due_date = util::format_date(std::chrono::floor<days>(k_now + days(pick(j + 1, 120))));
      }
      x.created_at = spread(j, n, k_start, k_now - days(30));
      x.id = store.insert_job(x);
      x.moved_at = x.created_at + days(pick(j + 2, 20));
      if (j % 20 == 19) {
        x.archived_at = k_now - days(pick(j + 3, 25) + 1);
      }
      store.update_job(x);
      m_job_stage.push_back(x.stage_id);
    }
  }

  int64_t job_of(int64_t account, int64_t k) const { return (account - 1) * k_jobs_per_account + k % k_jobs_per_account + 1; }
  int64_t stage_of_job(int64_t job) const { return m_job_stage[static_cast<size_t>(job - 1)]; }

  static requests::Question question(int position) {
    requests::Question q;
    q.position = position;
    switch (position) {
    case 1:
      q.type = requests::QuestionType::text;
      q.prompt = "Which bank holds the account?";
      break;
    case 2:
      q.type = requests::QuestionType::yesno;
      q.prompt = "Did you receive any interest this year?";
      break;
    case 3:
      q.type = requests::QuestionType::choice;
      q.prompt = "How did you file last year?";
      q.options = {"Single", "Married filing jointly", "Head of household"};
      break;
    case 4:
      q.type = requests::QuestionType::date;
      q.prompt = "When did the account open?";
      q.required = false;
      break;
    default:
      q.type = requests::QuestionType::number;
      q.prompt = "Total interest received";
      break;
    }
    return q;
  }

  static std::string answer(int position, int64_t r) {
    switch (position) {
    case 1:
      return json(fmt::format("First National Bank, branch {}", r % 40)).dump();
    case 2:
      return json(r % 3 == 0 ? "no" : "yes").dump();
    case 3:
      return json(r % 2 == 0 ? "Single" : "Married filing jointly").dump();
    case 4:
      return json(fmt::format("20{:02d}-0{}-1{}", 10 + r % 15, 1 + r % 9, r % 10)).dump();
    default:
      return json(fmt::format("{}.{:02d}", r % 5000, r % 100)).dump();
    }
  }

  // The status of request number r (0-based): 40% pending, 10% in progress
  // (3 of 5 answered), 30% completed and 10% submitted (all answered), 5%
  // drafts, 5% cancelled. Half of the requests have answers.
  static requests::Status status_of(int64_t r) {
    switch (r % 20) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
      return requests::Status::pending;
    case 8: case 9:
      return requests::Status::in_progress;
    case 10: case 11: case 12: case 13: case 14: case 15:
      return requests::Status::completed;
    case 16: case 17:
      return requests::Status::submitted;
    case 18:
      return requests::Status::draft;
    default:
      return requests::Status::cancelled;
    }
  }

  static int answers_of(requests::Status s) {
    switch (s) {
    case requests::Status::in_progress:
      return 3;
    case requests::Status::submitted:
    case requests::Status::completed:
      return k_questions;
    case requests::Status::draft:
    case requests::Status::pending:
    case requests::Status::cancelled:
      break;
    }
    return 0;
  }

  util::TimePoint request_created(int64_t r) const { return spread(r, m_sizes.requests()); }

  void requests() {
    requests::RequestStore store(m_db);
    jobs::JobStore links(m_db);
    const int64_t n = m_sizes.requests();
    for (int64_t r = 0; r < n; ++r) {
      const int64_t account = r % m_sizes.accounts + 1;
      // Varies per row within an account as well as across accounts.
      const int64_t v = r / m_sizes.accounts + account;
      const auto status = status_of(v);
      requests::Request x;
      x.account_id = account;
      x.title = fmt::format("{} {}", k_titles[static_cast<size_t>(v % 8)], 2025 - v % 2);
      if (v % 4 == 0) {
        x.template_name = "medical-receipts";
      }
      if (v % 3 == 0) {
        x.message = "Please send these by the end of the month.";
      }
      x.login = v % 5 != 0;
      x.status = status;
      x.reminders = {v % 10 != 3, v % 4 == 1 ? 7 : 3, static_cast<int>(1 + v % 3)};
      x.created_by = staff_person(staff_of(account));
      // Open requests are recent (the last 60 days), so reminders fall due
      // across the next weeks; finished ones spread over the year.
      const bool open = status == requests::Status::pending || status == requests::Status::in_progress;
      x.created_at = open ? k_now - days(60) + seconds(pick(r, 60 * 86400 - 3600)) : request_created(r);
      x.last_activity_at = x.created_at;
      x.id = store.insert(x);
      if (status != requests::Status::draft) {
        x.sent_at = x.created_at + minutes(1);
        x.last_notified_at = x.sent_at;
        x.last_activity_at = *x.sent_at;
        if (open && x.reminders.on) {
          x.reminders_sent = static_cast<int>(pick(r + 5, x.reminders.count + 1));
          if (x.reminders_sent > 0) {
            x.last_notified_at = *x.sent_at + days(x.reminders.every_days * x.reminders_sent) + hours(1);
            if (*x.last_notified_at > k_now - hours(1)) {
              x.last_notified_at = k_now - hours(2);
            }
          }
        }
      }
      std::vector<int64_t> questions;
      for (int position = 1; position <= k_questions; ++position) {
        store.insert_question(x.id, question(position));
        questions.push_back(m_db.last_insert_id());
      }
      std::vector<requests::Recipient> to{{0, contact_id(account, 0), fmt::format("Contact 1 of {}", account),
                                           contact_email(account, 0), 1, std::nullopt}};
      if (v % 5 == 4) {
        to.push_back({0, contact_id(account, 1), fmt::format("Contact 2 of {}", account), contact_email(account, 1), 1, std::nullopt});
      }
      store.set_recipients(x.id, to);
      const int answered = answers_of(status);
      auto at = x.sent_at.value_or(x.created_at) + hours(2);
      for (int i = 0; i < answered; ++i) {
        store.save_answer(questions[static_cast<size_t>(i)], answer(i + 1, r),
                          audit::Actor{audit::ActorKind::contact, contact_id(account, 0), to.front().email}, at);
        x.last_activity_at = at;
        at += minutes(3);
      }
      if (status == requests::Status::submitted || status == requests::Status::completed) {
        x.submitted_at = at;
        x.last_activity_at = at;
        if (status == requests::Status::completed) {
          x.completed_at = at + days(1);
          x.last_activity_at = *x.completed_at;
        }
      } else if (status == requests::Status::cancelled) {
        x.cancelled_at = x.created_at + days(2);
        x.cancel_reason = "sent by mistake";
        x.last_activity_at = *x.cancelled_at;
      }
      store.update(x);
      // Each request is linked to one of its account's jobs, in the stage the job is in.
      const auto job = job_of(account, r / m_sizes.accounts);
      links.link(job, "request", x.id, stage_of_job(job), x.created_at);
      m_requests.push_back({x.id, account, x.sent_at, status, static_cast<int>(to.size())});
    }
  }

  void approvals() {
    approvals::ApprovalStore store(m_db);
    jobs::JobStore links(m_db);
    const auto shared = store.insert_folder("Client documents", true, k_start);
    const auto internal = store.insert_folder("Internal", false, k_start);
    // Each content from a file of its own, as `doc add` stores an upload.
    storage::FileStore files(app::files_root_for(m_path), int64_t{1} << 30);
    const std::string staging = m_path + ".content";
    std::vector<storage::StoredFile> contents;
    for (int i = 0; i < k_stored_files; ++i) {
      std::ofstream(staging, std::ios::binary | std::ios::trunc) << fmt::format("document content {}", i);
      contents.push_back(files.put(m_db, staging, k_start));
    }
    std::filesystem::remove(staging);
    const int64_t n = m_sizes.documents();
    for (int64_t d = 0; d < n; ++d) {
      const int64_t account = d % m_sizes.accounts + 1;
      const int64_t v = d / m_sizes.accounts + account;
      approvals::Document doc;
      doc.account_id = account;
      doc.folder_id = v % 10 == 9 ? internal : shared;
      doc.name = fmt::format("{} {}.pdf", v % 2 == 0 ? "Tax return" : "Engagement letter", 2025 - v % 3);
      if (v % 3 != 0) {
        doc.description = "Prepared for your review";
      }
      const auto& content = contents[static_cast<size_t>(d % k_stored_files)];
      doc.sha256 = content.sha256;
      doc.size = content.size;
      doc.uploaded_by = staff_person(staff_of(account));
      // Pending approvals are recent; decided ones spread over the year.
      const bool pending = v % 10 < 4;
      doc.uploaded_at = pending ? k_now - days(45) + seconds(pick(d, 45 * 86400 - 7200)) : spread(d, n);
      doc.id = store.insert_document(doc);
      approvals::Approval a;
      a.document = doc;
      a.status = approvals::Status::pending;
      if (v % 2 == 0) {
        a.message = "Please review and approve.";
      }
      a.reminders = {v % 7 != 0, 3, static_cast<int>(1 + v % 2)};
      a.requested_by = doc.uploaded_by;
      a.requested_at = doc.uploaded_at + minutes(5);
      a.last_notified_at = a.requested_at;
      a.id = store.insert_approval(a);
      const auto kind = v % 10;
      if (kind >= 4) {
        if (kind < 8) {
          a.status = approvals::Status::approved;
        } else if (kind == 8) {
          a.status = approvals::Status::disapproved;
          a.reasons = {"Missing page 2", "Wrong address"};
          a.comment = "Please fix and resend.";
        } else {
          a.status = approvals::Status::cancelled;
          a.cancelled_at = a.requested_at + days(1);
        }
        if (a.status != approvals::Status::cancelled) {
          a.decided_by = audit::Person{{audit::ActorKind::contact, contact_id(account, 0), contact_email(account, 0)},
                                       std::nullopt, std::nullopt};
          a.decided_at = a.requested_at + days(2);
        }
        store.update_approval(a);
      } else if (a.reminders.on && v % 3 == 0 && a.requested_at + days(3) < k_now - hours(1)) {
        a.reminders_sent = 1;
        a.last_notified_at = a.requested_at + days(3);
        store.update_approval(a);
      }
      const auto job = job_of(account, d / m_sizes.accounts);
      links.link(job, "approval", a.id, stage_of_job(job), a.requested_at);
      m_approvals.push_back({a.id, account, a.requested_at, a.status});
    }
  }

  // One email per request sent (to its first recipient) and per approval
  // requested, in that order, until the outbox holds its rows: almost all
  // sent, the newest few queued, a few failed.
  void outbox() {
    mail::OutboxStore store(m_db);
    storage::Statement sent(m_db, R"sql(
UPDATE outbox SET state = 'sent', attempts = 1, first_attempt_at = ?2, dated_at = ?2, sent_at = ?2,
                  last_code = 250, last_reply = '250 2.0.0 Ok: queued'
WHERE id = ?1)sql");
    storage::Statement failed(m_db, R"sql(
UPDATE outbox SET state = 'failed', attempts = 1, first_attempt_at = ?2, last_code = 550,
                  last_reply = '550 5.1.1 <' || rcpt || '>: Recipient address rejected'
WHERE id = ?1)sql");
    int64_t rows = 0;
    const auto add = [&](std::string_view kind, int64_t id, int64_t account, util::TimePoint at) {
      const std::string item = fmt::format("{}:{}", kind, id);
      const std::string to = contact_email(account, 0);
      mail::NewMessage m;
      m.dedupe_key = fmt::format("{}:sent:{}", item, to);
      m.kind = std::string(kind);
      m.item = item;
      m.account_id = account;
      m.rcpt = to;
      m.message_id = fmt::format("<{}.{}@large.test>", item, mix(static_cast<uint64_t>(rows)) % 1'000'000'007);
      m.subject = kind == "request" ? "Large CPA needs some information from you" : "Please approve a document";
      m.message = fmt::format(
          "From: Large CPA <office@large.test>\r\nTo: Contact 1 of {} <{}>\r\nSubject: {}\r\n"
          "Message-ID: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
          "Content-Transfer-Encoding: quoted-printable\r\n\r\nDear Contact 1 of {},\r\n\r\n"
          "Large CPA asks you to answer a few questions or review a document. Open the link "
          "below to see what is needed; your answers are saved as you go, and you can come "
          "back to finish later.\r\n\r\n  https://portal.large.test/{}/...\r\n\r\n"
          "If you have questions, reply to this email.\r\n\r\nKind regards,\r\nLarge CPA\r\n",
          account, to, m.subject, m.message_id, account, item);
      const auto row = store.enqueue(m, at);
      ++rows;
      if (!row) {
        return;
      }
      // The newest emails are still queued; one in 200 failed.
      if (at > k_now - hours(6)) {
        return;
      }
      auto& update = rows % 200 == 17 ? failed : sent;
      update.bind_all(*row, util::format_iso(at + seconds(4)));
      update.run();
      update.reset();
    };
    for (const auto& r : m_requests) {
      if (rows >= m_sizes.outbox_rows) {
        return;
      }
      if (r.sent_at) {
        add("request", r.id, r.account, *r.sent_at);
      }
    }
    for (const auto& a : m_approvals) {
      if (rows >= m_sizes.outbox_rows) {
        return;
      }
      add("approval", a.id, a.account, a.requested_at);
    }
  }

  struct Event {
    uint32_t subject; // request, approval or job number (0-based), or account
    uint8_t kind;     // see audit()
  };

  // The trail of what happened: each request created and sent and most of
  // them answered, each approval requested and decided, each job created,
  // accounts and contacts added; in a fixed shuffled order, at times rising
  // from a year ago to now, through AuditLog::record (so the chain holds).
  void audit() {
    enum : uint8_t { request_created, request_sent, request_submitted, reminder, approval_requested,
                     approval_decided, job_created, job_moved, account_created };
    std::vector<Event> events;
    const auto total = m_sizes.audit_rows;
    events.reserve(static_cast<size_t>(total));
    const auto push = [&](int64_t subject, uint8_t kind) {
      if (static_cast<int64_t>(events.size()) < total) {
        events.push_back({static_cast<uint32_t>(subject), kind});
      }
    };
    for (size_t i = 0; i < m_requests.size(); ++i) {
      push(static_cast<int64_t>(i), request_created);
    }
    for (int64_t a = 1; a <= m_sizes.accounts; ++a) {
      push(a, account_created);
    }
    for (size_t i = 0; i < m_approvals.size(); ++i) {
      push(static_cast<int64_t>(i), approval_requested);
    }
    for (int64_t j = 0; j < m_sizes.jobs(); ++j) {
      push(j, job_created);
    }
    for (size_t i = 0; i < m_requests.size(); ++i) {
      if (m_requests[i].sent_at) {
        push(static_cast<int64_t>(i), request_sent);
      }
    }
    for (size_t i = 0; i < m_approvals.size(); ++i) {
      if (m_approvals[i].status != approvals::Status::pending) {
        push(static_cast<int64_t>(i), approval_decided);
      }
    }
    for (size_t i = 0; i < m_requests.size(); ++i) {
      if (m_requests[i].status == requests::Status::submitted || m_requests[i].status == requests::Status::completed) {
        push(static_cast<int64_t>(i), request_submitted);
      }
    }
    for (int64_t round = 0; static_cast<int64_t>(events.size()) < total; ++round) {
      push(round % m_sizes.jobs(), round < m_sizes.jobs() ? job_moved : reminder);
    }
    // A fixed Fisher-Yates shuffle (not std::shuffle, whose order is the library's).
    for (size_t i = events.size(); i > 1; --i) {
      std::swap(events[i - 1], events[static_cast<size_t>(mix(i) % i)]);
    }
    audit::AuditLog log(m_db);
    const auto n = static_cast<int64_t>(events.size());
    for (int64_t k = 0; k < n; ++k) {
      const auto& e = events[static_cast<size_t>(k)];
      const auto at = spread(k, n);
      switch (e.kind) {
      case request_created:
      case request_sent:
      case request_submitted:
      case reminder: {
        const auto& r = m_requests[e.subject % m_requests.size()];
        const std::string item = fmt::format("request:{}", r.id);
        if (e.kind == request_created) {
          log.record(at, staff_actor(staff_of(r.account)), r.account, item, "created",
                     {{"title", k_titles[e.subject % 8]}, {"questions", k_questions}});
        } else if (e.kind == request_sent) {
          log.record(at, staff_actor(staff_of(r.account)), r.account, item, "sent",
                     {{"to", json::array({contact_email(r.account, 0)})}});
        } else if (e.kind == request_submitted) {
          log.record(at, {audit::ActorKind::contact, contact_id(r.account, 0), contact_email(r.account, 0)}, r.account,
                     item, "submitted", {{"via", "portal"}});
        } else {
          log.record(at, audit::Actor::system(), r.account, item, "reminder_sent",
                     {{"number", 1}, {"of", 2}, {"emails", r.recipients}});
        }
        break;
      }
      case approval_requested:
      case approval_decided: {
        const auto& a = m_approvals[e.subject % m_approvals.size()];
        const std::string item = fmt::format("approval:{}", a.id);
        if (e.kind == approval_requested) {
          log.record(at, staff_actor(staff_of(a.account)), a.account, item, "requested",
                     {{"document", a.id}, {"emails", 1}});
        } else {
          log.record(at, {audit::ActorKind::contact, contact_id(a.account, 0), contact_email(a.account, 0)}, a.account,
                     item, std::string(approvals::to_string(a.status)), json::object());
        }
        break;
      }
      case job_created:
      case job_moved: {
        const int64_t job = e.subject + 1;
        const int64_t account = e.subject / k_jobs_per_account + 1;
        if (e.kind == job_created) {
          log.record(at, staff_actor(staff_of(account)), account, fmt::format("job:{}", job), "created",
                     {{"pipeline", k_pipelines[e.subject % 3].name}});
        } else {
          log.record(at, staff_actor(staff_of(account)), account, fmt::format("job:{}", job), "moved",
                     {{"from", "Intake"}, {"to", "Missing information"}, {"pending", "keep"}});
        }
        break;
      }
      default:
        log.record(at, staff_actor(1), e.subject, fmt::format("account:{}", e.subject), "created",
                   {{"name", account_name(e.subject)}, {"type", e.subject % 3 == 0 ? "company" : "individual"}});
        break;
      }
    }
  }

  struct RequestRow {
    int64_t id;
    int64_t account;
    std::optional<util::TimePoint> sent_at;
    requests::Status status;
    int recipients;
  };
  struct ApprovalRow {
    int64_t id;
    int64_t account;
    util::TimePoint requested_at;
    approvals::Status status;
  };

  storage::Database& m_db;
  Sizes m_sizes;
  std::string m_path;  // the database, beside which its file store lives
  std::vector<std::pair<int64_t, std::vector<int64_t>>> m_pipelines;
  std::vector<int64_t> m_job_stage;
  std::vector<RequestRow> m_requests;
  std::vector<ApprovalRow> m_approvals;
};

int usage() {
  std::fprintf(stderr, "usage: practice_make_firm DB [--scale F]   (DB must not exist yet)\n");
  return 64;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    return usage();
  }
  const std::string path = argv[1];
  double scale = 1.0;
  if (argc == 4) {
    if (std::string_view(argv[2]) != "--scale") {
      return usage();
    }
    char* end = nullptr;
    scale = std::strtod(argv[3], &end);
    if (end == argv[3] || *end != '\0' || !(scale > 0)) {
      return usage();
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    std::fprintf(stderr, "practice_make_firm: %s exists already\n", path.c_str());
    return 73;
  }
  Sizes sizes;
  sizes.accounts = std::max<int64_t>(10, static_cast<int64_t>(static_cast<double>(sizes.accounts) * scale));
  sizes.audit_rows = static_cast<int64_t>(static_cast<double>(sizes.audit_rows) * scale);
  sizes.outbox_rows = static_cast<int64_t>(static_cast<double>(sizes.outbox_rows) * scale);
  try {
    const auto t0 = std::chrono::steady_clock::now();
    storage::Database db(path, storage::OpenMode::create);
    storage::apply_migrations(db);
    // A big page cache: the audit and outbox indexes take rows in no order.
    db.exec("PRAGMA cache_size=-262144");
    std::fprintf(stderr, "building %s: %lld accounts, %lld requests, %lld jobs, %lld documents, %lld audit rows, "
                 "%lld outbox rows\n", path.c_str(), static_cast<long long>(sizes.accounts),
                 static_cast<long long>(sizes.requests()), static_cast<long long>(sizes.jobs()),
                 static_cast<long long>(sizes.documents()), static_cast<long long>(sizes.audit_rows),
                 static_cast<long long>(sizes.outbox_rows));
    Generator(db, sizes, path).run();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    ::stat(path.c_str(), &st);
    const double mb = static_cast<double>(st.st_size) / 1e6;
    std::printf("built in %.1f s: %.0f MB, %.2f MB per 1,000 requests (now = %s)\n", took.count(), mb,
                mb / (static_cast<double>(sizes.requests()) / 1000.0), util::format_iso(k_now).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "practice_make_firm: %s\n", e.what());
    return 70;
  }
  return 0;
}
