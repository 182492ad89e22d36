#pragma once

#include <string>
#include <string_view>

namespace practice::util {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

} // namespace practice::util
