#pragma once

// SQL fragments that SQLite and PostgreSQL spell differently. Everything
// else in the stores is one SQL text for both: IS DISTINCT FROM rather than
// IS NOT, CASE rather than arithmetic on a comparison, `flag = 1` rather than
// an integer used as a truth value, CAST on a parameter the server cannot
// type by itself.

#include "practice/storage/database.hpp"

#include <string>
#include <string_view>

namespace practice::storage::sql {

// The values of the JSON array in parameter `param` (such as "?4") as the
// rows of a subquery, for `x IN <this>`: integers when `integers`, else text.
std::string json_values(Dialect d, std::string_view param, bool integers);
// Seconds since the epoch of an ISO 8601 text expression.
std::string epoch_seconds(Dialect d, std::string_view expr);
// The larger of two values (SQLite's two-argument max()).
std::string greatest(Dialect d, std::string_view a, std::string_view b);
// The aggregate that joins a group's values with a separator (SQLite's
// group_concat, PostgreSQL's string_agg), as a function name.
std::string_view join_aggregate(Dialect d);
// A text parameter stored in a message column (BLOB on SQLite, text on PostgreSQL).
std::string message_value(Dialect d, std::string_view param);

} // namespace practice::storage::sql
