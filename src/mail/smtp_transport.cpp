#include "practice/mail/smtp_transport.hpp"

#include "practice/error.hpp"

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <dlfcn.h>
#include <sys/socket.h>

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

using Steady = std::chrono::steady_clock;

// One send as the callbacks see it: the message going out and the stage
// clock that libcurl's trace and progress calls move.
struct Conversation {
  std::string_view data;
  size_t pos = 0;
  std::function<bool()> gate; // passed before the last bytes go out
  bool abandoned = false;     // the gate said no
  SmtpStageClock stages;
  curl_off_t uploaded = 0;
  bool timed_out = false; // a stage ran past its limit: the progress callback ended the send
};

size_t read_body(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* c = static_cast<Conversation*>(userdata);
  if (c == nullptr) {
    return 0;
  }
  const size_t n = std::min(size * nitems, c->data.size() - c->pos);
  if (n > 0 && c->pos + n == c->data.size() && c->gate && !c->gate()) {
    c->abandoned = true;
    return CURL_READFUNC_ABORT; // nothing handed over: not delivered
  }
  std::memcpy(buffer, c->data.data() + c->pos, n);
  c->pos += n;
  if (n > 0) {
    const auto now = Steady::now();
    c->stages.data_moved(now);
    if (c->pos == c->data.size()) {
      c->stages.data_done(now); // from here on, the wait for the final reply
    }
  }
  return n;
}

// libcurl's trace, for the stage clock: the connection, each command's verb
// and each reply line. Nothing is kept or printed (the AUTH lines carry the
// password; the message goes past as DATA_OUT and is not looked at).
int on_trace(CURL* /*handle*/, curl_infotype type, char* data, size_t size, void* userdata) {
  auto* c = static_cast<Conversation*>(userdata);
  if (c == nullptr) {
    return 0; // between sends (closing the connection)
  }
  const std::string_view text(data, size);
  const auto now = Steady::now();
  if (type == CURLINFO_TEXT) {
    if (text.rfind("Connected to ", 0) == 0) {
      c->stages.connected(now);
    }
    return 0;
  }
  if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN) {
    return 0;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    eol = eol == std::string_view::npos ? text.size() : eol;
    std::string_view line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      if (type == CURLINFO_HEADER_OUT) {
        c->stages.sent(line, now);
      } else {
        c->stages.received(line, now);
      }
    }
    pos = eol + 1;
  }
  return 0;
}

// Called about once a second whatever the stage: ends the send when the
// stage it is in has run out of time.
int on_progress(void* userdata, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
                curl_off_t ulnow) {
  auto* c = static_cast<Conversation*>(userdata);
  if (c == nullptr) {
    return 0; // between sends (closing the connection)
  }
  const auto now = Steady::now();
  if (ulnow > c->uploaded) {
    c->uploaded = ulnow;
    c->stages.data_moved(now);
  }
  if (c->stages.expired(now)) {
    c->timed_out = true;
    return 1;
  }
  return 0;
}

// Keeps the last SMTP reply line (e.g. "250 2.0.0 queued as 4F1x").
size_t read_reply(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* last = static_cast<std::string*>(userdata);
  if (last == nullptr) {
    return size * nitems; // the QUIT of a connection closed between sends
  }
  std::string line(buffer, size * nitems);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.pop_back();
  }
  if (!line.empty()) {
    *last = line.substr(0, 500);
  }
  return size * nitems;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// libcurl's "Failed to connect to h port p after 0 ms: ...": the time is noise.
std::string tidy_error(std::string_view error) {
  std::string out(error);
  const size_t after = out.find(" after ");
  if (after != std::string::npos) {
    const size_t ms = out.find(" ms", after);
    if (ms != std::string::npos && out.find_first_not_of("0123456789", after + 7) == ms) {
      out.erase(after, ms + 3 - after);
    }
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
    out.pop_back();
  }
  return out;
}

// What every session sets, delivery's and the check's alike: the server, TLS
// (STARTTLS required when `starttls`; TLS 1.2 or later, verified) and the login.
void set_session(CURL* h, const SmtpSettings& settings, const std::string& url, bool starttls) {
  const CurlApi& c = curl_api();
  c.easy_setopt(h, CURLOPT_URL, url.c_str());
  c.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (starttls) {
    c.easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  c.easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  c.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  c.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (settings.ca_file) {
    c.easy_setopt(h, CURLOPT_CAINFO, settings.ca_file->c_str());
  }
  if (settings.username) {
    c.easy_setopt(h, CURLOPT_USERNAME, settings.username->c_str());
    c.easy_setopt(h, CURLOPT_PASSWORD, settings.password.value_or("").c_str());
  }
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

SendResult send_result(int curl_code, long response, bool all_uploaded, std::string_view reply_line,
                       std::string_view error, const SmtpStageClock* timed_out) {
  SendResult r;
  r.outcome = timed_out != nullptr ? timed_out->outcome() : classify(curl_code, response, all_uploaded);
  const bool done = curl_code == CURLE_OK && response / 100 == 2;
  const bool refused = curl_code != CURLE_OK && (response / 100 == 4 || response / 100 == 5);
  if ((done || refused) && timed_out == nullptr && starts_with(reply_line, std::to_string(response))) {
    r.code = static_cast<int>(response); // the server's own words, which carry the code
    r.reply = std::string(reply_line);
    return r;
  }
  r.reply = timed_out != nullptr ? timed_out->reason() : tidy_error(error);
  if (r.outcome == Outcome::unknown && timed_out == nullptr) {
    r.reply = "no reply after the final dot: " + r.reply;
  }
  // Before the transaction (no connection, no STARTTLS, no TLS) there is no
  // reply to show; inside it, the last code tells how far it got.
  const bool in_transaction = r.outcome == Outcome::temporary || r.outcome == Outcome::unknown ||
                              r.outcome == Outcome::permanent;
  if (response != 0 && in_transaction) {
    r.code = static_cast<int>(response);
  }
  return r;
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

  // After a failure. libcurl 7.88 may keep the connection cached (a
  // timed-out final reply, reliability.md R-SMTP-2); closing it sends QUIT
  // and waits for a reply that an out-of-step server may never give, as
  // long as the longest reply timeout. Shut the socket first: the QUIT then
  // fails at once.
  void drop_after_failure() {
    if (handle != nullptr) {
      curl_socket_t fd = CURL_SOCKET_BAD;
      if (curl_api().easy_getinfo(handle, CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK && fd != CURL_SOCKET_BAD) {
        ::shutdown(fd, SHUT_RDWR);
      }
    }
    drop();
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
    set_session(handle, settings, url, starttls);
    const std::string envelope_from(from);
    c.easy_setopt(handle, CURLOPT_MAIL_FROM, envelope_from.c_str());
    c.easy_setopt(handle, CURLOPT_UPLOAD, 1L);
    // The stage limits are kept by on_progress. libcurl's own limits stay
    // behind them as a backstop: its connect timeout also covers the
    // greeting and the EHLO, STARTTLS and AUTH exchanges (7.88), its reply
    // timeout is one for every reply, and no low-speed limit, which would
    // also cut the wait for the final reply short.
    const SmtpTimeouts& t = settings.timeouts;
    c.easy_setopt(handle, CURLOPT_CONNECTTIMEOUT, static_cast<long>((t.connect + t.greeting + 8 * t.command).count()));
    c.easy_setopt(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>(t.longest_reply().count()));
    c.easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    c.easy_setopt(handle, CURLOPT_ERRORBUFFER, error);
    c.easy_setopt(handle, CURLOPT_READFUNCTION, read_body);
    c.easy_setopt(handle, CURLOPT_HEADERFUNCTION, read_reply);
    c.easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
    c.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, on_progress);
    // The trace goes to on_trace alone, which keeps nothing: with no
    // callback CURLOPT_VERBOSE would print it, AUTH exchange included.
    c.easy_setopt(handle, CURLOPT_DEBUGFUNCTION, on_trace);
    c.easy_setopt(handle, CURLOPT_VERBOSE, 1L);
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

SessionCheck check_smtp_session(const SmtpSettings& settings) {
  SmtpTransport transport(settings); // the same URL and security checks
  const CurlApi& c = curl_api();
  CURL* h = c.easy_init();
  if (h == nullptr) {
    throw InternalError("libcurl could not make a handle");
  }
  const bool implicit_tls = starts_with(settings.url, "smtps://");
  std::string url = settings.url;
  if (url.find('/', url.find("://") + 3) == std::string::npos) {
    url += "/" + (settings.helo_domain.empty() ? std::string("localhost") : settings.helo_domain);
  }
  char error[CURL_ERROR_SIZE] = {};
  std::string last_reply;
  set_session(h, settings, url, !implicit_tls && settings.security != "none");
  // No MAIL_RCPT and no upload: libcurl sends the custom command alone.
  c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, "NOOP");
  const auto limit = std::min<long>(30, static_cast<long>(settings.timeouts.command.count()));
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT, std::min<long>(30, static_cast<long>(settings.timeouts.connect.count())));
  c.easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, limit);
  c.easy_setopt(h, CURLOPT_TIMEOUT, 4 * limit);
  c.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  c.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  c.easy_setopt(h, CURLOPT_HEADERFUNCTION, read_reply);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &last_reply);
  // NOOP's reply is the transfer's body: kept like a reply, never printed.
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, read_reply);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &last_reply);
  const CURLcode rc = c.easy_perform(h);
  long response = 0;
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
  c.easy_setopt(h, CURLOPT_HEADERDATA, static_cast<void*>(nullptr));
  c.easy_setopt(h, CURLOPT_WRITEDATA, static_cast<void*>(nullptr));
  c.easy_cleanup(h);
  SessionCheck out;
  if (rc == CURLE_OK) {
    out.outcome = Outcome::sent;
    out.detail = last_reply;
    return out;
  }
  const SendResult r = send_result(rc, response, false, last_reply, error[0] != '\0' ? error : c.easy_strerror(rc),
                                   nullptr);
  out.outcome = r.outcome == Outcome::sent ? Outcome::temporary : r.outcome;
  out.detail = r.reply;
  return out;
}

std::string SmtpTransport::describe() const { return m_impl->settings.url; }

std::unique_ptr<Transport> SmtpTransport::another() const {
  return std::make_unique<SmtpTransport>(m_impl->settings);
}

std::chrono::seconds SmtpTransport::longest_reply() const { return m_impl->settings.timeouts.longest_reply(); }

SendResult SmtpTransport::send(std::string_view from, std::string_view rcpt,
                               std::string_view message, std::string_view /*message_id*/) {
  const CurlApi& c = curl_api();
  CURL* h = m_impl->get(from);
  const std::string to(rcpt);
  curl_slist* rcpts = c.slist_append(nullptr, to.c_str());
  Conversation conv{message, 0, [this] { return pass_handover_gate(); }, false,
                    SmtpStageClock(m_impl->settings.timeouts, Steady::now())};
  std::string last_reply;
  c.easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
  c.easy_setopt(h, CURLOPT_READDATA, &conv);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &last_reply);
  c.easy_setopt(h, CURLOPT_DEBUGDATA, &conv);
  c.easy_setopt(h, CURLOPT_XFERINFODATA, &conv);
  c.easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  m_impl->error[0] = '\0';
  const CURLcode rc = c.easy_perform(h);
  long response = 0;
  curl_off_t uploaded = 0;
  c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response);
  c.easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &uploaded);
  c.easy_setopt(h, CURLOPT_MAIL_RCPT, static_cast<curl_slist*>(nullptr));
  c.slist_free_all(rcpts);
  // The callbacks' data lives in this call only; closing the connection
  // later (QUIT) calls them again.
  c.easy_setopt(h, CURLOPT_READDATA, static_cast<void*>(nullptr));
  c.easy_setopt(h, CURLOPT_HEADERDATA, static_cast<void*>(nullptr));
  c.easy_setopt(h, CURLOPT_DEBUGDATA, static_cast<void*>(nullptr));
  c.easy_setopt(h, CURLOPT_XFERINFODATA, static_cast<void*>(nullptr));
  // A stage limit ended it: ours (the progress callback) or libcurl's backstop.
  const bool timed_out = !conv.abandoned && (conv.timed_out || rc == CURLE_OPERATION_TIMEDOUT);
  std::string error;
  if (conv.abandoned) {
    error = "abandoned before the final dot (the run is stopping, or another run took the message over)";
  } else if (rc != CURLE_OK) {
    error = m_impl->error[0] != '\0' ? m_impl->error : c.easy_strerror(rc);
  }
  SendResult r = send_result(rc, response, uploaded == static_cast<curl_off_t>(message.size()), last_reply,
                             error, timed_out ? &conv.stages : nullptr);
  if (rc != CURLE_OK) {
    // After any failure the connection may be out of step: start afresh.
    m_impl->drop_after_failure();
  }
  return r;
}

} // namespace practice::mail
