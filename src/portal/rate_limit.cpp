#include "rate_limit.hpp"

#include <cmath>

namespace practice::portal {

std::optional<std::chrono::seconds> RateLimiter::take(const std::string& key, Time now) {
  std::lock_guard lock(m_mutex);
  const double per_ms = 1.0 / static_cast<double>(m_every.count());
  const auto refill = [&](Bucket& b) {
    const double ms = std::chrono::duration<double, std::milli>(now - b.at).count();
    b.tokens = std::min<double>(m_burst, b.tokens + std::max(0.0, ms) * per_ms);
    b.at = now;
  };
  // Keep memory bounded: full buckets say nothing a new one would not.
  if (m_buckets.size() > 50000) {
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
      refill(it->second);
      it = it->second.tokens >= m_burst ? m_buckets.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = m_buckets.try_emplace(key, Bucket{static_cast<double>(m_burst), now});
  Bucket& b = it->second;
  if (!fresh) {
    refill(b);
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait_ms = (1.0 - b.tokens) / per_ms;
  return std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait_ms / 1000.0))));
}

} // namespace practice::portal
