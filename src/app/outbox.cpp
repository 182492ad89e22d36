#include "practice/app/outbox.hpp"

#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/mail/outbox_store.hpp"

#include <fmt/format.h>

namespace practice::app {

std::vector<int64_t> retry_mail(accounts::Session& s, std::optional<int64_t> id) {
  mail::OutboxStore store(s.db);
  std::vector<int64_t> chosen = id ? std::vector<int64_t>{*id} : store.failed_ids();
  for (const auto one : chosen) {
    const auto row = store.get(one);
    if (!row) {
      throw NotFound(fmt::format("no outbox message with id {}", one));
    }
    if (!store.retry(one, s.now)) {
      throw Conflict(fmt::format("outbox message {} is {}, not failed", one, to_string(row->state)),
                     "only failed messages can be retried");
    }
    audit::AuditLog(s.db).record(s.now, s.actor, row->account_id, fmt::format("outbox:{}", one), "retried",
                                 {{"to", row->rcpt}});
  }
  return chosen;
}

} // namespace practice::app
