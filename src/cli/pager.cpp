#include "pager.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace practice::cli {

Pager::Pager(bool wanted) {
  if (!wanted || ::isatty(STDOUT_FILENO) != 1) {
    return;
  }
  const char* env = std::getenv("PAGER");
  const std::string pager = env == nullptr ? "less" : env;
  if (pager.empty() || pager == "cat") {
    return;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return; // no pager is better than no output
  }
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return;
  }
  if (pid == 0) {
    ::dup2(fds[0], STDIN_FILENO);
    if (std::getenv("LESS") == nullptr) {
      ::setenv("LESS", "FRX", 1);
    }
    ::execl("/bin/sh", "sh", "-c", pager.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  m_saved_stdout = ::dup(STDOUT_FILENO);
  ::dup2(fds[1], STDOUT_FILENO);
  ::close(fds[1]);
  m_pid = pid;
  // Quitting the pager early ends the listing quietly, as `| head` would.
  m_saved_sigpipe = std::signal(SIGPIPE, SIG_DFL);
}

Pager::~Pager() {
  if (m_pid < 0) {
    return;
  }
  std::fflush(stdout);
  ::dup2(m_saved_stdout, STDOUT_FILENO); // the pager sees the end of its input
  ::close(m_saved_stdout);
  int status = 0;
  while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::signal(SIGPIPE, m_saved_sigpipe);
}

} // namespace practice::cli
