#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace practice::portal {

// A token bucket per key (a link, a client address): `burst` events at once,
// then one every `every`. Safe to share between threads.
class RateLimiter {
public:
  using Time = std::chrono::steady_clock::time_point;
  RateLimiter(int burst, std::chrono::milliseconds every) : m_burst(burst), m_every(every) {}

  // Counts one event for `key` at `now`. Returns nullopt when it is allowed,
  // else the whole seconds (at least 1) until one more would be.
  std::optional<std::chrono::seconds> take(const std::string& key, Time now);

private:
  struct Bucket {
    double tokens = 0;
    Time at;
  };
  int m_burst;
  std::chrono::milliseconds m_every;
  std::mutex m_mutex;
  std::unordered_map<std::string, Bucket> m_buckets;
  size_t m_prune_at = 50000; // the size that sets off the next sweep
};

} // namespace practice::portal
