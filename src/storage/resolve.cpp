#include "practice/storage/resolve.hpp"

#include "practice/error.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace practice::storage {

namespace {

void bind_scope(Statement& s, std::optional<int64_t> scope) {
  if (s.parameter_count() >= 2) {
    s.bind(2, scope);
  }
}

} // namespace

int64_t resolve_ref(Database& db, const RefQueries& q, std::string_view ref,
                    std::optional<int64_t> scope) {
  const std::string key(util::trim(ref));
  if (key.empty()) {
    throw InvalidInput(fmt::format("the {} to use must not be empty", q.noun));
  }
  if (const auto id = util::parse_int(key); id && key.find_first_not_of("0123456789") == std::string::npos) {
    Statement s(db, q.by_id);
    s.bind(1, *id);
    bind_scope(s, scope);
    if (s.step()) {
      return s.int64(0);
    }
    throw NotFound(fmt::format("no {} with id {}", q.noun, *id));
  }
  Statement s(db, q.by_key);
  s.bind(1, key);
  bind_scope(s, scope);
  std::vector<std::pair<int64_t, std::string>> found;
  std::vector<int64_t> preferred;
  const bool ranks = s.column_count() >= 3;
  while (s.step()) {
    found.emplace_back(s.int64(0), s.text(1));
    if (ranks && s.int64(2) == 1) {
      preferred.push_back(s.int64(0));
    }
  }
  if (found.size() == 1) {
    return found.front().first;
  }
  if (found.size() > 1 && preferred.size() == 1) {
    return preferred.front();
  }
  if (found.size() > 1) {
    std::string list;
    for (const auto& [id, label] : found) {
      list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", id, label);
    }
    throw InvalidInput(fmt::format("{} {} \"{}\" is ambiguous: {}", q.noun, q.key_name, key, list),
                       "use the id instead");
  }
  Statement all(db, q.all_keys);
  bind_scope(all, scope);
  std::vector<std::string> keys;
  while (all.step()) {
    keys.push_back(all.text(0));
  }
  if (const auto near = util::closest_match(key, keys)) {
    throw NotFound(fmt::format("no {} named \"{}\"; did you mean \"{}\"?", q.noun, key, *near));
  }
  throw NotFound(fmt::format("no {} named \"{}\"", q.noun, key));
}

} // namespace practice::storage
