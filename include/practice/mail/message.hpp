#pragma once

#include "practice/util/time.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace practice::mail {

struct Mailbox {
  std::string name;  // display name, any UTF-8 without CR, LF or NUL; may be empty
  std::string email; // validated with util::is_valid_email
};

// One email to one recipient.
struct Message {
  Mailbox from;
  Mailbox to;
  std::string subject;
  std::string body; // UTF-8 text; any line ending (normalised to CRLF)
  std::string message_id; // "<...@...>"
  util::TimePoint date;
  std::vector<std::pair<std::string, std::string>> extra_headers; // e.g. Auto-Submitted
  std::string language; // the body's, for Content-Language ("pt"); empty: none said
};

// A new Message-ID: 128 random bits in base32 at `domain`, in angle brackets.
std::string new_message_id(std::string_view domain);

// The domain part of an address ("acme.test" for "office@acme.test").
std::string domain_of(std::string_view email);

// Renders `m` as RFC 5322 + MIME bytes: CRLF line endings only, no line over
// 998 octets (headers folded at 78 where they can be), non-ASCII header text
// as RFC 2047 encoded words, the body as UTF-8 quoted-printable with its
// Content-Language when `language` is set. Throws
// InvalidInput when an address is invalid or a header value holds CR, LF or
// NUL: header injection cannot pass through here.
std::string render(const Message& m);

// `message` (RFC 5322 bytes from render()) with its Date header set to `t`:
// the Date line in the header block is replaced, or one is put first when
// there is none. The body is never looked at. Pure.
std::string with_date(std::string_view message, util::TimePoint t);

// Pieces of render(), public for tests.
std::string encode_header_text(std::string_view text, size_t used);
std::string quoted_printable(std::string_view text);
std::string normalize_newlines(std::string_view text);
std::string rfc5322_date(util::TimePoint t);

} // namespace practice::mail
