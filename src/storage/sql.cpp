#include "practice/storage/sql.hpp"

#include <fmt/format.h>

namespace practice::storage::sql {

std::string json_values(Dialect d, std::string_view param, bool integers) {
  if (d == Dialect::sqlite) {
    return fmt::format("(SELECT value FROM json_each({}))", param);
  }
  return integers ? fmt::format("(SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST({} AS json)))", param)
                  : fmt::format("(SELECT value FROM json_array_elements_text(CAST({} AS json)))", param);
}

std::string epoch_seconds(Dialect d, std::string_view expr) {
  if (d == Dialect::sqlite) {
    return fmt::format("unixepoch({})", expr);
  }
  return fmt::format("CAST(extract(epoch FROM CAST({} AS timestamptz)) AS bigint)", expr);
}

std::string greatest(Dialect d, std::string_view a, std::string_view b) {
  return fmt::format("{}({}, {})", d == Dialect::sqlite ? "max" : "greatest", a, b);
}

std::string_view join_aggregate(Dialect d) { return d == Dialect::sqlite ? "group_concat" : "string_agg"; }

std::string message_value(Dialect d, std::string_view param) {
  return d == Dialect::sqlite ? fmt::format("CAST({} AS BLOB)", param) : std::string(param);
}

} // namespace practice::storage::sql
