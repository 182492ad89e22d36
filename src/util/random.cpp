#include "practice/util/random.hpp"

#include "practice/error.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sys/random.h>

namespace practice::util {

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(out.data() + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw InternalError(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
  return out;
}

std::string base32(const std::string& bytes) {
  static constexpr char k_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out += k_alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) {
    out += k_alphabet[(buffer << (5 - bits)) & 31];
  }
  return out;
}

double random_unit() {
  const std::string b = random_bytes(8);
  uint64_t v = 0;
  std::memcpy(&v, b.data(), sizeof v);
  return static_cast<double>(v >> 11) / static_cast<double>(uint64_t{1} << 53);
}

} // namespace practice::util
