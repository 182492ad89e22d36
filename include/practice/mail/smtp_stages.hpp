#pragma once

#include "practice/mail/transport.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace practice::mail {

// How long an SMTP client waits at each stage of a conversation. The
// defaults are RFC 5321 §4.5.3.2's, which warns that giving up early after
// the final dot "would typically result in delivery of multiple copies".
struct SmtpTimeouts {
  std::chrono::seconds connect{10};      // the TCP connection
  std::chrono::seconds greeting{300};    // the server's 220 (after the TLS handshake for smtps)
  std::chrono::seconds command{300};     // each reply to EHLO, STARTTLS, AUTH, MAIL and RCPT
  std::chrono::seconds data_start{120};  // the 354 reply to DATA
  std::chrono::seconds data_block{180};  // the server taking the next block of the message
  std::chrono::seconds final_reply{600}; // the reply after the final dot

  // The longest of the waits for one reply.
  std::chrono::seconds longest_reply() const;
};

// Where an SMTP conversation is.
enum class SmtpStage { connect, greeting, command, data_start, data_block, final_reply };

// Follows one send through libcurl's trace (the commands it sends, the
// reply lines it receives, the message going out) and tells when the stage
// it is in has lasted longer than its limit: libcurl itself has one reply
// timeout for every stage. Pure: the caller gives every time. Command lines
// are looked at for their verb only (an AUTH line carries the password).
class SmtpStageClock {
public:
  using TimePoint = std::chrono::steady_clock::time_point;

  SmtpStageClock(const SmtpTimeouts& limits, TimePoint start);

  void connected(TimePoint t);                             // the TCP connection is up
  void sent(std::string_view command_line, TimePoint t);   // a command went out
  void received(std::string_view reply_line, TimePoint t); // a reply line came in
  void data_moved(TimePoint t);                            // more of the message went out
  void data_done(TimePoint t);                             // the last of it went out

  SmtpStage stage() const { return m_stage; }
  // The limit of the stage it is in.
  std::chrono::seconds limit() const;
  // Whether that stage has lasted longer than its limit at `now`.
  bool expired(TimePoint now) const;
  // What ran out, for the outbox: "no reply to RCPT within 300 s".
  std::string reason() const;
  // What running out of time there means: before MAIL FROM the server is
  // not really there (connection); inside the transaction the attempt
  // failed, undelivered (temporary); after the final dot the server may
  // have the message (unknown).
  Outcome outcome() const;

private:
  SmtpTimeouts m_limits;
  SmtpStage m_stage = SmtpStage::connect;
  TimePoint m_since;
  std::string m_verb;            // the command awaiting its reply ("" between commands)
  bool m_in_transaction = false; // MAIL FROM went out
};

} // namespace practice::mail
