#include "practice/app/migrate.hpp"

#include "practice/app/workspace.hpp"
#include "practice/audit/audit_log.hpp"
#include "practice/error.hpp"
#include "practice/requests/link_key_store.hpp"
#include "practice/requests/links.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/util/fd.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace practice::app {

namespace {

// `path` from the root: the key file is named in a config, where a relative
// path would start at the config's folder, not at the working directory.
std::string absolute(const std::string& path) {
  std::error_code ec;
  const auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {};
  struct stat sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// `key` into the new file `path` (0600), as load_or_create_link_key makes
// one: a whole file or none. False when another process made it meanwhile.
bool write_key_file(const std::string& path, const std::string& key) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    util::Fd out(::open(tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
    if (out.fd < 0 || ::write(out.fd, key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
        ::fsync(out.fd) != 0) {
      const std::string why = std::strerror(errno);
      ::unlink(tmp.c_str());
      throw ConfigError(fmt::format("cannot write the link key {}: {}; nothing was copied", path, why),
                        "check [database] key_file in config.toml and that its folder exists");
    }
  }
  const bool made = ::link(tmp.c_str(), path.c_str()) == 0;
  const int err = errno;
  ::unlink(tmp.c_str());
  if (!made && err != EEXIST) {
    throw ConfigError(fmt::format("cannot write the link key {}: {}; nothing was copied", path, std::strerror(err)),
                      "check [database] key_file in config.toml and that its folder exists");
  }
  return made;
}

[[noreturn]] void key_differs(const std::string& key_file, const std::string& source_key) {
  throw Conflict(fmt::format("the key file {} ([database] key_file) holds another link key than the firm's {}: "
                             "every link already sent would stop working",
                             key_file, source_key),
                 fmt::format("set key_file to {}, or give a key_file that does not exist yet (the firm's key is "
                             "copied there)",
                             source_key));
}

std::unique_ptr<storage::Database> connect(const MigrateInputs& in) {
  try {
    return std::make_unique<storage::Database>(in.to_url, storage::OpenMode::create, in.busy_timeout_ms);
  } catch (const NotFound& e) {
    throw NotFound(e.what(), "create the database first (createdb NAME), then run 'practice db migrate' again");
  } catch (const ConfigError& e) {
    if (std::string_view(e.what()).starts_with("cannot connect")) {
      throw ConfigError(e.what(), "check the URL given to --to, and that the server runs");
    }
    throw;
  }
}

} // namespace

void check_migration(const std::string& from_path, const std::string& to_url) {
  if (!storage::is_postgres_url(to_url)) {
    throw InvalidInput(fmt::format("--to \"{}\" is not a PostgreSQL URL", to_url),
                       "give one such as postgresql://practice@db.example/acme (an empty database)");
  }
  if (storage::is_postgres_url(from_path)) {
    throw UsageError("'practice db migrate' copies a SQLite firm; this firm is on PostgreSQL already",
                     "name the SQLite file with --db or PRACTICE_DB");
  }
}

MigrateReport migrate_firm(storage::Database& from, const MigrateInputs& in) {
  check_migration(in.from_path, in.to_url);
  if (from.is_postgres()) {
    throw UsageError("'practice db migrate' copies a SQLite firm; this firm is on PostgreSQL already");
  }
  MigrateReport report;
  const std::string source_key = absolute(in.from_path + ".key");

  // One snapshot of the source for the checks and the copy.
  storage::Transaction read(from, storage::TxMode::read);
  if (storage::schema_version(from) != storage::latest_schema_version()) {
    throw InternalError(fmt::format("{} is at schema {}, not {}", in.from_path, storage::schema_version(from),
                                    storage::latest_schema_version()));
  }
  const auto source_chain = audit::AuditLog(from).verify();
  if (!source_chain.ok) {
    throw InvalidInput(fmt::format("the audit chain of {} fails at row {}: {}; nothing was copied", in.from_path,
                                   source_chain.bad_row.value_or(0), source_chain.problem),
                       "'practice audit --verify' names the row; restore a backup from before it");
  }

  // The link key, checked before anything is changed.
  std::optional<std::string> key = requests::read_link_key(source_key);
  const auto fingerprint = requests::LinkKeyStore(from).fingerprint();
  if (fingerprint && !key) {
    throw ConfigError(fmt::format("the link key {} is missing: copy it (0600) from the machine that holds the "
                                  "firm's key, then migrate; nothing was copied",
                                  source_key));
  }
  if (fingerprint) {
    requests::check_link_key(*key, *fingerprint, source_key);
  }
  report.key_file = in.key_file.empty() ? source_key : absolute(in.key_file);
  if (in.key_file.empty()) {
    report.key_state = key ? KeyFileState::not_set : KeyFileState::no_key;
  } else if (!key) {
    report.key_state = KeyFileState::none_yet;
  } else if (same_file(in.key_file, source_key)) {
    report.key_state = KeyFileState::same;
  } else if (exists(in.key_file)) {
    if (requests::load_or_create_link_key(in.key_file) != *key) {
      key_differs(in.key_file, source_key);
    }
    report.key_state = KeyFileState::same;
  } else {
    report.key_state = KeyFileState::copied;
  }

  auto to = connect(in);
  report.to = to->path();
  storage::Transaction write(*to, storage::TxMode::write);
  if (const auto there = storage::existing_objects(*to); !there.empty()) {
    std::string list;
    for (size_t i = 0; i < there.size() && i < 3; ++i) {
      list += (i == 0 ? "" : ", ") + there[i];
    }
    if (there.size() > 3) {
      list += fmt::format(" and {} more", there.size() - 3);
    }
    throw Conflict(fmt::format("the database {} is not empty: it holds {}; a firm is copied only into an empty "
                               "database",
                               report.to, list),
                   "create a new database (createdb NAME) and give its URL to --to");
  }
  storage::apply_migrations(*to, storage::latest_schema_version(), storage::MigrationTx::callers);
  report.copy = storage::copy_firm(from, *to, files_root_for(in.from_path));
  // The copy carries the source's fingerprint; a firm made before
  // fingerprints has its key's recorded on the target, which checks it too.
  if (key && !fingerprint) {
    requests::LinkKeyStore(*to).record(requests::link_key_fingerprint(*key));
  }

  const auto chain = audit::AuditLog(*to).verify();
  if (!chain.ok || chain.rows != source_chain.rows || chain.head_hash != source_chain.head_hash) {
    throw InternalError(fmt::format("the copy's audit chain does not match the source's ({} of {} rows, {}); "
                                    "nothing was copied",
                                    chain.rows, source_chain.rows,
                                    chain.ok ? "another head hash" : fmt::format("row {}: {}", chain.bad_row.value_or(0),
                                                                                 chain.problem)));
  }
  report.audit_rows = chain.rows;

  if (report.key_state == KeyFileState::copied && !write_key_file(in.key_file, *key)) {
    // Made by another process since the check: it must be the same key.
    if (requests::load_or_create_link_key(in.key_file) != *key) {
      key_differs(in.key_file, source_key);
    }
    report.key_state = KeyFileState::same;
  }
  write.commit();
  read.commit();
  return report;
}

} // namespace practice::app
