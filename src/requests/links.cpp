#include "practice/requests/links.hpp"

#include "practice/error.hpp"
#include "practice/util/random.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include "practice/util/sha256.hpp"

#include <array>
#include <string_view>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace practice::requests {

namespace {

// Distinct from every other HMAC input under the link key ("request:",
// "approval:", "portal-code:", "portal-csrf:").
constexpr std::string_view k_fingerprint_label = "practice-link-key-fingerprint:v1";

enum class Create { no, yes };

std::optional<std::string> open_link_key(const std::string& path, Create create) {
  std::array<char, 64> buf{};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT && create == Create::no) {
    return std::nullopt;
  }
  if (fd < 0 && errno == ENOENT) {
    const std::string key = util::random_bytes(32);
    const std::string tmp = path + ".tmp";
    const int out = ::open(tmp.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    if (out < 0 || ::write(out, key.data(), key.size()) != 32 || ::fsync(out) != 0) {
      if (out >= 0) {
        ::close(out);
      }
      throw ConfigError(fmt::format("cannot create the link key {}: {}", path, std::strerror(errno)));
    }
    ::close(out);
    // link(2) fails if another process made the key meanwhile: use theirs.
    if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
      ::unlink(tmp.c_str());
      throw ConfigError(fmt::format("cannot create the link key {}: {}", path, std::strerror(errno)));
    }
    ::unlink(tmp.c_str());
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) {
    throw ConfigError(fmt::format("cannot read the link key {}: {}", path, std::strerror(errno)));
  }
  struct stat st {};
  ::fstat(fd, &st);
  const ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if ((st.st_mode & 077) != 0) {
    throw ConfigError(fmt::format("the link key {} is readable by other users", path),
                      fmt::format("run 'chmod 600 {}'", path));
  }
  if (n != 32) {
    throw ConfigError(fmt::format("the link key {} is damaged (not 32 bytes)", path));
  }
  return std::string(buf.data(), 32);
}

} // namespace

std::string load_or_create_link_key(const std::string& path) { return *open_link_key(path, Create::yes); }

std::optional<std::string> read_link_key(const std::string& path) { return open_link_key(path, Create::no); }

std::string link_key_fingerprint(const std::string& key) { return util::hmac_sha256_hex(key, k_fingerprint_label); }

std::string link_token(const std::string& key, int64_t request_id, int64_t recipient_id,
                       const std::string& email, int64_t generation) {
  const std::string data = fmt::format("request:{}:{}:{}:{}", request_id, recipient_id,
                                       util::to_lower(email), generation);
  return fmt::format("{}.{}.{}", request_id, recipient_id, util::hmac_sha256_hex(key, data));
}

std::string approval_link_token(const std::string& key, int64_t approval_id, const std::string& email) {
  const std::string data = fmt::format("approval:{}:{}", approval_id, util::to_lower(email));
  return fmt::format("a{}.{}", approval_id, util::hmac_sha256_hex(key, data));
}

std::optional<TokenParts> parse_token(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a == std::string::npos ? 0 : a + 1);
  if (a == std::string::npos || b == std::string::npos || token.size() - b - 1 != 64) {
    return std::nullopt;
  }
  const auto r = util::parse_int(token.substr(0, a));
  const auto c = util::parse_int(token.substr(a + 1, b - a - 1));
  if (!r || !c) {
    return std::nullopt;
  }
  return TokenParts{*r, *c};
}

bool same_token(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace practice::requests
