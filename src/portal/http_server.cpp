#include "http_server.hpp"

#include "practice/error.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>
#include <microhttpd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <dlfcn.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace practice::portal {

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::cookie(std::string_view name) const {
  const auto all = header("cookie");
  if (!all) {
    return std::nullopt;
  }
  size_t start = 0;
  while (start <= all->size()) {
    const auto end = std::min(all->find(';', start), all->size());
    const std::string item(util::trim(std::string_view(*all).substr(start, end - start)));
    start = end + 1;
    const auto eq = item.find('=');
    if (eq != std::string::npos && item.compare(0, eq, name) == 0 && eq == name.size()) {
      return item.substr(eq + 1);
    }
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::field(std::string_view name) const {
  for (const auto& [k, v] : form) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

std::vector<std::string> HttpRequest::fields(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : form) {
    if (k == name) {
      out.push_back(v);
    }
  }
  return out;
}

struct HttpServer::Impl {
  Impl(const ServerLimits& l, HttpHandler& h) : limits(l), handler(h) {}
  ServerLimits limits;
  HttpHandler& handler;
  int fd = -1;
  std::string address;
  MHD_Daemon* daemon = nullptr;
  std::atomic<int> in_flight{0}; // requests between their headers and their end
};

namespace {

// The libmicrohttpd entry points we use, resolved from libmicrohttpd.so.12
// when the portal starts: it pulls in GnuTLS and a dozen more libraries, and
// every other command would pay for mapping them at start-up.
struct MhdApi {
  decltype(&MHD_add_response_header) add_response_header = nullptr;
  decltype(&MHD_create_post_processor) create_post_processor = nullptr;
  decltype(&MHD_create_response_from_buffer) create_response_from_buffer = nullptr;
  decltype(&MHD_create_response_from_fd) create_response_from_fd = nullptr;
  decltype(&MHD_destroy_post_processor) destroy_post_processor = nullptr;
  decltype(&MHD_destroy_response) destroy_response = nullptr;
  decltype(&MHD_get_connection_info) get_connection_info = nullptr;
  decltype(&MHD_get_connection_values) get_connection_values = nullptr;
  decltype(&MHD_post_process) post_process = nullptr;
  decltype(&MHD_queue_response) queue_response = nullptr;
  decltype(&MHD_quiesce_daemon) quiesce_daemon = nullptr;
  decltype(&MHD_start_daemon) start_daemon = nullptr;
  decltype(&MHD_stop_daemon) stop_daemon = nullptr;
};

template <typename F> void resolve(void* lib, const char* name, F& out) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    throw Unavailable(fmt::format("libmicrohttpd has no {}", name), "install libmicrohttpd12");
  }
  out = reinterpret_cast<F>(sym);
}

const MhdApi& mhd() {
  static const MhdApi api = [] {
    void* lib = ::dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      throw Unavailable("cannot load libmicrohttpd to serve the portal",
                        "install it with 'apt-get install libmicrohttpd12'");
    }
    MhdApi a;
    resolve(lib, "MHD_add_response_header", a.add_response_header);
    resolve(lib, "MHD_create_post_processor", a.create_post_processor);
    resolve(lib, "MHD_create_response_from_buffer", a.create_response_from_buffer);
    resolve(lib, "MHD_create_response_from_fd", a.create_response_from_fd);
    resolve(lib, "MHD_destroy_post_processor", a.destroy_post_processor);
    resolve(lib, "MHD_destroy_response", a.destroy_response);
    resolve(lib, "MHD_get_connection_info", a.get_connection_info);
    resolve(lib, "MHD_get_connection_values", a.get_connection_values);
    resolve(lib, "MHD_post_process", a.post_process);
    resolve(lib, "MHD_queue_response", a.queue_response);
    resolve(lib, "MHD_quiesce_daemon", a.quiesce_daemon);
    resolve(lib, "MHD_start_daemon", a.start_daemon);
    resolve(lib, "MHD_stop_daemon", a.stop_daemon);
    return a;
  }();
  return api;
}

using Clock = std::chrono::steady_clock;

// A body over the limits is read on and dropped, so that the client gets its
// 413 (a browser reads no answer before it has sent its whole body); only a
// body this much past every limit has its connection closed instead.
constexpr int64_t k_drain_bytes = 64 * 1024 * 1024;

// One request in flight: what MHD's callbacks share.
struct Exchange {
  HttpServer::Impl& server;
  HttpRequest request;
  Clock::time_point started = Clock::now();
  MHD_PostProcessor* post = nullptr;
  int64_t field_bytes = 0;
  int64_t body_bytes = 0;
  int file_fd = -1;
  int status = 0;

  explicit Exchange(HttpServer::Impl& s) : server(s) { ++server.in_flight; }
  ~Exchange() {
    --server.in_flight;
    if (post != nullptr) {
      mhd().destroy_post_processor(post);
    }
    close_file();
    for (const auto& f : request.files) {
      ::unlink(f.path.c_str());
    }
  }
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void close_file() {
    if (file_fd >= 0) {
      ::close(file_fd);
      file_fd = -1;
    }
  }

  // Over a limit: keep nothing of the body.
  void too_large() {
    request.body_too_large = true;
    close_file();
    for (const auto& f : request.files) {
      ::unlink(f.path.c_str());
    }
    request.files.clear();
    request.form.clear();
  }
};

MHD_Result collect_header(void* cls, MHD_ValueKind /*kind*/, const char* key, const char* value) {
  auto* r = static_cast<HttpRequest*>(cls);
  r->headers.emplace_back(util::to_lower(key), value == nullptr ? "" : value);
  return MHD_YES;
}

MHD_Result on_field(void* cls, MHD_ValueKind /*kind*/, const char* key, const char* filename,
                    const char* /*content_type*/, const char* /*transfer_encoding*/, const char* data, uint64_t off,
                    size_t size) {
  auto& x = *static_cast<Exchange*>(cls);
  if (x.request.body_too_large) {
    return MHD_YES;
  }
  const std::string field = key == nullptr ? "" : key;
  if (filename != nullptr) {
    auto& files = x.request.files;
    const bool same = !files.empty() && x.file_fd >= 0 && files.back().field == field && files.back().name == filename;
    if (off == 0 && !(same && files.back().size == 0)) {
      x.close_file();
      std::string path = x.server.limits.upload_dir + "/.upload-XXXXXX";
      const int fd = ::mkstemp(path.data());
      if (fd < 0) {
        x.request.body_malformed = true;
        return MHD_YES;
      }
      x.file_fd = fd;
      files.push_back({field, filename, path, 0});
    }
    if (x.file_fd < 0) {
      return MHD_YES;
    }
    auto& f = files.back();
    f.size += static_cast<int64_t>(size);
    if (f.size > x.server.limits.max_file) {
      x.too_large();
      return MHD_YES;
    }
    for (size_t done = 0; done < size;) {
      const ssize_t n = ::write(x.file_fd, data + done, size - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        x.request.body_malformed = true;
        return MHD_YES;
      }
      done += static_cast<size_t>(n);
    }
    return MHD_YES;
  }
  x.field_bytes += static_cast<int64_t>(size) + static_cast<int64_t>(field.size());
  if (x.field_bytes > x.server.limits.max_fields) {
    x.too_large();
    return MHD_YES;
  }
  if (off == 0 || x.request.form.empty() || x.request.form.back().first != field) {
    x.request.form.emplace_back(field, std::string(data, size));
  } else {
    x.request.form.back().second.append(data, size);
  }
  return MHD_YES;
}

MHD_Result queue(MHD_Connection* c, Exchange& x, const HttpResponse& r) {
  MHD_Response* response = nullptr;
  if (r.file) {
    const int fd = ::open(r.file->c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0) {
      response = mhd().create_response_from_fd(static_cast<uint64_t>(st.st_size), fd);
    } else if (fd >= 0) {
      ::close(fd);
    }
  }
  if (response == nullptr) {
    response = mhd().create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  }
  if (response == nullptr) {
    return MHD_NO;
  }
  mhd().add_response_header(response, "Content-Type", r.content_type.c_str());
  for (const auto& [k, v] : r.headers) {
    mhd().add_response_header(response, k.c_str(), v.c_str());
  }
  const MHD_Result ok = mhd().queue_response(c, static_cast<unsigned>(r.status), response);
  mhd().destroy_response(response);
  x.status = r.status;
  return ok;
}

std::string peer_of(MHD_Connection* c) {
  const auto* info = mhd().get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) {
    return "";
  }
  char buf[INET6_ADDRSTRLEN] = {};
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

HttpResponse plain(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char* /*version*/,
                      const char* upload_data, size_t* upload_size, void** con_cls) {
  auto& server = *static_cast<HttpServer::Impl*>(cls);
  auto* x = static_cast<Exchange*>(*con_cls);
  if (x == nullptr) {
    x = new Exchange(server);
    *con_cls = x;
    x->request.method = method;
    x->request.path = url;
    x->request.peer = peer_of(c);
    mhd().get_connection_values(c, MHD_HEADER_KIND, collect_header, &x->request);
    try {
      if (auto early = server.handler.before_body(x->request)) {
        return queue(c, *x, *early);
      }
    } catch (const std::exception&) {
      return queue(c, *x, plain(500, "Something went wrong on our side. Please try again in a minute.\n"));
    }
    if (const auto length = x->request.header("content-length")) {
      const auto n = util::parse_int(*length);
      if (n && *n > server.limits.max_file + server.limits.max_fields) {
        x->request.body_too_large = true;
        return MHD_YES; // answered when the handler sees it: 413 without reading on
      }
    }
    if (x->request.method == "POST") {
      x->post = mhd().create_post_processor(c, 32 * 1024, on_field, x);
    }
    return MHD_YES;
  }
  if (*upload_size != 0) {
    x->body_bytes += static_cast<int64_t>(*upload_size);
    if (x->request.body_too_large &&
        x->body_bytes > server.limits.max_file + server.limits.max_fields + k_drain_bytes) {
      return MHD_NO; // a body past every limit, still coming: close the connection
    }
    if (x->post != nullptr && !x->request.body_too_large) {
      if (mhd().post_process(x->post, upload_data, *upload_size) != MHD_YES) {
        x->request.body_malformed = true;
      }
    } else if (x->post == nullptr) {
      x->request.body_malformed = true;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  x->close_file();
  std::erase_if(x->request.files, [](const UploadedFile& f) {
    if (f.name.empty() && f.size == 0) {
      ::unlink(f.path.c_str());
      return true;
    }
    return false;
  });
  HttpResponse r;
  try {
    r = server.handler.handle(x->request);
  } catch (const std::exception&) {
    r = plain(500, "Something went wrong on our side. Please try again in a minute.\n");
  }
  return queue(c, *x, r);
}

void on_completed(void* cls, MHD_Connection* /*c*/, void** con_cls, MHD_RequestTerminationCode /*why*/) {
  auto& server = *static_cast<HttpServer::Impl*>(cls);
  auto* x = static_cast<Exchange*>(*con_cls);
  if (x == nullptr) {
    return;
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - x->started).count();
  try {
    server.handler.finished(x->request, x->status, ms);
  } catch (const std::exception&) {
  }
  delete x;
  *con_cls = nullptr;
}

// Binds "ADDR:PORT" or "[ADDR]:PORT"; returns the socket.
int bind_listen(const std::string& listen, std::string& bound) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    throw InvalidInput(fmt::format("--listen \"{}\" is not ADDR:PORT", listen), "use e.g. 127.0.0.1:8080");
  }
  std::string host = listen.substr(0, colon);
  const auto port = util::parse_int(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    throw InvalidInput(fmt::format("--listen \"{}\" has no port from 0 to 65535", listen), "use e.g. 127.0.0.1:8080");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(*port));
    len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(*port));
    len = sizeof(sockaddr_in6);
  } else {
    throw InvalidInput(fmt::format("--listen \"{}\": \"{}\" is not an IP address", listen, host),
                       "use e.g. 127.0.0.1:8080 or [::1]:8080");
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw Unavailable(fmt::format("cannot open a socket: {}", std::strerror(errno)));
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 256) != 0) {
    const int err = errno;
    ::close(fd);
    throw Unavailable(fmt::format("cannot listen on {}: {}", listen, std::strerror(err)),
                      err == EADDRINUSE ? "another program uses that port: pick another with --listen" : "");
  }
  sockaddr_storage got{};
  socklen_t got_len = sizeof got;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len);
  const int actual = family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&got)->sin_port)
                                       : ntohs(reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
  bound = family == AF_INET ? fmt::format("{}:{}", host, actual) : fmt::format("[{}]:{}", host, actual);
  return fd;
}

} // namespace

HttpServer::HttpServer(const std::string& listen, const ServerLimits& limits, HttpHandler& handler)
    : m_impl(std::make_unique<Impl>(limits, handler)) {
  m_impl->fd = bind_listen(listen, m_impl->address);
  const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC;
  m_impl->daemon = mhd().start_daemon(
      flags, 0, nullptr, nullptr, &on_request, m_impl.get(), MHD_OPTION_LISTEN_SOCKET, m_impl->fd,
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(limits.threads), MHD_OPTION_CONNECTION_LIMIT,
      limits.connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits.per_address, MHD_OPTION_CONNECTION_TIMEOUT,
      limits.idle_timeout_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT, limits.connection_memory,
      MHD_OPTION_NOTIFY_COMPLETED, &on_completed, m_impl.get(), MHD_OPTION_END);
  if (m_impl->daemon == nullptr) {
    ::close(m_impl->fd);
    throw Unavailable(fmt::format("cannot start the web server on {}", m_impl->address));
  }
}

HttpServer::~HttpServer() { stop(0); }

std::string HttpServer::address() const { return m_impl->address; }

void HttpServer::stop(int grace_seconds) {
  if (m_impl->daemon == nullptr) {
    return;
  }
  const MHD_socket listening = mhd().quiesce_daemon(m_impl->daemon);
  const auto until = Clock::now() + std::chrono::seconds(grace_seconds);
  while (Clock::now() < until) {
    // Idle keep-alive connections do not hold the stop up; requests do.
    if (m_impl->in_flight.load() == 0) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  mhd().stop_daemon(m_impl->daemon);
  m_impl->daemon = nullptr;
  if (listening != MHD_INVALID_SOCKET) {
    ::close(listening);
  }
}

} // namespace practice::portal
