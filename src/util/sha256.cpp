#include "practice/util/sha256.hpp"

#include "practice/error.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace practice::util {

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw InternalError("SHA-256 computation failed");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac.data(), &length) == nullptr) {
    throw InternalError("HMAC-SHA256 computation failed");
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

std::optional<std::string> sha256_of_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
  std::array<char, 65536> buf{};
  while (ok) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    ok = EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n)) == 1;
  }
  ::close(fd);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!ok || EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) != 1) {
    return std::nullopt;
  }
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

Sha256::Sha256() : m_md(EVP_MD_fetch(nullptr, "SHA256", nullptr)), m_ctx(EVP_MD_CTX_new()) {
  if (m_md == nullptr || m_ctx == nullptr) {
    EVP_MD_free(m_md);
    EVP_MD_CTX_free(m_ctx);
    throw InternalError("SHA-256 is not available");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(m_ctx);
  EVP_MD_free(m_md);
}

void Sha256::hex(std::string_view data, std::string& hex) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_DigestInit_ex2(m_ctx, m_md, nullptr) != 1 || EVP_DigestUpdate(m_ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(m_ctx, digest.data(), &length) != 1) {
    throw InternalError("SHA-256 computation failed");
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  hex.resize(static_cast<size_t>(length) * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = k_hex[digest[i] >> 4];
    hex[2 * i + 1] = k_hex[digest[i] & 0x0f];
  }
}

std::string to_hex(std::string_view bytes) {
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += k_hex[b >> 4];
    out += k_hex[b & 0x0f];
  }
  return out;
}

} // namespace practice::util
