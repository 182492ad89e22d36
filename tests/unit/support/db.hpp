#pragma once

#include "practice/accounts/session.hpp"
#include "practice/storage/database.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/util/time.hpp"

#include <memory>

namespace practice::test {

// A migrated in-memory database.
inline std::unique_ptr<storage::Database> memory_db() {
  auto db = std::make_unique<storage::Database>(":memory:", storage::OpenMode::create);
  storage::apply_migrations(*db);
  return db;
}

inline util::TimePoint at(const char* iso) { return *util::parse_iso(iso); }

} // namespace practice::test
