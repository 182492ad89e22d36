#pragma once

#include <sys/types.h>

namespace practice::cli {

// While it lives, this process's standard output goes through $PAGER (else
// `less` with LESS=FRX, as git does: it quits at once when all fits), but
// only when standard output is a terminal and `wanted`; PAGER="" or "cat"
// means none. The destructor waits for the reader to quit.
class Pager {
public:
  explicit Pager(bool wanted);
  ~Pager();
  Pager(const Pager&) = delete;
  Pager& operator=(const Pager&) = delete;

private:
  pid_t m_pid = -1;
  int m_saved_stdout = -1;
  void (*m_saved_sigpipe)(int) = nullptr;
};

} // namespace practice::cli
