#pragma once

#include "practice/storage/database.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace practice::storage {

// How to find one kind of record from what a user typed.
struct RefQueries {
  std::string_view noun;     // "account", "staff member"
  std::string_view key_name; // "name", "name or email"
  std::string_view by_id;    // SELECT id FROM ... WHERE id = ?1
  std::string_view by_key;   // SELECT id, label[, preferred] FROM ... WHERE <exact key> = ?1
                             // (of several matches, the one preferred (1) wins: the active one)
  std::string_view all_keys; // SELECT key FROM ...  (for "did you mean")
};

// Turns `ref` (an integer id, or an exact key) into an id. Throws NotFound
// (with "did you mean" for a near miss) or InvalidInput listing the
// candidates when the key is ambiguous. Queries with a second parameter get
// `scope` bound to it (e.g. the account a contact must belong to).
int64_t resolve_ref(Database& db, const RefQueries& q, std::string_view ref,
                    std::optional<int64_t> scope = std::nullopt);

} // namespace practice::storage
