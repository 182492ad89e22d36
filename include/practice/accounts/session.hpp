#pragma once

#include "practice/accounts/model.hpp"
#include "practice/audit/actor.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <optional>
#include <string>

namespace practice::accounts {

// Everything one command runs with: the database, the one instant it happens
// at, and who acts.
struct Session {
  storage::Database& db;
  util::TimePoint now;
  audit::Actor actor;
  std::optional<Staff> staff; // the acting staff member, when one acts
  bool open_access = false;   // no staff exist yet: anyone may act
};

// Works out who acts. `as` (id, email or name) must name an active staff
// member (else PermissionDenied). While no staff exist, anyone may act: the
// actor is `as` or `os_user`. With staff and no `as`, the session has no staff
// actor and commands that change things refuse (see require_staff_actor).
Session make_session(storage::Database& db, util::TimePoint now,
                     const std::optional<std::string>& as, const std::string& os_user);

// Throws PermissionDenied unless a staff member acts (or no staff exist yet).
void require_staff_actor(const Session& s);

// Throws PermissionDenied unless the actor may work on the account: owner,
// admin, "view all accounts", or assigned to it (see permissions.hpp).
void require_account_access(const Session& s, int64_t account_id);

} // namespace practice::accounts
