#pragma once

#include "practice/accounts/model.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/audit/people.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

// JSON objects and human text for each record: the one place their field
// names are spelled (they are a contract; see man/ JSON FIELDS).
namespace practice::cli {

// A value, or null when absent (cli.md: absent values are null, not missing).
template <typename T> nlohmann::ordered_json opt_json(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

// An empty object with room for `keys` keys. Fill records' objects key by
// key into one of these: nlohmann's initializer lists copy every value
// twice, and a key vector grown one key at a time moves every key each
// time; both show on lists of 100,000 records.
nlohmann::ordered_json json_object(size_t keys);

nlohmann::ordered_json time_json(const std::optional<util::TimePoint>& t);
std::string time_text(const std::optional<util::TimePoint>& t);

// `language` is the one it writes to clients in (accounts::firm_language).
nlohmann::ordered_json to_json(const accounts::Firm& firm, std::string_view language);
nlohmann::ordered_json to_json(const accounts::Staff& staff);
nlohmann::ordered_json to_json(const accounts::Account& account);
// The compact text of to_json(account), appended without building the tree
// (listings of 10,000 accounts): string values still go through nlohmann's
// serializer, keys are fixed names. A unit test holds the two equal.
void append_compact_json(std::string& out, const accounts::Account& account);
nlohmann::ordered_json to_json(const accounts::Contact& contact);
// `actor`: the entry's actor as People resolves them now.
nlohmann::ordered_json to_json(const audit::AuditEntry& entry, const audit::Person& actor);

// Sets j[key] to the person ({id, name, email}, null for the system) and
// j[key + "_kind"] to the kind of actor (staff, contact, third_party, system,
// os_user); an absent person (not decided yet) sets both to null.
void put_person(nlohmann::ordered_json& j, const std::string& key, const std::optional<audit::Person>& p);
// A person in tables and confirmations: as the audit trail names them.
std::string person_text(const std::optional<audit::Person>& p);

std::string on_off(bool b);

// A size as people read it: "512 bytes", "2.1 kB", "3.4 MB" (1024-based).
std::string size_text(int64_t bytes);

} // namespace practice::cli
