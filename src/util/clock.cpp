#include "practice/util/clock.hpp"

namespace practice::util {

TimePoint SystemClock::now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

} // namespace practice::util
