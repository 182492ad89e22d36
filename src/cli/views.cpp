#include "views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace practice::cli {

using json = nlohmann::ordered_json;

json time_json(const std::optional<util::TimePoint>& t) {
  return t ? json(util::format_iso(*t)) : json(nullptr);
}

std::string time_text(const std::optional<util::TimePoint>& t) {
  return t ? util::format_iso(*t) : std::string("-");
}

std::string on_off(bool b) { return b ? "yes" : "no"; }

std::string size_text(int64_t bytes) {
  if (bytes >= 1024 * 1024) {
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  }
  if (bytes >= 1024) {
    return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1024.0);
  }
  return fmt::format("{} bytes", bytes);
}

void put_person(json& j, const std::string& key, const std::optional<audit::Person>& p) {
  j[key] = p ? audit::person_json(*p) : json(nullptr);
  j[key + "_kind"] = p ? json(audit::to_string(p->actor.kind)) : json(nullptr);
}

std::string person_text(const std::optional<audit::Person>& p) { return p ? p->actor.name : std::string("-"); }

json json_object(size_t keys) {
  json j = json::object();
  j.get_ref<json::object_t&>().reserve(keys);
  return j;
}

json to_json(const accounts::Firm& firm, std::string_view language) {
  json j = json_object(4);
  j["name"] = firm.name;
  j["email"] = opt_json(firm.email);
  j["language"] = language;
  j["created_at"] = time_json(firm.created_at);
  return j;
}

json to_json(const accounts::Staff& s) {
  json j = json_object(7);
  j["id"] = s.id;
  j["name"] = s.name;
  j["email"] = s.email;
  j["role"] = to_string(s.role);
  j["view_all_accounts"] = s.view_all_accounts;
  j["created_at"] = time_json(s.created_at);
  j["removed_at"] = time_json(s.removed_at);
  return j;
}

json to_json(const accounts::Account& a) {
  json assigned = json::array();
  for (const auto& r : a.assigned) {
    json x = json_object(3);
    x["id"] = r.id;
    x["name"] = r.name;
    x["email"] = r.email;
    assigned.push_back(std::move(x));
  }
  json j = json_object(9);
  j["id"] = a.id;
  j["name"] = a.name;
  j["type"] = to_string(a.type);
  j["contact_count"] = a.contact_count;
  j["assigned"] = std::move(assigned);
  j["created_at"] = time_json(a.created_at);
  j["archived_at"] = time_json(a.archived_at);
  j["reminders_paused"] = a.reminders_paused;
  j["reminders_paused_until"] = time_json(a.reminders_paused_until);
  return j;
}

namespace {

void append_string(std::string& out, std::string_view s) {
  // Printable ASCII other than '"' and '\\' is its own JSON text; anything
  // else (escapes, UTF-8 to check) goes through nlohmann's serializer.
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += s;
    out += '"';
  } else {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

void append_time(std::string& out, const std::optional<util::TimePoint>& t) {
  if (t) {
    out += '"';
    out += util::format_iso(*t); // digits, '-', ':', 'T', 'Z': nothing to escape
    out += '"';
  } else {
    out += "null";
  }
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

} // namespace

void append_compact_json(std::string& out, const accounts::Account& a) {
  out += R"({"id":)";
  append_int(out, a.id);
  out += R"(,"name":)";
  append_string(out, a.name);
  out += R"(,"type":")";
  out += to_string(a.type); // "individual", "company", ...: plain words
  out += R"(","contact_count":)";
  append_int(out, a.contact_count);
  out += R"(,"assigned":[)";
  bool first = true;
  for (const auto& r : a.assigned) {
    out += first ? R"({"id":)" : R"(,{"id":)";
    first = false;
    append_int(out, r.id);
    out += R"(,"name":)";
    append_string(out, r.name);
    out += R"(,"email":)";
    append_string(out, r.email);
    out += '}';
  }
  out += R"(],"created_at":)";
  append_time(out, a.created_at);
  out += R"(,"archived_at":)";
  append_time(out, a.archived_at);
  out += a.reminders_paused ? R"(,"reminders_paused":true)" : R"(,"reminders_paused":false)";
  out += R"(,"reminders_paused_until":)";
  append_time(out, a.reminders_paused_until);
  out += '}';
}

json to_json(const accounts::Contact& c) {
  json j = json_object(9);
  j["id"] = c.id;
  j["account_id"] = c.account_id;
  j["account"] = c.account_name;
  j["name"] = c.name;
  j["email"] = c.email;
  j["notify"] = c.notify;
  j["portal"] = c.portal;
  j["language"] = c.language ? json(*c.language) : json(nullptr);
  j["created_at"] = time_json(c.created_at);
  return j;
}

json to_json(const audit::AuditEntry& e, const audit::Person& actor) {
  json details = json::parse(e.details, nullptr, false);
  if (details.is_discarded()) {
    details = e.details;
  }
  json j = json_object(10);
  j["id"] = e.id;
  j["at"] = e.at;
  put_person(j, "actor", actor);
  j["account_id"] = opt_json(e.account_id);
  j["item"] = e.item;
  j["action"] = e.action;
  j["details"] = std::move(details);
  j["hash"] = e.hash;
  return j;
}

} // namespace practice::cli
