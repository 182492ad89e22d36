#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace practice::requests {

// The firm's secret for links: 32 random bytes in a file of its own beside
// the database (0600), so the database alone reveals no link. Created when
// missing.
std::string load_or_create_link_key(const std::string& path);

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
