#include "practice/storage/query_plan.hpp"

#include <map>

namespace practice::storage {

std::vector<std::string> query_plan(Database& db, std::string_view sql) {
  std::string explain = "EXPLAIN QUERY PLAN ";
  explain += sql;
  Statement s(db, explain);
  // Rows come parent first: (id, parent, notused, detail).
  std::map<int64_t, int> depth;
  std::vector<std::string> out;
  while (s.step()) {
    const auto parent = depth.find(s.int64(1));
    const int level = parent == depth.end() ? 0 : parent->second + 1;
    depth[s.int64(0)] = level;
    out.push_back(std::string(static_cast<size_t>(level) * 2, ' ') + s.text(3));
  }
  return out;
}

} // namespace practice::storage
