#pragma once

#include "http_server.hpp"
#include "rate_limit.hpp"

#include "practice/config/config.hpp"
#include "practice/util/clock.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

// The client portal: the pages behind the links in clients' emails
// (../shared/portal.md). Each worker thread has its own database connection
// and application-layer workspace; nothing database-side crosses threads.
namespace practice::portal {

struct PortalOptions {
  std::string db_path;
  std::string base_dir; // where relative config paths start
  const config::Config* config = nullptr;
  const util::Clock* clock = nullptr;
  int busy_timeout_ms = 5000;
  // One line per request (time, method, path with tokens as "…", status, ms).
  std::function<void(const std::string&)> log;
};

class Portal : public HttpHandler {
public:
  explicit Portal(PortalOptions options);
  ~Portal() override;
  Portal(const Portal&) = delete;
  Portal& operator=(const Portal&) = delete;

  std::optional<HttpResponse> before_body(const HttpRequest& request) override;
  HttpResponse handle(HttpRequest& request) override;
  void finished(const HttpRequest& request, int status, double milliseconds) override;

  // Stops the mail thread after it delivered what it was handed.
  void stop_mail();

  struct Worker;
  struct Call;

private:
  Worker& worker();
  void hand_mail(const std::vector<int64_t>& ids);
  void mail_loop();
  void checkpoint_loop();

  PortalOptions m_options;
  std::string m_key; // the link key, read once
  std::mutex m_workers_mutex;
  std::mutex m_writers; // the workers' write transactions take turns
  std::unordered_map<std::thread::id, std::unique_ptr<Worker>> m_workers;

  RateLimiter m_not_found{20, std::chrono::seconds(3)};   // 404s per client address
  RateLimiter m_code_mail{5, std::chrono::minutes(12)};   // code emails per client address
  RateLimiter m_code_tries{10, std::chrono::minutes(1)};  // sign-in attempts per client address
  RateLimiter m_per_link{120, std::chrono::milliseconds(250)}; // posts per link

  std::mutex m_mail_mutex;
  std::condition_variable m_mail_wake;
  std::vector<int64_t> m_mail_ids;
  bool m_mail_stop = false;
  std::thread m_mail_thread;

  // The WAL is copied back into the database by a thread of its own, not by
  // the worker whose commit crossed SQLite's threshold: that worker would
  // hold every other writer's turn for as long as the checkpoint's fsyncs.
  std::mutex m_checkpoint_mutex;
  std::condition_variable m_checkpoint_wake;
  bool m_checkpoint_stop = false;
  std::thread m_checkpoint_thread;
};

// The path as the log shows it: every link token replaced by "…".
std::string redact_path(const std::string& path);

// The client's address: the peer, or X-Forwarded-For's last hop when the
// peer is a trusted proxy.
std::string client_address(const HttpRequest& request, const std::vector<std::string>& trusted_proxies);

} // namespace practice::portal
