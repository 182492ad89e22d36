#pragma once

#include "practice/mail/smtp_stages.hpp"
#include "practice/mail/transport.hpp"

#include <memory>
#include <optional>
#include <string>

namespace practice::mail {

struct SmtpSettings {
  std::string url;                 // smtp://host:587 or smtps://host:465
  std::string security = "starttls"; // starttls | tls | none
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> ca_file; // a private CA (tests, in-house relays)
  std::string helo_domain;            // sent in EHLO (the firm's domain)
  SmtpTimeouts timeouts;              // per stage (RFC 5321 §4.5.3.2 by default)
};

// SMTP through libcurl, loaded with dlopen on first use so that commands
// that send no mail never pay for libcurl's start-up. One SMTP transaction
// per message and recipient; the connection is reused between messages and
// the handle thrown away after any failure (libcurl 7.88 keeps a broken
// connection cached after a reply timeout). Each stage has its own time
// limit (SmtpTimeouts), kept by following libcurl's trace from a progress
// callback; libcurl's single reply timeout is set to the longest of them.
class SmtpTransport final : public Transport {
public:
  // Throws ConfigError for a URL or security setting that cannot be honoured.
  explicit SmtpTransport(SmtpSettings settings);
  ~SmtpTransport() override;
  SendResult send(std::string_view from, std::string_view rcpt, std::string_view message,
                  std::string_view message_id) override;
  std::string describe() const override;
  std::unique_ptr<Transport> another() const override;
  std::chrono::seconds longest_reply() const override;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// What an SMTP session without a message found: the server's last reply
// when all went well, else why not (as an outbox row would show it).
struct SessionCheck {
  Outcome outcome = Outcome::sent; // sent: connected, STARTTLS, AUTH and NOOP accepted
  std::string detail;
};

// Opens one session as delivery would (connect, greeting, EHLO, STARTTLS
// unless security is "none", AUTH when a username is set), sends NOOP and
// QUIT, and sends no message. Each reply waits at most 30 seconds.
SessionCheck check_smtp_session(const SmtpSettings& settings);

// Maps one libcurl result to what delivery does with it (reliability.md
// §1.5). `curl_code` is a CURLcode, `response` the last SMTP reply code,
// `all_uploaded` whether every byte of the message went out. Pure.
Outcome classify(int curl_code, long response, bool all_uploaded);

// What one libcurl send reports. The outcome is classify()'s, or, when one
// of the stage limits ended the send (`timed_out`: the stage clock then),
// the stage clock's. A 2xx, 4xx or 5xx reply line (`reply_line`) is kept as
// the server said it, with its code; otherwise the reply is the reason the
// send ended (`error`, libcurl's message, or the stage that ran out), with
// no code for a refusal before the transaction (no connection, no STARTTLS)
// and the last code seen once it began (354 after the data went out). Pure.
SendResult send_result(int curl_code, long response, bool all_uploaded, std::string_view reply_line,
                       std::string_view error, const SmtpStageClock* timed_out);

} // namespace practice::mail
