#pragma once

#include "practice/storage/copy.hpp"
#include "practice/storage/database.hpp"

#include <cstdint>
#include <string>

// db migrate: a firm's SQLite file copied whole into an empty PostgreSQL
// database, which then runs the firm (cli.md: `practice db migrate --to URL`).
namespace practice::app {

struct MigrateInputs {
  std::string from_path; // the SQLite file; its link key and file store are beside it
  std::string to_url;    // postgresql://...
  // The target's link key file ([database] key_file, resolved), or "" when
  // the config names none.
  std::string key_file;
  int busy_timeout_ms = 10000;
};

// What became of the link key, which never goes into the database.
enum class KeyFileState {
  not_set,  // no key_file configured: the user names the source's key file as key_file
  same,     // key_file is the source's key file, or holds the same key
  copied,   // key_file did not exist: the source's key was copied there (0600)
  no_key,   // no key_file, and the source has no key (no link was ever made)
  none_yet, // key_file is set and the source has no key: the first link makes it there
};

struct MigrateReport {
  std::string to; // the URL without its password
  storage::CopyReport copy;
  int64_t audit_rows = 0;
  // The key file the new database runs with: key_file, else the source's.
  std::string key_file;
  KeyFileState key_state = KeyFileState::not_set;
};

// The checks db migrate makes before it opens anything: UsageError when
// `from_path` names a PostgreSQL database (only a SQLite firm is copied),
// InvalidInput when `to_url` is not a postgresql:// URL.
void check_migration(const std::string& from_path, const std::string& to_url);

// Copies the firm in `from` (open on in.from_path, at the current schema)
// into the empty PostgreSQL database in.to_url: the schema, then every
// table's rows, the stored files' bytes and the sequences, all in one
// transaction there, which commits only when the copy's audit chain
// verifies and matches the source's. Refuses with nothing changed on either
// side: check_migration's errors; InvalidInput when the source's audit chain
// does not verify; ConfigError (or NotFound for a database that does not
// exist) when the target cannot be reached; Conflict when it is not empty,
// or when key_file holds another key than the source's.
MigrateReport migrate_firm(storage::Database& from, const MigrateInputs& in);

} // namespace practice::app
