#pragma once

#include "practice/storage/database.hpp"

namespace practice::storage {

// The schema version this build writes.
int latest_schema_version();

// The schema version stored in `db` (0 for a new, empty file).
int schema_version(Database& db);

// Applies every pending numbered migration, each in its own transaction that
// also sets PRAGMA user_version. Returns how many were applied. Throws
// ConfigError when the file belongs to another application or was written by
// a newer practice.
int apply_migrations(Database& db);
// The same, up to schema `version` only (tests of a migration's backfill).
int apply_migrations(Database& db, int target);

// Where the migrations run: each in a write transaction of its own, or all
// in the one the caller holds open on `db` (db migrate: the schema and the
// copied rows commit together, so a copy that fails leaves no schema behind).
enum class MigrationTx { own, callers };
int apply_migrations(Database& db, int target, MigrationTx in);

} // namespace practice::storage
