#include "practice/accounts/session.hpp"

#include "practice/accounts/account_store.hpp"
#include "practice/accounts/permissions.hpp"
#include "practice/accounts/staff_store.hpp"
#include "practice/error.hpp"

#include <fmt/format.h>

namespace practice::accounts {

Session make_session(storage::Database& db, util::TimePoint now,
                     const std::optional<std::string>& as, const std::string& os_user) {
  Session s{db, now, audit::Actor::system(), std::nullopt, false, std::nullopt};
  StaffStore staff(db);
  if (staff.count_active() == 0) {
    s.open_access = true;
    s.actor = {audit::ActorKind::os_user, std::nullopt, as.value_or(os_user)};
    return s;
  }
  if (!as || as->empty()) {
    s.actor = {audit::ActorKind::os_user, std::nullopt, os_user};
    return s;
  }
  try {
    s.staff = staff.resolve(*as);
  } catch (const NotFound& e) {
    throw PermissionDenied(fmt::format("cannot act as \"{}\": {}", *as, e.what()),
                           "pass --as with a staff member's id, email or name");
  }
  s.actor = {audit::ActorKind::staff, s.staff->id, s.staff->email};
  return s;
}

Session make_client_session(storage::Database& db, util::TimePoint now, const Client& client) {
  Session s{db, now, audit::Actor::system(), std::nullopt, false, client};
  s.actor = {client.contact_id ? audit::ActorKind::contact : audit::ActorKind::third_party, client.contact_id,
             client.email};
  return s;
}

void require_staff_actor(const Session& s) {
  if (s.client) {
    throw PermissionDenied("a client cannot do this");
  }
  if (!s.open_access && !s.staff) {
    throw PermissionDenied("no acting staff member is set",
                           "pass --as STAFF, set PRACTICE_USER, or set user = \"...\" in config.toml");
  }
}

void require_item_access(const Session& s, int64_t account_id) {
  if (s.client) {
    if (s.client->account_id != account_id) {
      throw PermissionDenied("a client can act only on their own account's items");
    }
    return;
  }
  require_account_access(s, account_id);
}

void require_account_access(const Session& s, int64_t account_id) {
  require_staff_actor(s);
  if (!s.staff) {
    return;
  }
  AccountStore accounts(s.db);
  if (!may_work_on_account(*s.staff, accounts.is_assigned(account_id, s.staff->id))) {
    const auto a = accounts.get(account_id);
    const std::string name = a ? a->name : std::to_string(account_id);
    throw PermissionDenied(fmt::format("{} is not assigned to account \"{}\"", s.staff->email, name),
                           fmt::format("ask an admin to run 'practice account assign {} {}'", account_id,
                                       s.staff->email));
  }
}

} // namespace practice::accounts
