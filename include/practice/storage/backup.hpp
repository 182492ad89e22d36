#pragma once

#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <string>

// A firm in one tar file: a consistent copy of the database, its link key
// (without which every link in every email dies) and the stored files the
// copy refers to. Moving a firm is backup here, restore there.
namespace practice::storage {

struct FirmPaths {
  std::string db;         // the database file
  std::string key;        // its link key
  std::string files_root; // the content-addressed store
};

struct BackupReport {
  int schema_version = 0;
  int64_t database_bytes = 0;
  int files = 0;
  int64_t file_bytes = 0;
  int64_t archive_bytes = 0;
};

// Writes `archive` (a new file, 0600; Conflict when something is there) from
// `db`, open on paths.db, while other connections go on writing: the copy is
// SQLite's VACUUM INTO, one read snapshot, checked with integrity_check
// before it goes in. NotFound when the key or a stored file is missing.
BackupReport backup_firm(Database& db, const FirmPaths& paths, const std::string& archive, util::TimePoint now);

struct RestoreReport {
  int schema_version = 0;
  int64_t database_bytes = 0;
  int files = 0;
  util::TimePoint created_at; // when the backup was taken
};

// Puts the firm in `archive` at `paths`: the database (its old -wal and -shm
// removed), the key, and the files (each checked against its hash). Refuses
// (Conflict) when a database is there already unless `force`; InvalidInput
// when the archive is not a practice backup or is damaged, before anything
// is replaced.
RestoreReport restore_firm(const std::string& archive, const FirmPaths& paths, bool force);

} // namespace practice::storage
