#pragma once

#include "practice/audit/actor.hpp"
#include "practice/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <utility>

namespace practice::audit {

// Fills in a Person's current name and email from the staff and contacts
// tables. One per read: each staff member or contact is looked up once, so
// a list of 300,000 requests made by five people costs five lookups.
class People {
public:
  explicit People(storage::Database& db) : m_db(db) {}

  Person person(const Actor& actor);

private:
  storage::Database& m_db;
  std::map<std::pair<ActorKind, int64_t>, std::pair<std::optional<std::string>, std::optional<std::string>>> m_known;
};

// The actor a record stores as three columns: `<who>` (the name the audit
// trail shows), `<who>_kind` and `<who>_id`, read from column `first` on.
Actor read_actor(const storage::Statement& s, int first);

// A person in JSON output: {id, name, email}, or null for the system (the
// `<field>_kind` beside it says which kind of actor it was).
nlohmann::ordered_json person_json(const Person& p);

} // namespace practice::audit
