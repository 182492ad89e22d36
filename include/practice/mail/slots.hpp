#pragma once

#include <optional>
#include <string>
#include <string_view>

// Secrets that a stored message leaves out: the outbox keeps a slot where a
// client's link or one-time code goes, and delivery puts the value in just
// before sending, so the database alone never holds a live link or code.
namespace practice::mail {

inline constexpr std::string_view k_link_slot = "PRACTICE-LINK-SLOT";

// Replaces every `slot` in the quoted-printable body of the RFC 5322
// `message` with `value`, re-encoding the body so every line stays within 76
// characters. Returns false (message unchanged) when the slot is not there.
bool fill_slot(std::string& message, std::string_view slot, std::string_view value);

// Decodes a quoted-printable body (soft line breaks removed, =XX decoded). Pure.
std::string decode_quoted_printable(std::string_view body);

} // namespace practice::mail
