#include "practice/reminders/reminders.hpp"

#include "practice/approvals/approvals.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/requests/request_store.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace practice::reminders {

namespace {

// The number in a reminder's dedupe key, "request:12:reminder:2:ann@x.test".
std::optional<int64_t> reminder_number(const std::string& dedupe_key) {
  const auto at = dedupe_key.find(":reminder:");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const auto from = at + 10;
  return util::parse_int(std::string_view(dedupe_key).substr(from, dedupe_key.find(':', from) - from));
}

// Why `row`, a reminder, is not sent when a newer email of `newer` says the same.
std::string superseded_by(const mail::OutboxRow& newer) {
  if (newer.kind == "reminder") {
    if (const auto n = reminder_number(newer.dedupe_key)) {
      return fmt::format("superseded by reminder {} (outbox {})", *n, newer.id);
    }
    return fmt::format("superseded by a newer reminder (outbox {})", newer.id);
  }
  return fmt::format("superseded by a resend (outbox {})", newer.id);
}

} // namespace

std::vector<Item> load_items(storage::Database& db, std::optional<int64_t> account_id) {
  return ReminderStore(db).items(account_id);
}

std::vector<Item> load_items(storage::Database& db, std::optional<int64_t> account_id,
                             const std::optional<std::string>& kind, int64_t id) {
  if (kind) {
    auto items = ReminderStore(db).item(*kind, id);
    if (account_id) {
      std::erase_if(items, [&](const Item& i) { return i.account_id != *account_id; });
    }
    return items;
  }
  return ReminderStore(db).items(account_id);
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

void each_due(storage::Database& db, const Calendar& c, util::TimePoint now, int limit,
              const std::function<void(const Planned&)>& fn) {
  int count = 0;
  ReminderStore(db).each_item(std::nullopt, ItemSet::reminders_left, ItemOrder::stored, [&](const Item& i) {
    if (limit > 0 && count >= limit) {
      return;
    }
    if (const auto p = plan_item(i, c, now); p && p->due) {
      ++count;
      fn(*p);
    }
  });
}

std::vector<Planned> due_reminders(storage::Database& db, const Calendar& c, util::TimePoint now, int limit) {
  std::vector<Planned> out;
  each_due(db, c, now, limit, [&](const Planned& p) { out.push_back(p); });
  return out;
}

void each_scheduled(storage::Database& db, std::optional<int64_t> account_id, const Calendar& c, util::TimePoint now,
                    const std::function<void(const Planned&)>& fn) {
  // The items come by when their reminder is due, and send_at only moves a
  // due moment on to the next allowed one, so the reminders of one send_at
  // come together: each such group is put in item order and passed on.
  std::vector<Planned> group;
  const auto flush = [&] {
    std::sort(group.begin(), group.end(), [](const Planned& a, const Planned& b) {
      return std::pair(a.item.kind == "approval", a.item.id) < std::pair(b.item.kind == "approval", b.item.id);
    });
    for (const auto& p : group) {
      fn(p);
    }
    group.clear();
  };
  ReminderStore(db).each_item(account_id, ItemSet::reminders_left, ItemOrder::due, [&](const Item& i) {
    auto p = plan_item(i, c, now);
    if (!p) {
      return;
    }
    if (!group.empty() && group.front().send_at != p->send_at) {
      flush();
    }
    group.push_back(std::move(*p));
  });
  flush();
}

RunResult queue_planned(accounts::Session& s, const requests::Env& env, std::vector<Planned> batch) {
  RunResult out;
  for (auto& p : batch) {
    const std::string key = fmt::format("reminder:{}", p.number);
    std::vector<int64_t> ids;
    if (p.item.kind == "request") {
      ids = requests::notify_recipients(s, env, requests::get_request(s.db, p.item.id), "reminder", key,
                                        std::nullopt);
    } else {
      ids = approvals::notify_contacts(s, env, approvals::get_approval(s.db, p.item.id), "reminder", key,
                                       std::nullopt);
    }
    // Planned outside this transaction: a run at the same moment may have
    // queued it already (every email's dedupe key was taken). Then it is
    // that run's to count.
    if (ids.empty()) {
      continue;
    }
    ReminderStore(s.db).count_reminder(p.item, s.now);
    audit::AuditLog(s.db).record(s.now, audit::Actor::system(), p.item.account_id,
                                 fmt::format("{}:{}", p.item.kind, p.item.id), "reminder_sent",
                                 {{"number", p.number}, {"of", p.item.settings.count}, {"emails", ids.size()}});
    out.outbox_ids.insert(out.outbox_ids.end(), ids.begin(), ids.end());
    out.due.push_back(std::move(p));
  }
  return out;
}

RunResult queue_due(accounts::Session& s, const requests::Env& env, const Calendar& c, int limit, DryRun dry) {
  auto due = due_reminders(s.db, c, s.now, limit);
  if (dry == DryRun::yes) {
    return RunResult{std::move(due), {}};
  }
  return queue_planned(s, env, std::move(due));
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
    bool awaits = false;
    for (const auto& i : ReminderStore(db).item(kind, *id)) {
      if (i.kind == kind && i.id == *id) {
        if (i.stopped) {
          return std::string("its job was archived");
        }
        if (i.paused) {
          return std::string("the client's reminders are paused");
        }
        awaits = true;
      }
    }
    if (!awaits) {
      return fmt::format("{} {} no longer awaits the client", kind, *id);
    }
    // After an outage several reminders for one item may wait for the same
    // recipient: only the newest goes (a resend counts as one).
    const auto newer = mail::OutboxStore(db).newer_for_recipient(row, {"reminder", "resend"});
    if (!newer) {
      return std::nullopt;
    }
    const std::string why = superseded_by(*newer);
    nlohmann::json details = {{"outbox", row.id}, {"to", row.rcpt}, {"reason", why}};
    if (const auto n = reminder_number(row.dedupe_key)) {
      details["number"] = *n;
    }
    audit::AuditLog(db).record(row.claimed_at.value_or(row.created_at), audit::Actor::system(), row.account_id,
                               *row.item, "reminder_cancelled", details);
    return why;
  };
}

std::vector<TodoEntry> todo(storage::Database& db, int64_t account_id) { return ReminderStore(db).todo(account_id); }

} // namespace practice::reminders
