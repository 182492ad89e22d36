#include "practice/storage/file_store.hpp"

#include "practice/error.hpp"
#include "practice/util/fd.hpp"
#include "practice/util/sha256.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace practice::storage {

namespace {

using util::Fd;

std::string_view file_kind(mode_t mode) {
  if (S_ISDIR(mode)) {
    return "a folder";
  }
  if (S_ISFIFO(mode)) {
    return "a named pipe";
  }
  if (S_ISSOCK(mode)) {
    return "a socket";
  }
  if (S_ISCHR(mode) || S_ISBLK(mode)) {
    return "a device";
  }
  return "not a file";
}

// Creates `dir` (0700) and any missing folder above it (a cache folder's
// parents may not exist yet).
void make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
    return;
  }
  const auto slash = dir.find_last_of('/');
  if (errno == ENOENT && slash != std::string::npos && slash > 0) {
    make_dir(dir.substr(0, slash));
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
      return;
    }
  }
  throw InvalidInput(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
}

} // namespace

std::vector<StoredFile> list_stored_files(Database& db) {
  Statement s(db, "SELECT sha256, size FROM stored_files ORDER BY sha256");
  std::vector<StoredFile> out;
  while (s.step()) {
    out.push_back({s.text(0), s.int64(1)});
  }
  return out;
}

std::string FileStore::path_of(const std::string& sha256) const {
  return fmt::format("{}/{}/{}", m_root, sha256.substr(0, 2), sha256);
}

StoredFile FileStore::put(Database& db, const std::string& source, util::TimePoint now) {
  // Looked at before it is opened: opening a FIFO waits for a writer, for ever
  // if none comes, and a device may do anything on open.
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    throw NotFound(fmt::format("cannot read {}: {}", source, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    throw InvalidInput(fmt::format("{} is not a regular file ({})", source, file_kind(st.st_mode)),
                       "give the path of an ordinary file");
  }
  // O_NONBLOCK in case it was swapped for a FIFO since: the open returns at
  // once and the check below refuses it. Reads from a regular file never block.
  Fd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (in.fd < 0) {
    throw NotFound(fmt::format("cannot read {}: {}", source, std::strerror(errno)));
  }
  if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw InvalidInput(fmt::format("{} is not a regular file", source), "give the path of an ordinary file");
  }
  if (st.st_size > m_max_size) {
    throw InvalidInput(fmt::format("{} is {} bytes; the limit is {} bytes", source, st.st_size, m_max_size),
                       "raise [files] max_size_mb in config.toml, or send a smaller file");
  }
  make_dir(m_root);
  const std::string tmp = fmt::format("{}/.incoming-{}-{}", m_root, ::getpid(), st.st_ino);
  Fd out(::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600));
  if (out.fd < 0) {
    throw InvalidInput(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr);
  std::array<char, 65536> buf{};
  int64_t size = 0;
  // On PostgreSQL the content goes into the database too (hex, as the
  // server's decode() reads it): no machine needs another's disk.
  const bool in_database = db.is_postgres();
  std::string content_hex;
  for (;;) {
    const ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      ::unlink(tmp.c_str());
      throw InvalidInput(fmt::format("cannot read {}: {}", source, std::strerror(errno)));
    }
    if (n == 0) {
      break;
    }
    size += n;
    if (size > m_max_size) {
      ::unlink(tmp.c_str());
      throw InvalidInput(fmt::format("{} is over the size limit of {} bytes", source, m_max_size));
    }
    EVP_DigestUpdate(md.get(), buf.data(), static_cast<size_t>(n));
    if (in_database) {
      content_hex += util::to_hex(std::string_view(buf.data(), static_cast<size_t>(n)));
    }
    if (::write(out.fd, buf.data(), static_cast<size_t>(n)) != n) {
      ::unlink(tmp.c_str());
      throw InvalidInput(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(md.get(), digest.data(), &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  ::fsync(out.fd);
  const std::string final_path = path_of(hex);
  make_dir(fmt::format("{}/{}", m_root, hex.substr(0, 2)));
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw InvalidInput(fmt::format("cannot store {}: {}", source, std::strerror(errno)));
  }
  Statement s(db, "INSERT INTO stored_files (sha256, size, created_at) VALUES (?, ?, ?) "
                  "ON CONFLICT DO NOTHING");
  s.bind_all(hex, size, util::format_iso(now));
  s.run();
  if (in_database) {
    Statement c(db, "INSERT INTO stored_file_contents (sha256, content) VALUES (?, decode(?, 'hex')) "
                    "ON CONFLICT DO NOTHING");
    c.bind_all(hex, content_hex);
    c.run();
  }
  return {hex, size};
}

std::string FileStore::local_path(Database& db, const std::string& sha256) const {
  const std::string path = path_of(sha256);
  struct stat st {};
  if (!db.is_postgres() || ::stat(path.c_str(), &st) == 0) {
    return path;
  }
  // Not on this machine yet: copied from the database into the local cache,
  // checked against its hash before it is put where readers find it.
  Statement s(db, "SELECT encode(content, 'hex') FROM stored_file_contents WHERE sha256 = ?");
  s.bind(1, sha256);
  if (!s.step()) {
    return path;
  }
  const auto hex = s.text_view(0);
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1]));
  }
  const std::string got = util::sha256_hex(bytes);
  if (got != sha256) {
    throw InternalError(fmt::format("the stored content {} does not match its hash", sha256));
  }
  make_dir(m_root);
  make_dir(fmt::format("{}/{}", m_root, sha256.substr(0, 2)));
  const std::string tmp = fmt::format("{}/.incoming-{}-{}", m_root, ::getpid(), sha256.substr(0, 16));
  {
    Fd out(::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600));
    if (out.fd < 0 || ::write(out.fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      ::unlink(tmp.c_str());
      throw InvalidInput(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw InvalidInput(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  return path;
}

void prepare_export_dir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (::mkdir(dir.c_str(), 0700) != 0) {
      throw InvalidInput(fmt::format("cannot create {}: {}", dir, std::strerror(errno)));
    }
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    throw Conflict(fmt::format("{} already exists and is not a folder", dir), "choose another folder with --dir");
  }
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> d(::opendir(dir.c_str()));
  if (!d) {
    throw InvalidInput(fmt::format("cannot read {}: {}", dir, std::strerror(errno)));
  }
  while (const dirent* e = ::readdir(d.get())) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") {
      throw Conflict(fmt::format("{} already exists and is not empty", dir),
                     "choose another folder with --dir, or empty this one");
    }
  }
}

std::string safe_file_name(const std::string& name) {
  std::string base = name;
  const auto slash = base.find_last_of("/\\");
  if (slash != std::string::npos) {
    base = base.substr(slash + 1);
  }
  std::string out;
  for (const char c : base) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    }
  }
  if (out.empty() || out == "." || out == "..") {
    out = "file";
  }
  if (out.front() == '.') {
    out.insert(out.begin(), '_');
  }
  return out.substr(0, 200);
}

} // namespace practice::storage
