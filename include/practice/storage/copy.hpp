#pragma once

#include "practice/storage/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

// Copying a firm from its SQLite file into a PostgreSQL database that holds
// the same schema and nothing else (db migrate; app/migrate.hpp runs it).
namespace practice::storage {

struct CopyReport {
  int tables = 0;         // the source's tables, each copied whole (empty ones too)
  int64_t rows = 0;       // their rows
  int files = 0;          // stored files whose bytes went into stored_file_contents
  int64_t file_bytes = 0; // their size
};

// A table and the tables its foreign keys point at.
struct TableRefs {
  std::string name;
  std::vector<std::string> references;
};

// The names of `tables` in an order that puts every table after the tables
// it references (a reference to itself or to a table not listed does not
// count); tables that could go in either order keep the order given. Throws
// InternalError when references go round in a circle. Pure.
std::vector<std::string> foreign_key_order(const std::vector<TableRefs>& tables);

// What the current schema of the PostgreSQL database `db` already holds that
// a firm's schema would have to sit beside or would clash with: its tables
// and views, and a collation or function of a name practice's schema
// creates, each as "table accounts" and the like: tables and views first,
// each kind in name order. Empty for an empty database.
std::vector<std::string> existing_objects(Database& db);

// Copies every table of the SQLite database `from` into `to` (PostgreSQL,
// with practice's schema at the same version and no rows), in foreign-key
// order, each row and column as it is, ids kept; then the bytes of every
// stored file from the SQLite file store at `files_root` into
// stored_file_contents, moves every identity column's sequence past the
// copied ids and gathers the planner's statistics (ANALYZE). Call with a read transaction open on `from` and a write
// transaction on `to`; nothing is committed here. Only columns both sides
// have are copied; a table or column of the source that `to` lacks is an
// InternalError (the two schemas are twins), a stored file that is missing
// NotFound and one whose bytes no longer match its hash InvalidInput.
CopyReport copy_firm(Database& from, Database& to, const std::string& files_root);

} // namespace practice::storage
