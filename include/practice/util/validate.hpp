#pragma once

#include <string>
#include <string_view>

namespace practice::util {

// Checks one line of user text (a name, a title): trimmed, non-empty, at most
// `max_length` bytes, valid UTF-8, no control characters (C0, DEL, C1) and no
// Unicode line or paragraph separator (U+2028, U+2029). Returns the trimmed
// text; throws InvalidInput naming `what` otherwise.
std::string require_line(std::string_view what, std::string_view value,
                         size_t max_length = 200);

// Like require_line but allows line breaks and tabs (messages, comments),
// U+2028 and U+2029 among them; other control characters are still refused.
std::string require_text(std::string_view what, std::string_view value,
                         size_t max_length = 10000);

// True when `address` is a plain mailbox "local@domain.tld": printable ASCII,
// no spaces, quotes, angle brackets, CR, LF or NUL; a dotted domain of
// letters, digits and hyphens. Strict on purpose: such addresses go into SMTP
// envelopes and headers.
bool is_valid_email(std::string_view address);

// Returns the trimmed address with its domain in lower case; throws
// InvalidInput naming `what` when it is not a valid address.
std::string require_email(std::string_view what, std::string_view address);

struct NamedEmail {
  std::string name; // empty when only an address was given
  std::string email;
};
// An address as people write one for a person: "ana@x.test", "Ana Costa
// <ana@x.test>" or "\"Costa, Ana\" <ana@x.test>". The name is checked as
// require_line checks a line, the address as require_email does; throws
// InvalidInput naming `what`.
NamedEmail require_named_email(std::string_view what, std::string_view text);

// True when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

} // namespace practice::util
