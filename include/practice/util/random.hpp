#pragma once

#include <cstddef>
#include <string>

namespace practice::util {

// `n` bytes from the kernel's CSPRNG (getrandom); throws InternalError if it fails.
std::string random_bytes(size_t n);

// Lower-case RFC 4648 base32 without padding.
std::string base32(const std::string& bytes);

// A uniform double in [0, 1) from the CSPRNG.
double random_unit();

} // namespace practice::util
