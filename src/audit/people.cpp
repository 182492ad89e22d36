#include "practice/audit/people.hpp"

namespace practice::audit {

Person People::person(const Actor& actor) {
  Person p{actor, std::nullopt, std::nullopt};
  if (actor.id && (actor.kind == ActorKind::staff || actor.kind == ActorKind::contact)) {
    const auto key = std::make_pair(actor.kind, *actor.id);
    auto it = m_known.find(key);
    if (it == m_known.end()) {
      storage::Statement s(m_db, actor.kind == ActorKind::staff ? "SELECT name, email FROM staff WHERE id = ?"
                                                                : "SELECT name, email FROM contacts WHERE id = ?");
      s.bind(1, *actor.id);
      auto found = s.step() ? std::make_pair(s.opt_text(0), s.opt_text(1))
                            : std::make_pair(std::optional<std::string>(), std::optional<std::string>());
      it = m_known.emplace(key, std::move(found)).first;
    }
    p.name = it->second.first;
    p.email = it->second.second;
  }
  // What the record itself says, when no staff member or contact answers for it.
  if (!p.email && actor.kind != ActorKind::system && actor.kind != ActorKind::os_user &&
      actor.name.find('@') != std::string::npos) {
    p.email = actor.name;
  }
  if (!p.name && actor.kind == ActorKind::os_user) {
    p.name = actor.name;
  }
  return p;
}

nlohmann::ordered_json person_json(const Person& p) {
  if (p.actor.kind == ActorKind::system) {
    return nullptr;
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["id"] = p.actor.id ? nlohmann::ordered_json(*p.actor.id) : nlohmann::ordered_json(nullptr);
  j["name"] = p.name ? nlohmann::ordered_json(*p.name) : nlohmann::ordered_json(nullptr);
  j["email"] = p.email ? nlohmann::ordered_json(*p.email) : nlohmann::ordered_json(nullptr);
  return j;
}

Actor read_actor(const storage::Statement& s, int first) {
  Actor a;
  a.name = s.text(first);
  a.kind = parse_actor_kind(s.text_view(first + 1)).value_or(ActorKind::system);
  a.id = s.opt_int64(first + 2);
  return a;
}

} // namespace practice::audit
