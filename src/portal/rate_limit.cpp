#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace practice::portal {

// A bucket's `tokens` holds its credit in nanoseconds of refill time (one
// token is `m_every` of it): whole numbers, which a double holds exactly far
// beyond any burst here, so refilling for exactly one interval always buys
// exactly one event (1.0 / every * every is not always 1.0).
std::optional<std::chrono::seconds> RateLimiter::take(const std::string& key, Time now) {
  std::lock_guard lock(m_mutex);
  const double cost = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(m_every).count());
  const double full = cost * m_burst;
  const auto refill = [&](Bucket& b) {
    // Threads read the clock before they wait for the lock, so `now` may be a
    // little behind a bucket's time: then nothing is added and the bucket
    // keeps its time (moving it back would pay that stretch twice).
    if (now > b.at) {
      const double ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - b.at).count());
      b.tokens = std::min(full, b.tokens + ns);
      b.at = now;
    }
  };
  // Keep memory bounded: full buckets say nothing a new one would not. The
  // next sweep waits until the map has doubled again, so a flood of keys
  // costs amortised constant time per call, not a sweep per call.
  if (m_buckets.size() > m_prune_at) {
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
      refill(it->second);
      it = it->second.tokens >= full ? m_buckets.erase(it) : std::next(it);
    }
    m_prune_at = std::max<size_t>(50000, m_buckets.size() * 2);
  }
  auto [it, fresh] = m_buckets.try_emplace(key, Bucket{full, now});
  Bucket& b = it->second;
  if (!fresh) {
    refill(b);
  }
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return std::nullopt;
  }
  const double wait_ns = cost - b.tokens;
  return std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait_ns / 1e9))));
}

} // namespace practice::portal
