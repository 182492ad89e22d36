#include "practice/mail/smtp_stages.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace practice::mail {

namespace {

// The commands libcurl sends. Anything else on a command line is the
// client's side of an AUTH exchange, which is never kept.
constexpr std::array<std::string_view, 10> k_verbs = {"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL",
                                                      "RCPT", "DATA", "RSET", "NOOP", "QUIT"};

std::string verb_of(std::string_view line) {
  const std::string_view word = line.substr(0, line.find_first_of(" :\r\n"));
  std::string upper(word.size(), ' ');
  std::transform(word.begin(), word.end(), upper.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
  for (const auto v : k_verbs) {
    if (upper == v) {
      return upper;
    }
  }
  return "AUTH";
}

// A reply's last line: three digits and a space (or nothing) after them.
bool is_last_reply_line(std::string_view line) {
  return line.size() >= 3 && std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; }) &&
         (line.size() == 3 || line[3] != '-');
}

} // namespace

std::chrono::seconds SmtpTimeouts::longest_reply() const {
  return std::max({greeting, command, data_start, final_reply});
}

SmtpStageClock::SmtpStageClock(const SmtpTimeouts& limits, TimePoint start) : m_limits(limits), m_since(start) {}

void SmtpStageClock::connected(TimePoint t) {
  if (m_stage == SmtpStage::connect) {
    m_stage = SmtpStage::greeting;
    m_since = t;
  }
}

void SmtpStageClock::sent(std::string_view command_line, TimePoint t) {
  m_verb = verb_of(command_line);
  if (m_verb == "MAIL") {
    m_in_transaction = true;
  }
  m_stage = m_verb == "DATA" ? SmtpStage::data_start : SmtpStage::command;
  m_since = t;
}

void SmtpStageClock::received(std::string_view reply_line, TimePoint t) {
  if (!is_last_reply_line(reply_line) || m_stage == SmtpStage::final_reply) {
    return;
  }
  if (m_stage == SmtpStage::data_start && reply_line.substr(0, 3) == "354") {
    m_stage = SmtpStage::data_block;
  } else {
    // The client's turn (a TLS handshake after STARTTLS, the next command).
    m_stage = SmtpStage::command;
    m_verb.clear();
  }
  m_since = t;
}

void SmtpStageClock::data_moved(TimePoint t) {
  if (m_stage == SmtpStage::data_block) {
    m_since = t;
  }
}

void SmtpStageClock::data_done(TimePoint t) {
  m_stage = SmtpStage::final_reply;
  m_since = t;
}

std::chrono::seconds SmtpStageClock::limit() const {
  switch (m_stage) {
  case SmtpStage::connect:
    return m_limits.connect;
  case SmtpStage::greeting:
    return m_limits.greeting;
  case SmtpStage::command:
    return m_limits.command;
  case SmtpStage::data_start:
    return m_limits.data_start;
  case SmtpStage::data_block:
    return m_limits.data_block;
  case SmtpStage::final_reply:
    return m_limits.final_reply;
  }
  return m_limits.command;
}

bool SmtpStageClock::expired(TimePoint now) const { return now - m_since > limit(); }

std::string SmtpStageClock::reason() const {
  const auto s = limit().count();
  switch (m_stage) {
  case SmtpStage::connect:
    return fmt::format("could not connect within {} s", s);
  case SmtpStage::greeting:
    return fmt::format("no greeting from the server within {} s", s);
  case SmtpStage::command:
    return m_verb.empty() ? fmt::format("the conversation stalled for {} s after the server's last reply", s)
                          : fmt::format("no reply to {} within {} s", m_verb, s);
  case SmtpStage::data_start:
    return fmt::format("no reply to DATA within {} s", s);
  case SmtpStage::data_block:
    return fmt::format("the server took none of the message for {} s", s);
  case SmtpStage::final_reply:
    return fmt::format("no reply to the final dot within {} s", s);
  }
  return "timed out";
}

Outcome SmtpStageClock::outcome() const {
  switch (m_stage) {
  case SmtpStage::connect:
  case SmtpStage::greeting:
    return Outcome::connection;
  case SmtpStage::command:
    return m_in_transaction ? Outcome::temporary : Outcome::connection;
  case SmtpStage::data_start:
  case SmtpStage::data_block:
    return Outcome::temporary;
  case SmtpStage::final_reply:
    return Outcome::unknown;
  }
  return Outcome::temporary;
}

} // namespace practice::mail
