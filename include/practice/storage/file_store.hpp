#pragma once

#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace practice::storage {

struct StoredFile {
  std::string sha256;
  int64_t size = 0;
};

// Files by content: <root>/<first two hex digits>/<sha256>, 0600 in 0700
// folders. On PostgreSQL each content is kept in the database as well, and
// <root> is this machine's cache of them. A file's own name is never used for a path in the store, so no
// name can write outside it. Identical contents are stored once.
class FileStore {
public:
  FileStore(std::string root, int64_t max_size) : m_root(std::move(root)), m_max_size(max_size) {}

  // Copies `source` into the store (temp file, fsync, rename) and records it
  // in `db` (call inside the command's transaction). Throws NotFound when the
  // source cannot be read, InvalidInput when it is not a regular file or is
  // over the size limit.
  StoredFile put(Database& db, const std::string& source, util::TimePoint now);

  // Where the content with this hash lives.
  std::string path_of(const std::string& sha256) const;
  // The same, made sure to be there: on PostgreSQL the store is a cache of
  // the database's copy (stored_file_contents), filled on first use.
  std::string local_path(Database& db, const std::string& sha256) const;

private:
  std::string m_root;
  int64_t m_max_size;
};

// Every content the store's index lists, by hash.
std::vector<StoredFile> list_stored_files(Database& db);

// Makes `dir` ready for files copied out of the store: creates it (0700), or
// takes a folder that exists and is empty. Throws Conflict when something is
// there already (a file, or a folder with anything in it), InvalidInput when
// it cannot be created or read.
void prepare_export_dir(const std::string& dir);

// A file name safe to show and to create in a folder of the user's choosing:
// the last path component, control characters and slashes removed, never
// "", "." or "..".
std::string safe_file_name(const std::string& name);

} // namespace practice::storage
