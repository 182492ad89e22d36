#include "views.hpp"

namespace practice::cli {

using nlohmann::json;

json time_json(const std::optional<util::TimePoint>& t) {
  return t ? json(util::format_iso(*t)) : json(nullptr);
}

std::string time_text(const std::optional<util::TimePoint>& t) {
  return t ? util::format_iso(*t) : std::string("-");
}

std::string on_off(bool b) { return b ? "yes" : "no"; }

json to_json(const accounts::Firm& firm) {
  return {{"name", firm.name},
          {"email", firm.email ? json(*firm.email) : json(nullptr)},
          {"created_at", time_json(firm.created_at)}};
}

json to_json(const accounts::Staff& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"email", s.email},
          {"role", to_string(s.role)},
          {"view_all_accounts", s.view_all_accounts},
          {"created_at", time_json(s.created_at)},
          {"removed_at", time_json(s.removed_at)}};
}

json to_json(const accounts::Account& a) {
  json assigned = json::array();
  for (const auto& r : a.assigned) {
    assigned.push_back({{"id", r.id}, {"name", r.name}, {"email", r.email}});
  }
  return {{"id", a.id},
          {"name", a.name},
          {"type", to_string(a.type)},
          {"contact_count", a.contact_count},
          {"assigned", assigned},
          {"created_at", time_json(a.created_at)},
          {"archived_at", time_json(a.archived_at)}};
}

json to_json(const accounts::Contact& c) {
  return {{"id", c.id},
          {"account_id", c.account_id},
          {"account", c.account_name},
          {"name", c.name},
          {"email", c.email},
          {"notify", c.notify},
          {"portal", c.portal},
          {"created_at", time_json(c.created_at)}};
}

json to_json(const audit::AuditEntry& e) {
  json details = json::parse(e.details, nullptr, false);
  if (details.is_discarded()) {
    details = e.details;
  }
  return {{"id", e.id},
          {"at", e.at},
          {"actor", e.actor.name},
          {"actor_kind", audit::to_string(e.actor.kind)},
          {"actor_id", e.actor.id ? json(*e.actor.id) : json(nullptr)},
          {"account_id", e.account_id ? json(*e.account_id) : json(nullptr)},
          {"item", e.item},
          {"action", e.action},
          {"details", details},
          {"hash", e.hash}};
}

} // namespace practice::cli
