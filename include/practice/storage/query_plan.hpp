#pragma once

#include "practice/storage/database.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace practice::storage {

// How SQLite would run `sql` (EXPLAIN QUERY PLAN, its parameters unbound):
// one line per step as the sqlite3 shell's .eqp prints them, such as
// "SEARCH r USING INDEX requests_account (account_id=?)" or "USE TEMP B-TREE
// FOR ORDER BY", each indented two spaces per level. For tests that hold the
// stores' statements to their indexes.
std::vector<std::string> query_plan(Database& db, std::string_view sql);

} // namespace practice::storage
