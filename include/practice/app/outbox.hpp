#pragma once

#include "practice/accounts/session.hpp"

#include <cstdint>
#include <optional>
#include <vector>

// Changes to the outbox by hand. They live here, not in mail, because each
// is audited and mail comes before audit in the module order.
namespace practice::app {

// Puts failed outbox messages back in the queue, due now, with a fresh
// attempt count, each audited (outbox:ID "retried"): the message `id`, or
// with nullopt every failed one. Returns their ids, for delivery after the
// commit. Throws NotFound when there is no message `id`, Conflict when it is
// not failed.
std::vector<int64_t> retry_mail(accounts::Session& s, std::optional<int64_t> id);

} // namespace practice::app
