#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A small HTTP server over libmicrohttpd (thread-pool mode): the only file
// that sees MHD types is http_server.cpp. Bodies (form posts and multipart
// uploads) are parsed before the handler runs; uploaded files are streamed to
// temporary files, with the size limits enforced while they arrive.
namespace practice::portal {

struct UploadedFile {
  std::string field;
  std::string name; // as the browser sent it: metadata only, never a path
  std::string path; // the temporary file (removed after the request)
  int64_t size = 0;
};

struct HttpRequest {
  std::string method;
  std::string path; // without the query
  std::string peer; // the peer's address
  std::vector<std::pair<std::string, std::string>> headers; // names in lower case
  std::vector<std::pair<std::string, std::string>> form;    // fields, in order
  std::vector<UploadedFile> files;
  bool body_too_large = false; // a field or file over its limit: nothing of it kept
  bool body_malformed = false; // a body that is not a form

  std::optional<std::string> header(std::string_view name) const;
  std::optional<std::string> cookie(std::string_view name) const;
  std::optional<std::string> field(std::string_view name) const;
  std::vector<std::string> fields(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> file; // send this file's content instead of body
};

class HttpHandler {
public:
  virtual ~HttpHandler() = default;
  // When the headers are in, before any body is read: a response here ends
  // the request with its body unread (an unknown link, a rate limit).
  virtual std::optional<HttpResponse> before_body(const HttpRequest& request) = 0;
  virtual HttpResponse handle(HttpRequest& request) = 0;
  // After the response was queued, for the request log.
  virtual void finished(const HttpRequest& request, int status, double milliseconds) = 0;
};

struct ServerLimits {
  int threads = 4;
  unsigned connections = 512;        // at once, in all
  unsigned per_address = 64;         // at once, from one peer address
  unsigned idle_timeout_seconds = 30; // a connection silent this long is closed
  size_t connection_memory = 64 * 1024; // request line and headers must fit
  int64_t max_fields = 256 * 1024;     // all form fields of one request
  int64_t max_file = 25 * 1024 * 1024; // each uploaded file
  std::string upload_dir;             // where uploads are streamed
};

class HttpServer {
public:
  // Listens on `listen` ("ADDR:PORT"; port 0 picks one) and serves with
  // `limits.threads` threads. Throws Unavailable when the address cannot be
  // bound (in use, not ours) and InvalidInput when it does not parse.
  HttpServer(const std::string& listen, const ServerLimits& limits, HttpHandler& handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The address and port it listens on.
  std::string address() const;
  // Stops taking connections, lets those in flight finish (up to `grace`
  // seconds), then stops.
  void stop(int grace_seconds = 10);

  struct Impl;

private:
  std::unique_ptr<Impl> m_impl;
};

} // namespace practice::portal
