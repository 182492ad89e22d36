#include "practice/storage/backup.hpp"

#include "practice/error.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/storage/migrations.hpp"
#include "practice/util/fd.hpp"
#include "practice/util/sha256.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace practice::storage {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The archive is plain ustar (POSIX.1-1988), so `tar tf` lists it and `tar
// xf` unpacks it. Its entry names are few and fixed (at most 89 characters),
// which is why a writer and reader of our own fit in a page, where libarchive
// would map a dozen shared libraries into every command's start-up.
constexpr size_t k_block = 512;
constexpr std::string_view k_top = "practice-backup/";
constexpr int k_format = 1;

std::string errno_text() { return std::strerror(errno); }

bool is_hex(std::string_view s) { return s.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

// The hash of "files/<first two>/<sha256>", the only file entry a backup
// has; nullopt for any other name (no "..", no other folder).
std::optional<std::string> stored_file_entry(std::string_view name) {
  if (name.size() != 6 + 3 + 64 || name.substr(0, 6) != "files/" || name[8] != '/') {
    return std::nullopt;
  }
  const std::string_view prefix = name.substr(6, 2);
  const std::string_view sha = name.substr(9);
  if (!is_hex(prefix) || !is_hex(sha) || sha.substr(0, 2) != prefix) {
    return std::nullopt;
  }
  return std::string(sha);
}

using util::Fd;

void write_all(int fd, const char* data, size_t size, const std::string& what) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw InvalidInput(fmt::format("cannot write {}: {}", what, errno_text()));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Reads exactly `size` bytes; false at a clean end of file before any.
bool read_exact(int fd, char* data, size_t size, const std::string& what) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw InvalidInput(fmt::format("cannot read {}: {}", what, errno_text()));
    }
    if (n == 0) {
      if (got == 0) {
        return false;
      }
      throw InvalidInput(fmt::format("{} is not a practice backup: it is cut short", what),
                         "it is not whole: copy it again, or use an older backup");
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

void put_octal(char* field, size_t width, uint64_t value) {
  // width - 1 digits and a NUL.
  const std::string digits = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, digits.data(), width - 1);
  field[width - 1] = '\0';
}

std::array<char, k_block> header(const std::string& name, uint64_t size, int64_t mtime) {
  std::array<char, k_block> h{};
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  put_octal(h.data() + 100, 8, 0600);
  put_octal(h.data() + 108, 8, 0);
  put_octal(h.data() + 116, 8, 0);
  put_octal(h.data() + 124, 12, size);
  put_octal(h.data() + 136, 12, static_cast<uint64_t>(std::max<int64_t>(0, mtime)));
  h[156] = '0';
  std::memcpy(h.data() + 257, "ustar\0" "00", 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (const char c : h) {
    sum += static_cast<unsigned char>(c);
  }
  const std::string chk = fmt::format("{:06o}", sum);
  std::memcpy(h.data() + 148, chk.data(), 6);
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

class TarWriter {
public:
  TarWriter(int fd, std::string what, int64_t mtime) : m_fd(fd), m_what(std::move(what)), m_mtime(mtime) {}

  void add_bytes(const std::string& name, std::string_view data) {
    begin(name, data.size());
    write_all(m_fd, data.data(), data.size(), m_what);
    pad(data.size());
  }

  // Copies the file at `path`, which must still be `size` bytes long.
  void add_file(const std::string& name, const std::string& path, uint64_t size) {
    Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (in.fd < 0) {
      throw NotFound(fmt::format("cannot read {}: {}", path, errno_text()));
    }
    begin(name, size);
    std::array<char, 65536> buf{};
    uint64_t left = size;
    while (left > 0) {
      const ssize_t n = ::read(in.fd, buf.data(), std::min<uint64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        throw InvalidInput(fmt::format("{} changed while it was copied", path));
      }
      write_all(m_fd, buf.data(), static_cast<size_t>(n), m_what);
      left -= static_cast<uint64_t>(n);
    }
    pad(size);
  }

  void finish() {
    const std::array<char, 2 * k_block> end{};
    write_all(m_fd, end.data(), end.size(), m_what);
  }

private:
  void begin(const std::string& name, uint64_t size) {
    const auto h = header(std::string(k_top) + name, size, m_mtime);
    write_all(m_fd, h.data(), h.size(), m_what);
  }
  void pad(uint64_t size) {
    const std::array<char, k_block> zeros{};
    const size_t rest = static_cast<size_t>(size % k_block);
    if (rest != 0) {
      write_all(m_fd, zeros.data(), k_block - rest, m_what);
    }
  }

  int m_fd;
  std::string m_what;
  int64_t m_mtime;
};

std::string folder_of(const std::string& path) {
  const auto p = fs::path(path).parent_path();
  return p.empty() ? std::string(".") : p.string();
}

// A folder for temporary files beside `near`, removed with everything in it.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& near) {
    std::string pattern = folder_of(near) + "/.practice-tmp-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw InvalidInput(fmt::format("cannot create a temporary folder beside {}: {}", near, errno_text()));
    }
    path = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void sync_folder(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd >= 0) {
    ::fsync(d.fd);
  }
}

std::string read_small_file(const std::string& path, const std::string& what) {
  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (in.fd < 0) {
    throw NotFound(fmt::format("cannot read {} {}: {}", what, path, errno_text()),
                   "without it no link in any email works: restore it from another backup");
  }
  std::string out(4096, '\0');
  const ssize_t n = ::read(in.fd, out.data(), out.size());
  if (n < 0) {
    throw NotFound(fmt::format("cannot read {} {}: {}", what, path, errno_text()));
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

// Writes `data` to a new file `path` (0600), synced.
void write_new_file(const std::string& path, std::string_view data) {
  Fd out(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (out.fd < 0) {
    throw InvalidInput(fmt::format("cannot create {}: {}", path, errno_text()));
  }
  write_all(out.fd, data.data(), data.size(), path);
  if (::fsync(out.fd) != 0) {
    throw InvalidInput(fmt::format("cannot write {}: {}", path, errno_text()));
  }
}

} // namespace

BackupReport backup_firm(Database& db, const FirmPaths& paths, const std::string& archive, util::TimePoint now) {
  struct stat st {};
  if (::lstat(archive.c_str(), &st) == 0) {
    throw Conflict(fmt::format("{} already exists", archive), "give a new file name, e.g. with the date in it");
  }
  const std::string key = read_small_file(paths.key, "the link key");
  TempDir tmp(archive);
  const std::string copy = tmp.path + "/practice.db";
  {
    // One read snapshot of the whole database, written compactly; the
    // writers of other connections go on meanwhile (WAL).
    Statement vacuum(db, "VACUUM INTO ?1");
    vacuum.bind(1, copy);
    vacuum.run();
  }
  BackupReport report;
  std::vector<StoredFile> files;
  {
    Database snapshot(copy, OpenMode::existing);
    const std::string integrity = snapshot.integrity_problems();
    if (integrity != "ok") {
      throw InvalidInput(fmt::format("the database copy fails its integrity check: {}", integrity),
                         "run 'practice doctor'");
    }
    report.schema_version = schema_version(snapshot);
    files = list_stored_files(snapshot);
  }
  if (::stat(copy.c_str(), &st) != 0) {
    throw InternalError(fmt::format("the database copy vanished: {}", errno_text()));
  }
  report.database_bytes = st.st_size;
  const FileStore store(paths.files_root, 0);
  for (const auto& f : files) {
    struct stat fst {};
    const std::string path = store.path_of(f.sha256);
    if (::stat(path.c_str(), &fst) != 0 || fst.st_size != f.size) {
      throw NotFound(fmt::format("the stored file {} is missing or damaged", path),
                     "run 'practice doctor' to see every problem");
    }
  }

  const std::string partial = archive + ".partial";
  ::unlink(partial.c_str()); // left by a backup killed earlier
  {
    Fd out(::open(partial.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
    if (out.fd < 0) {
      throw InvalidInput(fmt::format("cannot create {}: {}", archive, errno_text()));
    }
    const int64_t mtime = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    TarWriter tar(out.fd, archive, mtime);
    const json manifest = {{"format", k_format},
                           {"created_at", util::format_iso(now)},
                           {"schema_version", report.schema_version},
                           {"database_sha256", util::sha256_of_file(copy).value_or("")},
                           {"files", files.size()}};
    tar.add_bytes("manifest.json", manifest.dump(2) + "\n");
    tar.add_file("practice.db", copy, static_cast<uint64_t>(report.database_bytes));
    tar.add_bytes("practice.db.key", key);
    for (const auto& f : files) {
      tar.add_file("files/" + f.sha256.substr(0, 2) + "/" + f.sha256, store.path_of(f.sha256),
                   static_cast<uint64_t>(f.size));
      ++report.files;
      report.file_bytes += f.size;
    }
    tar.finish();
    if (::fsync(out.fd) != 0 || ::fstat(out.fd, &st) != 0) {
      throw InvalidInput(fmt::format("cannot write {}: {}", archive, errno_text()));
    }
    report.archive_bytes = st.st_size;
  }
  if (::rename(partial.c_str(), archive.c_str()) != 0) {
    ::unlink(partial.c_str());
    throw InvalidInput(fmt::format("cannot create {}: {}", archive, errno_text()));
  }
  sync_folder(folder_of(archive));
  return report;
}

RestoreReport restore_firm(const std::string& archive, const FirmPaths& paths, bool force) {
  Fd in(::open(archive.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (in.fd < 0) {
    throw NotFound(fmt::format("cannot read {}: {}", archive, errno_text()));
  }
  struct stat st {};
  if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw InvalidInput(fmt::format("{} is not a regular file", archive));
  }
  if (::stat(paths.db.c_str(), &st) == 0 && !force) {
    throw Conflict(fmt::format("a database is already at {}", paths.db),
                   "stop the portal and cron, then add --force to replace it with the backup");
  }
  std::error_code ec;
  fs::create_directories(folder_of(paths.db), ec);
  ::chmod(folder_of(paths.db).c_str(), 0700);
  TempDir tmp(paths.db);
  const std::string staged_db = tmp.path + "/practice.db";
  const std::string staged_key = tmp.path + "/practice.db.key";
  const std::string files_staging = tmp.path + "/files";
  std::optional<json> manifest;
  bool have_db = false;
  bool have_key = false;
  std::vector<std::string> file_names;
  const auto not_ours = [&](const std::string& why) {
    return InvalidInput(fmt::format("{} is not a practice backup: {}", archive, why),
                        "make one with 'practice backup FILE.tar'");
  };

  std::array<char, k_block> h{};
  bool first = true;
  for (;;) {
    if (!read_exact(in.fd, h.data(), h.size(), archive)) {
      throw not_ours("it ends without the end-of-archive blocks");
    }
    if (std::all_of(h.begin(), h.end(), [](char c) { return c == '\0'; })) {
      break;
    }
    if (std::memcmp(h.data() + 257, "ustar", 5) != 0) {
      throw not_ours(first ? "it is not a tar file" : "an entry's header is damaged");
    }
    first = false;
    const std::string full(h.data(), strnlen(h.data(), 100));
    const std::string size_text(h.data() + 124, strnlen(h.data() + 124, 12));
    uint64_t size = 0;
    try {
      size = std::stoull(size_text, nullptr, 8);
    } catch (const std::exception&) {
      throw not_ours(fmt::format("the size of {} is unreadable", full));
    }
    const char type = h[156];
    if ((type != '0' && type != '\0') || full.rfind(k_top, 0) != 0) {
      throw not_ours(fmt::format("it holds {}", full));
    }
    const std::string name = full.substr(k_top.size());
    std::string target;
    if (name == "manifest.json" || name == "practice.db.key") {
      if (size > 65536) {
        throw not_ours(fmt::format("{} is {} bytes", name, size));
      }
    } else if (name == "practice.db") {
      target = staged_db;
    } else if (const auto sha = stored_file_entry(name)) {
      fs::create_directories(files_staging + "/" + sha->substr(0, 2), ec);
      target = files_staging + "/" + sha->substr(0, 2) + "/" + *sha;
      file_names.push_back(*sha);
    } else {
      throw not_ours(fmt::format("it holds {}", full));
    }
    const uint64_t padded = (size + k_block - 1) / k_block * k_block;
    if (target.empty()) {
      std::string data(padded, '\0');
      if (!read_exact(in.fd, data.data(), data.size(), archive)) {
        throw not_ours("it is cut short");
      }
      data.resize(size);
      if (name == "manifest.json") {
        manifest = json::parse(data, nullptr, false);
        if (manifest->is_discarded() || !manifest->is_object() || manifest->value("format", 0) != k_format) {
          throw not_ours("its manifest is unreadable");
        }
      } else {
        write_new_file(staged_key, data);
        have_key = true;
      }
      continue;
    }
    Fd out(::open(target.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
    if (out.fd < 0) {
      throw not_ours(fmt::format("{} is there twice", name));
    }
    std::array<char, 65536> buf{};
    uint64_t left = padded;
    while (left > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
      if (!read_exact(in.fd, buf.data(), n, archive)) {
        throw not_ours("it is cut short");
      }
      const uint64_t done = padded - left;
      if (done < size) {
        write_all(out.fd, buf.data(), static_cast<size_t>(std::min<uint64_t>(n, size - done)), target);
      }
      left -= n;
    }
    if (::fsync(out.fd) != 0) {
      throw InvalidInput(fmt::format("cannot write {}: {}", target, errno_text()));
    }
    have_db = have_db || name == "practice.db";
  }
  if (!manifest || !have_db || !have_key) {
    throw not_ours(!manifest ? "it has no manifest" : (!have_db ? "it has no database" : "it has no link key"));
  }
  // Everything is checked before anything at the destination is touched.
  if (util::sha256_of_file(staged_db) != manifest->value("database_sha256", std::string())) {
    throw not_ours("its database does not match the manifest's hash (damaged)");
  }
  RestoreReport report;
  {
    Database restored(staged_db, OpenMode::existing);
    const std::string integrity = restored.integrity_problems();
    if (integrity != "ok") {
      throw InvalidInput(fmt::format("the database in {} fails its integrity check: {}", archive, integrity));
    }
    report.schema_version = schema_version(restored);
    if (report.schema_version > latest_schema_version()) {
      throw InvalidInput(fmt::format("{} comes from a newer practice (schema {}; this one knows {})", archive,
                                     report.schema_version, latest_schema_version()),
                         "restore it with that version or a later one");
    }
    for (const auto& f : list_stored_files(restored)) {
      if (std::find(file_names.begin(), file_names.end(), f.sha256) == file_names.end()) {
        throw not_ours(fmt::format("the stored file {} is missing from it", f.sha256));
      }
    }
  }
  for (const auto& sha : file_names) {
    const std::string staged = files_staging + "/" + sha.substr(0, 2) + "/" + sha;
    if (util::sha256_of_file(staged) != sha) {
      throw not_ours(fmt::format("the stored file {} does not match its hash (damaged)", sha));
    }
  }
  report.created_at = util::parse_iso(manifest->value("created_at", std::string())).value_or(util::TimePoint{});

  // The files first (content-addressed: one already there is the same), then
  // the key, then the database: a database never sits beside a key or files
  // that are not its own.
  const FileStore store(paths.files_root, 0);
  fs::create_directories(paths.files_root, ec);
  ::chmod(paths.files_root.c_str(), 0700);
  for (const auto& sha : file_names) {
    const std::string dest = store.path_of(sha);
    fs::create_directories(folder_of(dest), ec);
    ::chmod(folder_of(dest).c_str(), 0700);
    if (::rename((files_staging + "/" + sha.substr(0, 2) + "/" + sha).c_str(), dest.c_str()) != 0) {
      throw InvalidInput(fmt::format("cannot write {}: {}", dest, errno_text()));
    }
    ++report.files;
  }
  if (::rename(staged_key.c_str(), paths.key.c_str()) != 0) {
    throw InvalidInput(fmt::format("cannot write {}: {}", paths.key, errno_text()));
  }
  // The old database's write-ahead log must not be replayed into the new one.
  ::unlink((paths.db + "-wal").c_str());
  ::unlink((paths.db + "-shm").c_str());
  if (::stat(staged_db.c_str(), &st) == 0) {
    report.database_bytes = st.st_size;
  }
  if (::rename(staged_db.c_str(), paths.db.c_str()) != 0) {
    throw InvalidInput(fmt::format("cannot write {}: {}", paths.db, errno_text()));
  }
  sync_folder(folder_of(paths.db));
  return report;
}

} // namespace practice::storage
