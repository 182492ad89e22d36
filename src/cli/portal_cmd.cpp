#include "app.hpp"

#include "portal/http_server.hpp"
#include "portal/portal.hpp"
#include "practice/error.hpp"

#include <fmt/format.h>

#include <filesystem>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <sys/stat.h>

namespace practice::cli {

namespace {

struct PortalOptions {
  std::optional<std::string> listen;
  std::optional<int> threads;
};

void run_serve(const PortalOptions& o, Context& ctx) {
  const auto& config = ctx.config();
  ctx.database(); // 66 when there is none; applies pending migrations once, here
  const std::string listen = o.listen ? *o.listen : config.portal_listen;
  const int threads = o.threads ? *o.threads : config.portal_threads;
  if (threads < 1 || threads > 64) {
    throw UsageError("--threads takes a number from 1 to 64");
  }
  const auto env = ctx.request_env();
  // On PostgreSQL the store is a cache folder whose parents may not exist yet.
  std::error_code ignored;
  std::filesystem::create_directories(env.files_root, ignored);
  ::chmod(env.files_root.c_str(), 0700);
  const std::string uploads = env.files_root + "/.uploads";
  ::mkdir(uploads.c_str(), 0700);

  // SIGTERM and SIGINT are taken by sigwait below: block them before any
  // thread starts, so every thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto log_mutex = std::make_shared<std::mutex>();
  portal::PortalOptions options;
  options.db_path = ctx.db_path();
  options.base_dir = ctx.base_dir();
  options.config = &config;
  options.clock = &ctx.clock();
  options.busy_timeout_ms = std::min(ctx.busy_timeout_ms(), 5000);
  options.log = [log_mutex](const std::string& line) {
    std::lock_guard lock(*log_mutex);
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  };
  portal::Portal handler(options);
  portal::ServerLimits limits;
  limits.threads = threads;
  limits.max_file = int64_t{config.files_max_size_mb} * 1024 * 1024;
  limits.upload_dir = uploads;
  portal::HttpServer server(listen, limits, handler);
  options.log(fmt::format("practice: portal listening on http://{} ({} threads)", server.address(), threads));
  int signal = 0;
  sigwait(&stop_signals, &signal);
  options.log("practice: portal stopping: finishing the requests in flight");
  server.stop(10);
  handler.stop_mail();
}

} // namespace

void register_portal_commands(CLI::App& app, Context& ctx) {
  auto* portal = app.add_subcommand("portal", "The client portal: the web pages behind client links");
  portal->require_subcommand(1);
  auto o = std::make_shared<PortalOptions>();
  auto* serve = portal->add_subcommand("serve", "Serve the portal over HTTP until SIGTERM (behind a TLS proxy)");
  serve->add_option("--listen", o->listen, "Address and port (default [portal] listen, 127.0.0.1:8080)")
      ->type_name("ADDR:PORT");
  serve->add_option("--threads", o->threads, "Worker threads, each with its own database connection (default 4)")
      ->type_name("N")
      ->transform(decimal());
  on_run(serve, ctx, [o, &ctx] { run_serve(*o, ctx); });
}

} // namespace practice::cli
