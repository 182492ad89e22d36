#include "portal/portal.hpp"
#include "portal/rate_limit.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

using namespace practice::portal;
using namespace std::chrono_literals;
using Time = RateLimiter::Time;

namespace {

const Time t0 = Time{} + 1000h; // any steady instant

HttpRequest from(const std::string& peer, std::optional<std::string> xff = std::nullopt) {
  HttpRequest r;
  r.method = "GET";
  r.path = "/";
  r.peer = peer;
  if (xff) {
    r.headers.emplace_back("x-forwarded-for", *xff);
  }
  return r;
}

} // namespace

TEST_CASE("rate limit: a burst, then refusals saying how long to wait", "[portal][rate-limit]") {
  RateLimiter limit(3, 10s);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limit.take("a", t0));
  }
  const auto wait = limit.take("a", t0);
  REQUIRE(wait);
  CHECK(*wait == 10s);
  // A refusal costs nothing: the wait only shrinks.
  CHECK(limit.take("a", t0 + 4s) == std::optional(6s));
  CHECK(limit.take("a", t0 + 9500ms) == std::optional(1s)); // half a second rounds up
  CHECK(limit.take("a", t0 + 9999ms) == std::optional(1s)); // never 0
}

TEST_CASE("rate limit: the wait rounds partial seconds up", "[portal][rate-limit]") {
  RateLimiter quick(1, 250ms);
  CHECK_FALSE(quick.take("k", t0));
  CHECK(quick.take("k", t0) == std::optional(1s));
  RateLimiter slow(1, std::chrono::milliseconds(2500));
  CHECK_FALSE(slow.take("k", t0));
  CHECK(slow.take("k", t0) == std::optional(3s));
  CHECK(slow.take("k", t0 + 1s) == std::optional(2s));
  RateLimiter mails(5, 12min);
  for (int i = 0; i < 5; ++i) {
    CHECK_FALSE(mails.take("addr", t0));
  }
  CHECK(mails.take("addr", t0) == std::optional(std::chrono::seconds(12min)));
}

TEST_CASE("rate limit: tokens come back one every interval, up to the burst", "[portal][rate-limit]") {
  RateLimiter limit(3, 10s);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limit.take("a", t0));
  }
  CHECK(limit.take("a", t0 + 9s));
  CHECK_FALSE(limit.take("a", t0 + 10s)); // exactly one interval later: one more
  CHECK(limit.take("a", t0 + 10s));
  // Half an interval twice makes one.
  CHECK(limit.take("a", t0 + 15s));
  CHECK_FALSE(limit.take("a", t0 + 20s));
  // A long pause refills to the burst, no further.
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limit.take("a", t0 + 1h));
  }
  CHECK(limit.take("a", t0 + 1h) == std::optional(10s));
}

TEST_CASE("rate limit: one interval buys one event for any interval length", "[portal][rate-limit]") {
  // 1.0 / every * every falls short of 1.0 for many lengths (49 ms is one).
  for (const auto every : {49ms, 98ms, 103ms, 250ms, 3000ms, 60000ms, 720000ms}) {
    INFO(every.count() << " ms");
    RateLimiter limit(1, every);
    CHECK_FALSE(limit.take("k", t0));
    CHECK(limit.take("k", t0));
    for (int i = 1; i <= 50; ++i) {
      CHECK_FALSE(limit.take("k", t0 + i * every));
    }
    // In thirds of an interval, with rounding nowhere.
    RateLimiter thirds(1, std::chrono::milliseconds(every.count() * 3));
    CHECK_FALSE(thirds.take("k", t0));
    CHECK(thirds.take("k", t0 + every));
    CHECK(thirds.take("k", t0 + 2 * every));
    CHECK_FALSE(thirds.take("k", t0 + 3 * every));
  }
}

TEST_CASE("rate limit: a time behind the bucket's adds nothing, then or later", "[portal][rate-limit]") {
  // Threads read the clock before they wait for the lock, so times can come
  // out of order.
  RateLimiter limit(1, 10s);
  CHECK_FALSE(limit.take("a", t0 + 10s));
  CHECK(limit.take("a", t0) == std::optional(10s));
  CHECK(limit.take("a", t0 + 10s));
  CHECK(limit.take("a", t0 + 19s) == std::optional(1s));
  CHECK_FALSE(limit.take("a", t0 + 20s));
}

TEST_CASE("rate limit: keys are independent", "[portal][rate-limit]") {
  RateLimiter limit(2, 1min);
  CHECK_FALSE(limit.take("10.0.0.1", t0));
  CHECK_FALSE(limit.take("10.0.0.1", t0));
  CHECK(limit.take("10.0.0.1", t0));
  CHECK_FALSE(limit.take("10.0.0.2", t0));
  CHECK_FALSE(limit.take("10.0.0.2", t0));
  CHECK(limit.take("10.0.0.2", t0));
  CHECK_FALSE(limit.take("", t0));
  CHECK(limit.take("10.0.0.1", t0 + 59s));
  CHECK_FALSE(limit.take("10.0.0.1", t0 + 60s));
}

TEST_CASE("rate limit: many keys stay bounded and the limit still holds", "[portal][rate-limit]") {
  RateLimiter limit(1, 1s);
  for (int i = 0; i < 50010; ++i) {
    limit.take("k" + std::to_string(i), t0);
  }
  // Full again after a second: forgotten, and none the wiser.
  CHECK_FALSE(limit.take("k1", t0 + 2s));
  CHECK(limit.take("k1", t0 + 2s));
  CHECK_FALSE(limit.take("k2", t0 + 2s));
}

TEST_CASE("rate limit: shared between threads, it lets the burst through and no more", "[portal][rate-limit]") {
  RateLimiter limit(100, 1h);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!limit.take("shared", t0)) {
          ++allowed;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(allowed == 100);
}

TEST_CASE("redact_path: link tokens become an ellipsis, nothing else changes", "[portal][redact]") {
  CHECK(redact_path("/r/12.3.abcdef0123/answers/1") == "/r/…/answers/1");
  CHECK(redact_path("/a/a7.abcdef0123/document") == "/a/…/document");
  CHECK(redact_path("/r/12.3.abcdef0123") == "/r/…");
  CHECK(redact_path("/r/12.3.abcdef0123/") == "/r/…");
  CHECK(redact_path("/a/a7.abcdef0123/code") == "/a/…/code");
  CHECK(redact_path("/") == "/");
  CHECK(redact_path("") == "/");
  CHECK(redact_path("/login") == "/login");
  CHECK(redact_path("/logout") == "/logout");
  CHECK(redact_path("/static/portal.css") == "/static/portal.css");
  CHECK(redact_path("/r") == "/r");
  CHECK(redact_path("/x/secret") == "/x/secret");
}

TEST_CASE("client_address: the peer, or the last X-Forwarded-For hop behind a trusted proxy",
          "[portal][client-address]") {
  const std::vector<std::string> trusted = {"127.0.0.1", "::1"};
  // No proxy: the peer, whatever the header claims.
  CHECK(client_address(from("203.0.113.9"), trusted) == "203.0.113.9");
  CHECK(client_address(from("203.0.113.9", "198.51.100.1"), trusted) == "203.0.113.9");
  CHECK(client_address(from("203.0.113.9", "198.51.100.1"), {}) == "203.0.113.9");
  // A trusted proxy: the hop it saw, the last in the list (earlier ones are the client's word).
  CHECK(client_address(from("127.0.0.1", "198.51.100.1"), trusted) == "198.51.100.1");
  CHECK(client_address(from("127.0.0.1", "10.9.9.9, 198.51.100.1"), trusted) == "198.51.100.1");
  CHECK(client_address(from("127.0.0.1", "1.1.1.1,2.2.2.2 ,  198.51.100.7  "), trusted) == "198.51.100.7");
  CHECK(client_address(from("::1", "2001:db8::5"), trusted) == "2001:db8::5");
  // A trusted proxy that sent no (or an empty) header: the proxy itself.
  CHECK(client_address(from("127.0.0.1"), trusted) == "127.0.0.1");
  CHECK(client_address(from("127.0.0.1", ""), trusted) == "127.0.0.1");
  CHECK(client_address(from("127.0.0.1", "198.51.100.1, "), trusted) == "127.0.0.1");
  // Another proxy list.
  CHECK(client_address(from("10.0.0.2", "198.51.100.1"), {"10.0.0.2"}) == "198.51.100.1");
  CHECK(client_address(from("127.0.0.1", "198.51.100.1"), {"10.0.0.2"}) == "127.0.0.1");
}
