#include "practice/mail/smtp_transport.hpp"

#include "practice/error.hpp"

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <functional>
#include <dlfcn.h>

namespace practice::mail {

namespace {

// The few libcurl entry points we use, resolved from libcurl.so.4 at run time.
struct CurlApi {
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
};

template <typename F> void resolve(void* lib, const char* name, F& out) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    throw ConfigError(fmt::format("libcurl has no {}", name), "install libcurl4");
  }
  out = reinterpret_cast<F>(sym);
}

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      throw ConfigError("cannot load libcurl to send mail over SMTP",
                        "install it with 'apt-get install libcurl4'");
    }
    CurlApi a;
    resolve(lib, "curl_global_init", a.global_init);
    resolve(lib, "curl_easy_init", a.easy_init);
    resolve(lib, "curl_easy_setopt", a.easy_setopt);
    resolve(lib, "curl_easy_perform", a.easy_perform);
    resolve(lib, "curl_easy_getinfo", a.easy_getinfo);
    resolve(lib, "curl_easy_cleanup", a.easy_cleanup);
    resolve(lib, "curl_slist_append", a.slist_append);
    resolve(lib, "curl_slist_free_all", a.slist_free_all);
    resolve(lib, "curl_easy_strerror", a.easy_strerror);
    if (a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw InternalError("libcurl failed to initialise");
    }
    return a;
  }();
  return api;
}

struct ReadCursor {
  std::string_view data;
  size_t pos = 0;
  std::function<bool()> gate; // passed before the last bytes go out
};

size_t read_body(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* cur = static_cast<ReadCursor*>(userdata);
  const size_t n = std::min(size * nitems, cur->data.size() - cur->pos);
  if (n > 0 && cur->pos + n == cur->data.size() && cur->gate && !cur->gate()) {
    return CURL_READFUNC_ABORT; // nothing handed over: not delivered
  }
  std::memcpy(buffer, cur->data.data() + cur->pos, n);
  cur->pos += n;
  return n;
}

// Keeps the last SMTP reply line (e.g. "250 2.0.0 queued as 4F1x").
size_t read_reply(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* last = static_cast<std::string*>(userdata);
  std::string line(buffer, size * nitems);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (!line.empty()) {
    *last = line.substr(0, 500);
  }
  return size * nitems;
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

Outcome classify(int curl_code, long response, bool all_uploaded) {
  switch (static_cast<CURLcode>(curl_code)) {
  case CURLE_OK:
    return Outcome::sent;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_USE_SSL_FAILED:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CIPHER:
  case CURLE_LOGIN_DENIED:
  case CURLE_REMOTE_ACCESS_DENIED:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
    // AUTH 454 is a temporary refusal; 535 and TLS problems need a person.
    return response / 100 == 4 ? Outcome::stop_temp : Outcome::stop_config;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
    return Outcome::connection;
  default:
    break;
  }
  if (response == 354) {
    // The data went out; did the server take it? Only the upload count tells.
    return all_uploaded ? Outcome::unknown : Outcome::temporary;
  }
  if (response == 0) {
    return Outcome::connection; // no reply at all: timed out or reset before the greeting
  }
  if (response == 421) {
    return Outcome::stop_temp; // the server is closing the session: try the run later
  }
  if (response / 100 == 4) {
    return Outcome::temporary;
  }
  if (response / 100 == 5) {
    return Outcome::permanent;
  }
  // A reply outside the transaction's expected codes (e.g. a 220 or 250 seen
  // before a reset): nothing was delivered.
  return Outcome::temporary;
}

struct SmtpTransport::Impl {
  SmtpSettings settings;
  std::string url;
  bool starttls = false;
  CURL* handle = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  ~Impl() { drop(); }

  void drop() {
    if (handle != nullptr) {
      curl_api().easy_cleanup(handle);
      handle = nullptr;
    }
  }

  CURL* get(std::string_view from) {
    if (handle != nullptr) {
      return handle;
    }
    const CurlApi& c = curl_api();
    handle = c.easy_init();
    if (handle == nullptr) {
      throw InternalError("libcurl could not make a handle");
    }
    c.easy_setopt(handle, CURLOPT_URL, url.c_str());
    c.easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (starttls) {
      c.easy_setopt(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    c.easy_setopt(handle, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    c.easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
    c.easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
    if (settings.ca_file) {
      c.easy_setopt(handle, CURLOPT_CAINFO, settings.ca_file->c_str());
    }
    if (settings.username) {
      c.easy_setopt(handle, CURLOPT_USERNAME, settings.username->c_str());
      c.easy_setopt(handle, CURLOPT_PASSWORD, settings.password.value_or("").c_str());
    }
    const std::string envelope_from(from);
    c.easy_setopt(handle, CURLOPT_MAIL_FROM, envelope_from.c_str());
    c.easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    c.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout_seconds));
    c.easy_setopt(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>(settings.timeout_seconds));
    c.easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c.easy_setopt(handle, CURLOPT_LOW_SPEED_TIME, 120L);
    c.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    c.easy_setopt(handle, CURLOPT_READFUNCTION, read_body);
    c.easy_setopt(handle, CURLOPT_HEADERFUNCTION, read_reply);
    // Never CURLOPT_VERBOSE: its trace carries the AUTH exchange.
    return handle;
  }
};

SmtpTransport::SmtpTransport(SmtpSettings settings) : m_impl(std::make_unique<Impl>()) {
  auto& s = settings;
  const bool implicit_tls = starts_with(s.url, "smtps://");
  if (!implicit_tls && !starts_with(s.url, "smtp://")) {
    throw ConfigError(fmt::format("smtp.url \"{}\" must start with smtp:// or smtps://", s.url));
  }
  if (s.security == "tls" && !implicit_tls) {
    throw ConfigError("smtp.security is \"tls\" but smtp.url is not smtps://",
                      "use smtps://host:465 for implicit TLS, or security = \"starttls\"");
  }
  if (s.security == "none" && implicit_tls) {
    throw ConfigError("smtp.security is \"none\" but smtp.url is smtps://");
  }
  m_impl->starttls = !implicit_tls && s.security != "none";
  // The URL's path is the name libcurl sends in EHLO.
  std::string url = s.url;
  const size_t host_start = url.find("://") + 3;
  if (url.find('/', host_start) == std::string::npos) {
    url += "/" + (s.helo_domain.empty() ? std::string("localhost") : s.helo_domain);
  }
  m_impl->url = url;
  m_impl->settings = std::move(settings);
}

SmtpTransport::~SmtpTransport() = default;

std::string SmtpTransport::describe() const { return m_impl->settings.url; }

std::unique_ptr<Transport> SmtpTransport::another() const {
  return std::make_unique<SmtpTransport>(m_impl->settings);
}

SendResult SmtpTransport::send(std::string_view from, std::string_view rcpt,
                               std::string_view message, std::string_view /*message_id*/) {
  const CurlApi& c = curl_api();
  CURL* h = m_impl->get(from);
  const std::string to(rcpt);
  curl_slist* rcpts = c.slist_append(nullptr, to.c_str());
  ReadCursor cursor{message, 0, [this] { return pass_handover_gate(); }};
  std::string last_reply;
  c.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
  c.easy_setopt(h, CURLOPT_READDATA, &cursor);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &last_reply);
  c.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  m_impl->error[0] = '\0';
  const CURLcode rc = c.easy_perform(h);
  long response = 0;
  curl_off_t uploaded = 0;
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
  c.easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  c.easy_setopt(h, CURLOPT_MAIL_RCPT, static_cast<curl_slist*>(nullptr));
  c.slist_free_all(rcpts);
  SendResult r;
  r.outcome = classify(rc, response, uploaded == static_cast<curl_off_t>(message.size()));
  if (response != 0) {
    r.code = static_cast<int>(response);
  }
  if (rc == CURLE_OK) {
    r.reply = last_reply;
  } else {
    const std::string detail = m_impl->error[0] != '\0' ? m_impl->error : c.easy_strerror(rc);
    r.reply = last_reply.empty() || r.outcome == Outcome::connection ||
                      r.outcome == Outcome::stop_config
                  ? detail
                  : last_reply;
    // After any failure the connection may be out of step: start afresh.
    m_impl->drop();
  }
  return r;
}

} // namespace practice::mail
