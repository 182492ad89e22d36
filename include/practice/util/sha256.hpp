#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace practice::util {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Lower-case hex SHA-256 of the file at `path`, read in blocks; nullopt when
// it cannot be read.
std::optional<std::string> sha256_of_file(const std::string& path);

// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

} // namespace practice::util
