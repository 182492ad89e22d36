#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace practice::requests {

// The firm's secret for links: 32 random bytes in a file of its own (0600;
// beside a SQLite file, [database] key_file on PostgreSQL), so the database
// alone reveals no link. Created when missing (requests::link_key makes it
// only for a firm that has no key yet). Throws ConfigError when it cannot be
// read or made, is readable by others or is not 32 bytes.
std::string load_or_create_link_key(const std::string& path);

// The key at `path`, or nullopt when there is no such file; otherwise as
// load_or_create_link_key, but never makes one.
std::optional<std::string> read_link_key(const std::string& path);

// What the database keeps of the firm's key, so that every machine can check
// that the key file it was given is the firm's: HMAC-SHA256 under the key of
// a fixed label no link, code or CSRF token uses, in hex (64 characters). It
// reveals nothing of the key and opens no link: a link's MAC is over other
// data, and only the key makes either.
std::string link_key_fingerprint(const std::string& key);

// "<request>.<recipient>.<64 hex>": HMAC-SHA256 over the request, the
// recipient's address and its link generation. 256 bits of secret; bumping
// the generation revokes the old link.
std::string link_token(const std::string& key, int64_t request_id, int64_t recipient_id,
                       const std::string& email, int64_t generation);

// "a<approval>.<64 hex>": the same HMAC over an approval and its recipient.
std::string approval_link_token(const std::string& key, int64_t approval_id, const std::string& email);

struct TokenParts {
  int64_t request_id = 0;
  int64_t recipient_id = 0;
};
// Reads the ids out of a token; nullopt when it is not of that form.
std::optional<TokenParts> parse_token(const std::string& token);

// Constant-time comparison of two tokens.
bool same_token(const std::string& a, const std::string& b);

} // namespace practice::requests
