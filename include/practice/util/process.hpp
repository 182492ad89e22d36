#pragma once

#include <chrono>
#include <string>

namespace practice::util {

// Runs `command` with /bin/sh -c, stdin from /dev/null, and returns the first
// line it printed (without the newline). Throws ConfigError naming `what` if
// it cannot start, exits non-zero, prints nothing, or runs past `timeout`.
// Its output is never put in an error message (it may be a secret).
std::string first_line_of(const std::string& command, const std::string& what,
                          std::chrono::seconds timeout);

} // namespace practice::util
