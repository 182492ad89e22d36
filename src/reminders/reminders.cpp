#include "practice/reminders/reminders.hpp"

#include "practice/approvals/approvals.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace practice::reminders {

namespace {

// One query for every kind of item awaiting a client; a new kind of item adds
// a UNION ALL branch here and a check in still_applies.
constexpr std::string_view k_request_items = R"sql(
SELECT 'request', r.id, r.account_id, a.name, r.title, r.reminders_on, r.remind_every_days, r.reminder_count,
       r.reminders_sent, coalesce(r.last_notified_at, r.sent_at, r.created_at),
       EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
               WHERE l.item_kind = 'request' AND l.item_id = r.id AND j.archived_at IS NOT NULL),
       a.reminders_paused, a.reminders_paused_until
FROM requests r JOIN accounts a ON a.id = r.account_id
WHERE r.status IN ('pending', 'in_progress'))sql";

constexpr std::string_view k_approval_items = R"sql(
SELECT 'approval', p.id, p.account_id, a.name, d.name, p.reminders_on, p.remind_every_days, p.reminder_count,
       p.reminders_sent, coalesce(p.last_notified_at, p.requested_at),
       EXISTS (SELECT 1 FROM job_links l JOIN jobs j ON j.id = l.job_id
               WHERE l.item_kind = 'approval' AND l.item_id = p.id AND j.archived_at IS NOT NULL),
       a.reminders_paused, a.reminders_paused_until
FROM approvals p JOIN documents d ON d.id = p.document_id JOIN accounts a ON a.id = p.account_id
WHERE p.status = 'pending')sql";

Item read_item(const storage::Statement& s) {
  Item i;
  i.kind = s.text(0);
  i.id = s.int64(1);
  i.account_id = s.int64(2);
  i.account_name = s.text(3);
  i.title = s.text(4);
  i.settings = {s.int64(5) != 0, static_cast<int>(s.int64(6)), static_cast<int>(s.int64(7))};
  i.sent = static_cast<int>(s.int64(8));
  i.last_notified = s.time(9);
  i.stopped = s.int64(10) != 0;
  const bool paused = s.int64(11) != 0;
  const auto until = s.opt_time(12);
  i.paused = paused && !until;
  if (paused && until) {
    i.paused_until = until;
  }
  return i;
}

void mark_sent(storage::Database& db, const Item& i, util::TimePoint now) {
  const std::string table = i.kind == "request" ? "requests" : "approvals";
  storage::Statement s(db, fmt::format("UPDATE {} SET reminders_sent = reminders_sent + 1, last_notified_at = ?2 "
                                       "WHERE id = ?1",
                                       table));
  s.bind_all(i.id, util::format_iso(now));
  s.run();
}

} // namespace

std::vector<Item> load_items(storage::Database& db, std::optional<int64_t> account_id) {
  return load_items(db, account_id, std::nullopt, 0);
}

std::vector<Item> load_items(storage::Database& db, std::optional<int64_t> account_id,
                             const std::optional<std::string>& kind, int64_t id) {
  // One query per kind of item awaiting a client; a new kind adds its query
  // here. A lookup by id gets a query of its own so it uses the primary key.
  std::string sql;
  if (kind) {
    sql = std::string(*kind == "request" ? k_request_items : k_approval_items) +
          (*kind == "request" ? " AND r.id = ?1" : " AND p.id = ?1");
  } else {
    sql = std::string(k_request_items) + " AND (?1 IS NULL OR r.account_id = ?1) UNION ALL " +
          std::string(k_approval_items) + " AND (?1 IS NULL OR p.account_id = ?1)";
  }
  storage::Statement s(db, sql);
  if (kind) {
    s.bind(1, id);
  } else {
    s.bind(1, account_id);
  }
  std::vector<Item> out;
  while (s.step()) {
    out.push_back(read_item(s));
  }
  return out;
}

Calendar calendar_from(const config::Config& config, const std::string& base_dir) {
  std::string holidays;
  if (config.reminders.holidays_file) {
    std::string path = *config.reminders.holidays_file;
    if (path.empty() || path.front() != '/') {
      path = base_dir + "/" + path;
    }
    std::ifstream in(path);
    if (!in) {
      throw ConfigError(fmt::format("cannot read the holidays file {} ([reminders] holidays_file)", path));
    }
    std::ostringstream text;
    text << in.rdbuf();
    holidays = text.str();
  }
  return make_calendar(config.reminders.timezone, config.reminders.business_days, holidays,
                       config.reminders.send_window);
}

RunResult queue_due(accounts::Session& s, const requests::Env& env, const Calendar& c, int limit, DryRun dry) {
  RunResult out;
  for (auto& p : plan(load_items(s.db, std::nullopt), c, s.now)) {
    if (!p.due) {
      continue;
    }
    if (limit > 0 && static_cast<int>(out.due.size()) >= limit) {
      break;
    }
    if (dry == DryRun::no) {
      const std::string key = fmt::format("reminder:{}", p.number);
      std::vector<int64_t> ids;
      if (p.item.kind == "request") {
        ids = requests::notify_recipients(s, env, requests::get_request(s.db, p.item.id), "reminder", key,
                                          std::nullopt);
      } else {
        ids = approvals::notify_contacts(s, env, approvals::get_approval(s.db, p.item.id), "reminder", key,
                                         std::nullopt);
      }
      mark_sent(s.db, p.item, s.now);
      audit::AuditLog(s.db).record(s.now, audit::Actor::system(), p.item.account_id,
                                   fmt::format("{}:{}", p.item.kind, p.item.id), "reminder_sent",
                                   {{"number", p.number}, {"of", p.item.settings.count}, {"emails", ids.size()}});
      out.outbox_ids.insert(out.outbox_ids.end(), ids.begin(), ids.end());
    }
    out.due.push_back(std::move(p));
  }
  return out;
}

mail::StillApplies still_applies() {
  return [](storage::Database& db, const mail::OutboxRow& row) -> std::optional<std::string> {
    if (row.kind != "reminder" || !row.item) {
      return std::nullopt;
    }
    const auto colon = row.item->find(':');
    const std::string kind = row.item->substr(0, colon);
    const auto id = util::parse_int(row.item->substr(colon + 1));
    if (!id) {
      return std::nullopt;
    }
    for (const auto& i : load_items(db, std::nullopt, kind, *id)) {
      if (i.kind == kind && i.id == *id) {
        if (i.stopped) {
          return std::string("its job was archived");
        }
        if (i.paused) {
          return std::string("the client's reminders are paused");
        }
        return std::nullopt;
      }
    }
    return fmt::format("{} {} no longer awaits the client", kind, *id);
  };
}

std::vector<TodoEntry> todo(storage::Database& db, int64_t account_id) {
  std::vector<TodoEntry> out;
  storage::Statement s(db, R"sql(
SELECT 'request', r.id, r.title, r.status, coalesce(r.last_notified_at, r.sent_at) AS t FROM requests r
WHERE r.account_id = ?1 AND r.status IN ('pending', 'in_progress')
UNION ALL
SELECT 'approval', p.id, d.name, p.status, coalesce(p.last_notified_at, p.requested_at) FROM approvals p
JOIN documents d ON d.id = p.document_id WHERE p.account_id = ?1 AND p.status = 'pending'
ORDER BY 5 DESC, 1, 2 DESC)sql");
  s.bind(1, account_id);
  while (s.step()) {
    out.push_back({s.text(0), s.int64(1), s.text(2), s.text(3), s.time(4)});
  }
  return out;
}

} // namespace practice::reminders
