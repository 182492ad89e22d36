#pragma once

#include <optional>
#include <string>

namespace practice::util {

// An exclusive flock(2) on a file, released on destruction or when the
// process dies (the kernel drops it), so a killed run never blocks the next.
class FileLock {
public:
  // nullopt when another process holds it; throws InvalidInput if the file
  // cannot be opened.
  static std::optional<FileLock> try_lock(const std::string& path);

  FileLock(FileLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

private:
  explicit FileLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

} // namespace practice::util
