#pragma once

#include <optional>
#include <string>
#include <string_view>

// OpenSSL's digest types (openssl/types.h), named without its headers.
struct evp_md_st;
struct evp_md_ctx_st;

namespace practice::util {

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// Lower-case hex SHA-256 of the file at `path`, read in blocks; nullopt when
// it cannot be read.
std::optional<std::string> sha256_of_file(const std::string& path);

// SHA-256 of many small inputs (a chain of audit rows): one digest context,
// fetched once and reused, where sha256_hex sets one up per call.
class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  // Lower-case hex SHA-256 of `data` into `hex` (64 characters).
  void hex(std::string_view data, std::string& hex);

private:
  evp_md_st* m_md = nullptr;
  evp_md_ctx_st* m_ctx = nullptr;
};

// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

} // namespace practice::util
