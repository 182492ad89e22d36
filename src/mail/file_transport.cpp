#include "practice/mail/file_transport.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace practice::mail {

namespace {

std::string file_name(std::string_view message_id) {
  std::string name;
  for (const char c : message_id) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '-' || c == '@') {
      name += c;
    }
  }
  return name.empty() ? std::string("message") : name;
}

} // namespace

SendResult FileTransport::send(std::string_view /*from*/, std::string_view /*rcpt*/,
                               std::string_view message, std::string_view message_id) {
  if (::mkdir(m_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return {Outcome::stop_config, std::nullopt,
            fmt::format("cannot create the mail folder {}: {}", m_dir, std::strerror(errno))};
  }
  const std::string final_path = fmt::format("{}/{}.eml", m_dir, file_name(message_id));
  const std::string tmp_path = final_path + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    return {Outcome::stop_config, std::nullopt,
            fmt::format("cannot write {}: {}", tmp_path, std::strerror(errno))};
  }
  bool ok = true;
  size_t done = 0;
  while (ok && done < message.size()) {
    const ssize_t w = ::write(fd, message.data() + done, message.size() - done);
    if (w < 0 && errno == EINTR) {
      continue;
    }
    ok = w > 0;
    done += ok ? static_cast<size_t>(w) : 0;
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (ok && !pass_handover_gate()) {
    ::unlink(tmp_path.c_str());
    return {Outcome::temporary, std::nullopt, "abandoned before delivery"};
  }
  if (!ok || ::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp_path.c_str());
    return {Outcome::stop_config, std::nullopt,
            fmt::format("cannot write {}: {}", final_path, std::strerror(errno))};
  }
  return {Outcome::sent, 250, fmt::format("written to {}", final_path)};
}

} // namespace practice::mail
