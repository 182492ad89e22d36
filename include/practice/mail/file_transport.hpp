#pragma once

#include "practice/mail/transport.hpp"

#include <string>

namespace practice::mail {

// Writes each message as one .eml file in a folder (demo, previews, tests).
// Files are written to a temporary name and renamed, so a reader never sees
// half a message; the name comes from the Message-ID, so a resend replaces.
class FileTransport final : public Transport {
public:
  explicit FileTransport(std::string dir) : m_dir(std::move(dir)) {}
  SendResult send(std::string_view from, std::string_view rcpt, std::string_view message,
                  std::string_view message_id) override;
  std::string describe() const override { return "file:" + m_dir; }

private:
  std::string m_dir;
};

} // namespace practice::mail
