#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace practice::audit {

enum class ActorKind { staff, contact, third_party, system, os_user };

std::string_view to_string(ActorKind kind);
std::optional<ActorKind> parse_actor_kind(std::string_view s);

// Who did something: a staff member, a client contact, a third party (by
// email), the system (cron, automations) or, before any staff exist, the OS user.
struct Actor {
  ActorKind kind = ActorKind::system;
  std::optional<int64_t> id; // staff or contact id
  std::string name;          // what the audit trail shows

  static Actor system() { return {ActorKind::system, std::nullopt, "system"}; }
};

// Someone a record names as having acted (created, uploaded, requested,
// decided, answered): the actor as the record stores them, with the staff
// member's or contact's name and email as they are now (unset for the
// system, a third party's name, an OS user's email).
struct Person {
  Actor actor;
  std::optional<std::string> name;
  std::optional<std::string> email;
};

} // namespace practice::audit
