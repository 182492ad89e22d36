#pragma once

#include <unistd.h>

namespace practice::util {

// A file descriptor closed when it goes out of scope; -1 holds none.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

} // namespace practice::util
