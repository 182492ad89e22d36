#pragma once

#include "practice/accounts/model.hpp"
#include "practice/audit/actor.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <optional>
#include <string>

namespace practice::accounts {

// A client acting through the portal: a contact of one account, or a third
// party, holding the link of one item (the portal checks which).
struct Client {
  int64_t account_id = 0;
  std::optional<int64_t> contact_id; // none: a third party
  std::string email;
};

// Everything one command or portal action runs with: the database, the one
// instant it happens at, and who acts.
struct Session {
  storage::Database& db;
  util::TimePoint now;
  audit::Actor actor;
  std::optional<Staff> staff;   // the acting staff member, when one acts
  bool open_access = false;     // no staff exist yet: anyone may act
  std::optional<Client> client; // a client through the portal: no staff rights
};

// Works out who acts. `as` (id, email or name) must name an active staff
// member (else PermissionDenied). While no staff exist, anyone may act: the
// actor is `as` or `os_user`. With staff and no `as`, the session has no staff
// actor and commands that change things refuse (see require_staff_actor).
Session make_session(storage::Database& db, util::TimePoint now,
                     const std::optional<std::string>& as, const std::string& os_user);

// A session for a client acting through the portal: actor kind contact or
// third_party, named by address. Staff-only operations refuse it.
Session make_client_session(storage::Database& db, util::TimePoint now, const Client& client);

// Throws PermissionDenied unless a staff member acts (or no staff exist yet);
// a client never passes.
void require_staff_actor(const Session& s);

// Throws PermissionDenied unless the actor may work on the account: owner,
// admin, "view all accounts", or assigned to it (see permissions.hpp). A
// client never may: this guards everything only the firm does.
void require_account_access(const Session& s, int64_t account_id);

// For what a client does to an item sent to them (answer, submit, approve,
// disapprove): a client of that account, or staff who may work on it
// (entering it on the client's behalf). Throws PermissionDenied otherwise.
void require_item_access(const Session& s, int64_t account_id);

} // namespace practice::accounts
