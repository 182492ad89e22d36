#include "portal.hpp"

#include "practice/app/actions.hpp"
#include "practice/app/portal_access.hpp"
#include "practice/app/workspace.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/error.hpp"
#include "practice/requests/links.hpp"
#include "practice/requests/requests.hpp"
#include "practice/util/mustache.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/time.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace practice::portal {

// Generated from share/practice/portal/ (see src/CMakeLists.txt).
std::optional<std::string_view> portal_asset(std::string_view name);

using nlohmann::json;

struct Portal::Worker {
  storage::Database db;
  app::Workspace ws;
  Worker(const PortalOptions& o, std::mutex& writers, const std::string& key)
      : db(o.db_path, storage::OpenMode::existing, o.busy_timeout_ms),
        ws(db, *o.config, *o.clock, o.db_path, o.base_dir) {
    ws.share_writer_turns(writers);
    ws.hold_link_key(key);
    db.exec("PRAGMA wal_autocheckpoint=0"); // the checkpoint thread's work (Portal::checkpoint_loop)
  }
};

namespace {

// portal.md's policy plus connect-src 'self': without it the browser refuses
// the page's own autosave requests (default-src 'none' covers fetch too).
constexpr std::string_view k_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  while (!out.empty() && out.back().empty()) {
    out.pop_back();
  }
  return out;
}

bool wants_json(const HttpRequest& r) {
  const auto accept = r.header("accept");
  return accept && accept->find("application/json") != std::string::npos;
}

bool same_secret(const std::string& a, const std::optional<std::string>& b) {
  return b && a.size() == b->size() && CRYPTO_memcmp(a.data(), b->data(), a.size()) == 0;
}

std::string size_text(int64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} bytes", bytes);
  }
  if (bytes < 1024 * 1024) {
    return fmt::format("{:.0f} KB", static_cast<double>(bytes) / 1024.0);
  }
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

std::string date_text(util::TimePoint t) { return util::format_date(std::chrono::floor<std::chrono::days>(t)); }

std::string masked(const std::string& email) {
  const auto at = email.find('@');
  if (at == std::string::npos || at == 0) {
    return email;
  }
  // Always three stars: the mask says nothing of the name's length.
  return email.substr(0, 1) + "***" + email.substr(at);
}

std::string origin_of(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  const auto slash = url.find('/', scheme + 3);
  return slash == std::string::npos ? url : url.substr(0, slash);
}

// What a rendered answer reads as, for the read-only view.
std::string shown_answer(const requests::Question& q, const std::optional<requests::Answer>& a) {
  if (!a || q.type == requests::QuestionType::file) {
    return "";
  }
  const json v = json::parse(a->value, nullptr, false);
  if (v.is_array()) {
    std::string text;
    for (const auto& x : v) {
      text += (text.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
    }
    return text;
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (q.type == requests::QuestionType::yesno) {
      return s == "yes" ? "Yes" : "No";
    }
    return s;
  }
  return v.dump();
}

// The values a form field shows: what was typed (after a refused save), else the saved answer.
std::vector<std::string> current_values(const requests::Question& q, const std::optional<requests::Answer>& a) {
  std::vector<std::string> out;
  if (!a || q.type == requests::QuestionType::file) {
    return out;
  }
  const json v = json::parse(a->value, nullptr, false);
  if (v.is_array()) {
    for (const auto& x : v) {
      out.push_back(x.is_string() ? x.get<std::string>() : x.dump());
    }
  } else if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (!v.is_discarded()) {
    out.push_back(v.dump());
  }
  return out;
}

} // namespace

// Everything one request to the portal works with.
struct Portal::Call {
  Portal& portal;
  HttpRequest& http;
  Worker& w;
  std::string client; // the client's address
  bool https = false;
  std::string firm;

  const std::string& key() const { return portal.m_key; }
  util::TimePoint now() const { return w.ws.now(); }
  std::string cookie_name() const { return https ? "__Host-practice" : "practice_session"; }
  // A line for the portal's log (never a secret in it).
  void warn(const std::string& line) const {
    if (portal.m_options.log) {
      portal.m_options.log(line);
    }
  }
};

std::string redact_path(const std::string& path) {
  auto parts = segments(path);
  // Wherever a link's kind stands (also behind a proxy's path prefix or a
  // doubled slash), the next segment is its token; and a segment as long as a
  // token is one.
  for (size_t i = 0; i < parts.size(); ++i) {
    if ((parts[i] == "r" || parts[i] == "a") && i + 1 < parts.size()) {
      parts[++i] = "…";
    } else if (parts[i].size() >= 32) {
      parts[i] = "…";
    }
  }
  std::string out;
  for (const auto& p : parts) {
    out += "/" + p;
  }
  return out.empty() ? "/" : out;
}

std::string client_address(const HttpRequest& request, const std::vector<std::string>& trusted_proxies) {
  if (std::find(trusted_proxies.begin(), trusted_proxies.end(), request.peer) == trusted_proxies.end()) {
    return request.peer;
  }
  // The proxy appends its hop to the last X-Forwarded-For line: a client's
  // own earlier lines (or hops) are not to be believed.
  std::optional<std::string> xff;
  for (const auto& [name, value] : request.headers) {
    if (name == "x-forwarded-for") {
      xff = value;
    }
  }
  if (!xff) {
    return request.peer;
  }
  const auto comma = xff->rfind(',');
  const std::string last(util::trim(comma == std::string::npos ? *xff : xff->substr(comma + 1)));
  return last.empty() ? request.peer : last;
}

Portal::Portal(PortalOptions options) : m_options(std::move(options)) {
  m_key = requests::load_or_create_link_key(m_options.db_path + ".key");
  m_mail_thread = std::thread([this] { mail_loop(); });
  m_checkpoint_thread = std::thread([this] { checkpoint_loop(); });
}

Portal::~Portal() {
  stop_mail();
  {
    std::lock_guard lock(m_checkpoint_mutex);
    m_checkpoint_stop = true;
  }
  m_checkpoint_wake.notify_all();
  m_checkpoint_thread.join();
}

void Portal::checkpoint_loop() {
  std::unique_ptr<storage::Database> db;
  std::unique_lock lock(m_checkpoint_mutex);
  // A passive checkpoint a few times a second: it waits for no reader or
  // writer, and with nothing new in the WAL it costs a read of its index.
  while (!m_checkpoint_wake.wait_for(lock, std::chrono::milliseconds(250), [&] { return m_checkpoint_stop; })) {
    lock.unlock();
    try {
      if (!db) {
        db = std::make_unique<storage::Database>(m_options.db_path, storage::OpenMode::existing,
                                                 m_options.busy_timeout_ms);
      }
      db->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const std::exception&) {
      db.reset(); // tried again next time; a worker reports a database that is gone
    }
    lock.lock();
  }
}

Portal::Worker& Portal::worker() {
  std::lock_guard lock(m_workers_mutex);
  auto& w = m_workers[std::this_thread::get_id()];
  if (!w) {
    w = std::make_unique<Worker>(m_options, m_writers, m_key);
  }
  return *w;
}

void Portal::hand_mail(const std::vector<int64_t>& ids) {
  if (ids.empty()) {
    return;
  }
  {
    std::lock_guard lock(m_mail_mutex);
    m_mail_ids.insert(m_mail_ids.end(), ids.begin(), ids.end());
  }
  m_mail_wake.notify_one();
}

// Mail queued by portal actions goes out from this one thread, on its own
// connection, so no page waits for the mail server.
void Portal::mail_loop() {
  std::unique_ptr<Worker> w;
  bool warned = false;
  for (;;) {
    std::vector<int64_t> ids;
    {
      std::unique_lock lock(m_mail_mutex);
      m_mail_wake.wait(lock, [&] { return m_mail_stop || !m_mail_ids.empty(); });
      if (m_mail_ids.empty() && m_mail_stop) {
        return;
      }
      ids.swap(m_mail_ids);
    }
    try {
      if (!w) {
        w = std::make_unique<Worker>(m_options, m_writers, m_key);
      }
      // Another delivery run (cron) may hold the run lock: it sends these
      // too as it goes; try again for a while in case it had just finished.
      for (int attempt = 0; attempt < 20; ++attempt) {
        if (w->ws.deliver(ids)) {
          break;
        }
        std::unique_lock lock(m_mail_mutex);
        if (m_mail_wake.wait_for(lock, std::chrono::milliseconds(500), [&] { return m_mail_stop; })) {
          break;
        }
      }
    } catch (const std::exception& e) {
      if (!warned && m_options.log) {
        m_options.log(fmt::format("practice: warning: portal mail stays queued for 'practice outbox flush': {}",
                                  e.what()));
        warned = true;
      }
    }
  }
}

void Portal::stop_mail() {
  {
    std::lock_guard lock(m_mail_mutex);
    m_mail_stop = true;
  }
  m_mail_wake.notify_all();
  if (m_mail_thread.joinable()) {
    m_mail_thread.join();
  }
}

namespace {

HttpResponse secured(HttpResponse r) {
  r.headers.emplace_back("Content-Security-Policy", std::string(k_csp));
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

std::string asset(std::string_view name) {
  const auto text = portal_asset(name);
  if (!text) {
    throw InternalError(fmt::format("the portal asset {} is missing from this build", name));
  }
  return std::string(*text);
}

// The built-in templates are parsed once per worker thread, not once a page.
std::string render_asset(const std::string& name, const json& data) {
  thread_local std::unordered_map<std::string, util::MustacheTemplate> parsed;
  auto it = parsed.find(name);
  if (it == parsed.end()) {
    it = parsed.emplace(name, util::MustacheTemplate(asset(name), util::Escape::html, name)).first;
  }
  return it->second.render(data);
}

std::string render_page(const std::string& firm, const std::string& page, const std::string& title, json data,
                        const json& layout_extra = json::object()) {
  data["firm_name"] = firm;
  const std::string body = render_asset(page + ".mustache", data);
  json layout = {{"lang", "en"}, {"firm_name", firm}, {"page_title", title}, {"content", body}};
  layout.update(layout_extra);
  return render_asset("layout.mustache", layout);
}

HttpResponse html(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse json_response(int status, const json& j) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = j.dump();
  return r;
}

HttpResponse json_error(int status, std::string_view code, const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

HttpResponse redirect(const std::string& to) {
  HttpResponse r;
  r.status = 303;
  r.headers.emplace_back("Location", to);
  r.body = "";
  return r;
}

HttpResponse with_retry(HttpResponse r, std::chrono::seconds after) {
  r.headers.emplace_back("Retry-After", std::to_string(after.count()));
  return r;
}

} // namespace

// The one page every unknown, expired, revoked, cancelled or other-scope link gets.
static HttpResponse not_found_page(const std::string& firm) {
  return html(404, render_page(firm, "notfound", "Link not found", json::object()));
}

// When the database cannot be opened or read: a page that needs nothing from it.
static HttpResponse no_database(const HttpRequest& request, const config::Config& config, bool busy) {
  const std::string firm = config.firm_name ? *config.firm_name : std::string("Your accountant");
  const std::string heading = busy ? "Busy" : "Something went wrong";
  const std::string text = busy ? "The portal is busy: please try again in a moment."
                                : "Something went wrong on our side. Please try again in a minute.";
  const int status = busy ? 503 : 500;
  HttpResponse r = wants_json(request) ? json_error(status, busy ? "busy" : "internal", text)
                                       : html(status, render_page(firm, "notice", heading,
                                                                  {{"heading", heading}, {"text", text}}));
  return secured(busy ? with_retry(std::move(r), std::chrono::seconds(2)) : std::move(r));
}

// GET /healthz: for the proxy and systemd; it says nothing about the database.
static bool is_health_check(const HttpRequest& request) {
  const bool get = request.method == "GET" || request.method == "HEAD";
  return get && segments(request.path) == std::vector<std::string>{"healthz"};
}

static HttpResponse health() {
  HttpResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "ok";
  return secured(std::move(r));
}

static HttpResponse problem(const Portal::Call& c, int status, std::string_view code, const std::string& heading,
                            const std::string& text) {
  if (wants_json(c.http)) {
    return json_error(status, code, text);
  }
  return html(status, render_page(c.firm, "notice", heading, {{"heading", heading}, {"text", text}}));
}

namespace {

// A request link, opened for this call.
struct RequestLink {
  std::string token;
  requests::LinkTarget target;
};

struct ApprovalLink {
  std::string token;
  approvals::LinkTarget target;
};

} // namespace

static std::optional<app::PortalSession> current_session(Portal::Call& c) {
  const auto id = c.http.cookie(c.cookie_name());
  if (!id) {
    return std::nullopt;
  }
  return app::find_session(c.w.db, *id, c.now());
}

// Whether this link's item needs a signed-in contact, and whether one is.
static bool needs_sign_in(Portal::Call& c, bool login_required, const std::optional<int64_t>& contact_id) {
  if (!login_required) {
    return false;
  }
  const auto s = current_session(c);
  return !(s && contact_id && s->contact_id == *contact_id);
}

// A signed-in client's successful action keeps their session alive: 12 hours
// of idleness end it, not 12 hours after signing in. Pages do not (GET
// changes nothing), nor do refused posts. Bookkeeping only: a busy database
// here does not turn the action that succeeded into an error.
static void keep_session_alive(Portal::Call& c) {
  try {
    const auto s = current_session(c);
    if (s && c.now() >= s->last_seen + std::chrono::minutes(1)) {
      storage::Transaction tx(c.w.db, storage::TxMode::write);
      app::touch_session(c.w.db, *s, c.now());
      tx.commit();
    }
  } catch (const Error&) {
  }
}

static json layout_extra(Portal::Call& c) {
  const auto s = current_session(c);
  if (!s) {
    return json::object();
  }
  const auto id = c.http.cookie(c.cookie_name());
  return {{"signed_in", true}, {"logout_csrf", app::csrf_token(c.key(), "session:" + *id)}};
}

static std::string link_csrf(const Portal::Call& c, const std::string& token) {
  return app::csrf_token(c.key(), "link:" + token);
}

static HttpResponse sign_in_page(Portal::Call& c, int status, const std::string& kind, const std::string& token,
                                 const std::string& title, const std::string& email, const json& extra) {
  json data = {{"title", title},
               {"masked_email", masked(email)},
               {"csrf", link_csrf(c, token)},
               {"link", token},
               {"code_action", fmt::format("/{}/{}/code", kind, token)}};
  data.update(extra);
  return html(status, render_page(c.firm, "signin", title, data));
}

using Errors = std::map<int, std::string>;
using Typed = std::map<int, std::vector<std::string>>;

static HttpResponse request_page(Portal::Call& c, int status, const RequestLink& link, const Errors& errors = {},
                                 const Typed& typed = {}, const std::string& submit_error = {}) {
  const auto& r = link.target.request;
  const bool open = requests::accepts_answers(r.status);
  const std::string csrf = link_csrf(c, link.token);
  const std::string base = "/r/" + link.token;
  json questions = json::array();
  int answered = 0;
  for (size_t i = 0; i < r.questions.size(); ++i) {
    const auto& q = r.questions[i];
    const auto& a = r.answers[i];
    answered += a ? 1 : 0;
    const auto t = typed.find(q.position);
    const std::vector<std::string> values = t != typed.end() ? t->second : current_values(q, a);
    json options = json::array();
    const bool multi = q.type == requests::QuestionType::multichoice;
    std::vector<std::pair<std::string, std::string>> choices;
    if (q.type == requests::QuestionType::yesno) {
      choices = {{"yes", "Yes"}, {"no", "No"}};
    } else {
      for (const auto& o : q.options) {
        choices.emplace_back(o, o);
      }
    }
    for (const auto& [value, label] : choices) {
      options.push_back({{"value", value},
                         {"label", label},
                         {"input_type", multi ? "checkbox" : "radio"},
                         {"checked", std::find(values.begin(), values.end(), value) != values.end()}});
    }
    json files = json::array();
    if (a) {
      for (const auto& f : a->files) {
        files.push_back({{"name", f.name},
                         {"size", size_text(f.size)},
                         {"remove_action", fmt::format("{}/answers/{}/files/{}/remove", base, q.position, f.id)},
                         {"csrf", csrf}});
      }
    }
    const auto e = errors.find(q.position);
    using QT = requests::QuestionType;
    questions.push_back({{"number", std::to_string(q.position)},
                         {"prompt", q.prompt},
                         {"optional", !q.required},
                         {"readonly_view", !open},
                         {"shown", shown_answer(q, a)},
                         {"answered", a.has_value()},
                         {"is_file", q.type == QT::file},
                         {"is_single", q.type == QT::text || q.type == QT::paragraph || q.type == QT::date ||
                                           q.type == QT::number},
                         {"is_text", q.type == QT::text},
                         {"is_paragraph", q.type == QT::paragraph},
                         {"is_date", q.type == QT::date},
                         {"is_number", q.type == QT::number},
                         {"value", values.empty() ? std::string() : values.front()},
                         {"options", options},
                         {"files", files},
                         {"has_files", !files.empty()},
                         {"error", e != errors.end() ? json(e->second) : json(nullptr)},
                         {"action", fmt::format("{}/answers/{}", base, q.position)},
                         {"csrf", csrf}});
  }
  std::string readonly;
  if (r.status == requests::Status::submitted) {
    readonly = fmt::format("You submitted this on {}. Thank you: {} has your answers.",
                           r.submitted_at ? date_text(*r.submitted_at) : std::string("-"), c.firm);
  } else if (r.status == requests::Status::completed) {
    readonly = fmt::format("{} has marked this request done. Nothing more is needed from you.", c.firm);
  }
  const json data = {{"title", r.title},
                     {"message", r.message ? json(*r.message) : json(nullptr)},
                     {"readonly", readonly.empty() ? json(nullptr) : json(readonly)},
                     {"answered", std::to_string(answered)},
                     {"total", std::to_string(r.questions.size())},
                     {"questions", questions},
                     {"csrf", csrf},
                     {"submit_action", base + "/submit"},
                     {"submit_error", submit_error.empty() ? json(nullptr) : json(submit_error)}};
  return html(status, render_page(c.firm, "request", r.title, data, layout_extra(c)));
}

static HttpResponse approval_page(Portal::Call& c, int status, const ApprovalLink& link, const std::string& error = {},
                                  const std::vector<std::string>& reasons_typed = {},
                                  const std::string& comment_typed = {}) {
  const auto& a = link.target.approval;
  const std::string base = "/a/" + link.token;
  std::string readonly;
  if (a.status == approvals::Status::approved) {
    readonly = fmt::format("You approved this on {}. Thank you.", a.decided_at ? date_text(*a.decided_at) : "-");
  } else if (a.status == approvals::Status::disapproved) {
    readonly = fmt::format("You disapproved this on {}. {} will look at your reasons:",
                           a.decided_at ? date_text(*a.decided_at) : "-", c.firm);
  }
  json fields = json::array();
  const size_t n = std::max<size_t>(3, reasons_typed.size());
  for (size_t i = 0; i < n; ++i) {
    fields.push_back({{"n", std::to_string(i + 1)},
                      {"first", i == 0},
                      {"value", i < reasons_typed.size() ? reasons_typed[i] : std::string()}});
  }
  const json data = {{"document", a.document.name},
                     {"description", a.document.description ? json(*a.document.description) : json(nullptr)},
                     {"message", a.message ? json(*a.message) : json(nullptr)},
                     {"size", size_text(a.document.size)},
                     {"document_href", base + "/document"},
                     {"readonly", readonly.empty() ? json(nullptr) : json(readonly)},
                     {"reasons", a.reasons},
                     {"has_reasons", !a.reasons.empty()},
                     {"comment", a.comment ? json(*a.comment) : json(nullptr)},
                     {"csrf", link_csrf(c, link.token)},
                     {"approve_action", base + "/approve"},
                     {"disapprove_action", base + "/disapprove"},
                     {"error", error.empty() ? json(nullptr) : json(error)},
                     {"reason_fields", fields},
                     {"comment_typed", comment_typed}};
  return html(status, render_page(c.firm, "approval", "Please review " + a.document.name, data, layout_extra(c)));
}

static std::optional<RequestLink> open_request(Portal::Call& c, const std::string& token) {
  auto t = requests::open_link(c.w.db, c.w.ws.env(), token, c.now(), requests::LinkUse::view);
  if (!t) {
    return std::nullopt;
  }
  return RequestLink{token, std::move(*t)};
}

static std::optional<ApprovalLink> open_approval(Portal::Call& c, const std::string& token) {
  auto t = approvals::open_link(c.w.db, c.w.ws.env(), token, c.now(), requests::LinkUse::view);
  if (!t) {
    return std::nullopt;
  }
  return ApprovalLink{token, std::move(*t)};
}

static accounts::Client client_of(const requests::LinkTarget& t) {
  return {t.request.account_id, t.recipient.contact_id, t.recipient.email};
}

static accounts::Client client_of(const approvals::LinkTarget& t) {
  return {t.approval.document.account_id, t.contact.id, t.contact.email};
}

static bool approval_needs_login(const approvals::LinkTarget& t) { return t.contact.portal; }

std::optional<HttpResponse> Portal::before_body(const HttpRequest& request) {
  // Only a POST has a body to refuse; a page checks its own link (handle).
  if (request.method != "POST") {
    return std::nullopt;
  }
  const auto parts = segments(request.path);
  // A form from another site never gets as far as the body.
  const auto site = request.header("sec-fetch-site");
  if (site && *site == "cross-site") {
    return secured(json_error(403, "forbidden", "This form was sent from another site."));
  }
  if (parts.size() < 2 || (parts[0] != "r" && parts[0] != "a")) {
    return std::nullopt;
  }
  // Links are checked before a body is read, so nobody uploads without one.
  const std::string client = client_address(request, m_options.config->portal_trusted_proxies);
  bool found = false;
  std::string firm;
  try {
    Worker& w = worker();
    storage::Transaction tx(w.db, storage::TxMode::read);
    if (parts[0] == "r") {
      found = requests::open_link(w.db, w.ws.env(), parts[1], w.ws.now(), requests::LinkUse::view).has_value();
    } else {
      found = approvals::open_link(w.db, w.ws.env(), parts[1], w.ws.now(), requests::LinkUse::view).has_value();
    }
    if (!found) {
      firm = app::firm_name(w.db, *m_options.config);
    }
  } catch (const Error& e) {
    return no_database(request, *m_options.config, e.kind() == ErrorKind::busy);
  } catch (const std::exception&) {
    return no_database(request, *m_options.config, false);
  }
  if (!found) {
    if (const auto wait = m_not_found.take(client, std::chrono::steady_clock::now())) {
      return secured(with_retry(html(429, "Too many requests: please wait a moment and try again.\n"), *wait));
    }
    return secured(not_found_page(firm));
  }
  if (const auto wait = m_per_link.take(parts[1], std::chrono::steady_clock::now())) {
    return secured(with_retry(json_error(429, "rate_limited", "Too many changes at once: please wait a moment."),
                              *wait));
  }
  return std::nullopt;
}

namespace {

// The outcome of one routed call, before the security headers.
class Router {
public:
  Router(Portal::Call& c, RateLimiter& code_mail, RateLimiter& code_tries, const std::function<void(const std::vector<int64_t>&)>& mail)
      : m_c(c), m_code_mail(code_mail), m_code_tries(code_tries), m_mail(mail) {}

  HttpResponse route();

private:
  HttpResponse home();
  HttpResponse request_get(const std::string& token);
  HttpResponse request_post(const std::string& token, const std::vector<std::string>& rest);
  HttpResponse approval_get(const std::string& token);
  HttpResponse approval_document(const std::string& token);
  HttpResponse approval_post(const std::string& token, const std::string& action);
  HttpResponse send_code(const std::string& kind, const std::string& token);
  HttpResponse login();
  HttpResponse logout();

  // A POST's CSRF token and Origin; nullopt when both are right.
  std::optional<HttpResponse> refuse_forged(const std::string& binding);
  HttpResponse not_found() { return not_found_page(m_c.firm); }
  HttpResponse answer_saved(const RequestLink& link, const requests::Request& r, int position);
  accounts::Session client_session(const accounts::Client& who) {
    return accounts::make_client_session(m_c.w.db, m_c.now(), who);
  }

  Portal::Call& m_c;
  RateLimiter& m_code_mail;
  RateLimiter& m_code_tries;
  const std::function<void(const std::vector<int64_t>&)>& m_mail;
};

HttpResponse Router::route() {
  const auto parts = segments(m_c.http.path);
  const std::string& method = m_c.http.method;
  const bool get = method == "GET" || method == "HEAD";
  const bool post = method == "POST";
  if (!get && !post) {
    auto r = problem(m_c, 405, "method_not_allowed", "Not allowed", "This page takes GET and POST only.");
    r.headers.emplace_back("Allow", "GET, HEAD, POST");
    return r;
  }
  if (post && m_c.http.body_too_large) {
    return problem(m_c, 413, "too_large", "Too large",
                   fmt::format("That is more than this portal takes at once: files up to {} MB each.",
                               m_c.w.ws.config().files_max_size_mb));
  }
  if (post && m_c.http.body_malformed) {
    return problem(m_c, 400, "bad_request", "Something went wrong", "That form could not be read: please try again.");
  }
  if (parts.empty()) {
    return get ? home() : not_found();
  }
  if (parts.size() == 2 && parts[0] == "static" && get && (parts[1] == "portal.css" || parts[1] == "portal.js")) {
    HttpResponse r;
    r.content_type = parts[1] == "portal.css" ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
    r.body = asset(parts[1]);
    return r;
  }
  if (parts.size() == 1 && parts[0] == "login" && post) {
    return login();
  }
  if (parts.size() == 1 && parts[0] == "logout" && post) {
    return logout();
  }
  if (parts.size() >= 2 && parts[0] == "r") {
    if (parts.size() == 2 && get) {
      return request_get(parts[1]);
    }
    if (parts.size() == 3 && parts[2] == "code" && post) {
      return send_code("r", parts[1]);
    }
    if (post) {
      return request_post(parts[1], std::vector<std::string>(parts.begin() + 2, parts.end()));
    }
  }
  if (parts.size() >= 2 && parts[0] == "a") {
    if (parts.size() == 2 && get) {
      return approval_get(parts[1]);
    }
    if (parts.size() == 3 && parts[2] == "document" && get) {
      return approval_document(parts[1]);
    }
    if (parts.size() == 3 && parts[2] == "code" && post) {
      return send_code("a", parts[1]);
    }
    if (parts.size() == 3 && post && (parts[2] == "approve" || parts[2] == "disapprove")) {
      return approval_post(parts[1], parts[2]);
    }
  }
  return not_found();
}

std::optional<HttpResponse> Router::refuse_forged(const std::string& binding) {
  if (const auto origin = m_c.http.header("origin")) {
    std::vector<std::string> ours;
    if (const auto& base = m_c.w.ws.config().portal_base_url; base && !base->empty()) {
      ours.push_back(origin_of(*base));
    }
    if (const auto host = m_c.http.header("host")) {
      ours.push_back((m_c.https ? "https://" : "http://") + *host);
    }
    // Under Referrer-Policy: no-referrer a browser's own form post says
    // "Origin: null"; it is ours when the browser also says same-origin (a
    // header no page can set). The CSRF token below is checked either way.
    const auto site = m_c.http.header("sec-fetch-site");
    const bool own_null = *origin == "null" && site && *site == "same-origin";
    if (!own_null && std::find(ours.begin(), ours.end(), *origin) == ours.end()) {
      return problem(m_c, 403, "forbidden", "Not allowed", "This form was sent from another site.");
    }
  }
  if (!same_secret(app::csrf_token(m_c.key(), binding), m_c.http.field("csrf"))) {
    return problem(m_c, 403, "forbidden", "Please try again",
                   "This page was open too long or came from elsewhere: reload it and try again.");
  }
  return std::nullopt;
}

HttpResponse Router::home() {
  const auto session = current_session(m_c);
  if (!session) {
    return html(200, render_page(m_c.firm, "home", "Welcome", json::object()));
  }
  const auto contact = app::find_contact(m_c.w.db, session->contact_id);
  json items = json::array();
  for (const auto& i : app::client_todo(m_c.w.db, m_c.key(), *contact)) {
    items.push_back({{"kind", i.kind == "request" ? "Request" : "Approval"},
                     {"title", i.title},
                     {"href", fmt::format("/{}/{}", i.kind == "request" ? "r" : "a", i.token)},
                     {"when", date_text(i.last_notified)}});
  }
  return html(200, render_page(m_c.firm, "todo", "Your to-do list", {{"items", items}, {"has_items", !items.empty()}},
                               layout_extra(m_c)));
}

HttpResponse Router::request_get(const std::string& token) {
  const auto link = open_request(m_c, token);
  if (!link) {
    return not_found();
  }
  if (needs_sign_in(m_c, link->target.request.login, link->target.recipient.contact_id)) {
    if (!link->target.recipient.contact_id) {
      return problem(m_c, 403, "forbidden", link->target.request.title,
                     fmt::format("This request needs a sign-in. Please ask {} for access.", m_c.firm));
    }
    return sign_in_page(m_c, 200, "r", token, link->target.request.title, link->target.recipient.email,
                        {{"sent", app::code_pending(m_c.w.db, link->target.recipient.email, m_c.now())}});
  }
  return request_page(m_c, 200, *link);
}

HttpResponse Router::answer_saved(const RequestLink& link, const requests::Request& r, int position) {
  if (wants_json(m_c.http)) {
    const int answered = static_cast<int>(
        std::count_if(r.answers.begin(), r.answers.end(), [](const auto& a) { return a.has_value(); }));
    return json_response(200, {{"ok", true}, {"answered", answered}, {"total", r.questions.size()}});
  }
  return redirect(fmt::format("/r/{}#q{}", link.token, position));
}

HttpResponse Router::request_post(const std::string& token, const std::vector<std::string>& rest) {
  const auto link = open_request(m_c, token);
  if (!link) {
    return not_found();
  }
  if (auto forged = refuse_forged("link:" + token)) {
    return *forged;
  }
  const auto& target = link->target;
  if (needs_sign_in(m_c, target.request.login, target.recipient.contact_id)) {
    return problem(m_c, 403, "sign_in", "Please sign in", "Sign in with the code we email you first.");
  }
  if (!requests::accepts_answers(target.request.status)) {
    return problem(m_c, 409, "closed", target.request.title,
                   target.request.status == requests::Status::completed
                       ? fmt::format("{} has marked this request done: it can no longer be changed here.", m_c.firm)
                       : std::string("This request was already submitted: it can no longer be changed here."));
  }
  const auto env = m_c.w.ws.env();
  const auto who = [&](storage::Database&) { return client_session(client_of(target)); };
  if (rest.size() == 1 && rest[0] == "submit") {
    try {
      const auto out = m_c.w.ws.write(who, [&](accounts::Session& s) {
        return app::submit_request(s, env, target.request.id, std::nullopt);
      });
      m_mail(out.outbox_ids);
    } catch (const InvalidInput& e) {
      if (wants_json(m_c.http)) {
        return json_error(422, "missing_answers", e.what());
      }
      auto fresh = open_request(m_c, token);
      const auto missing = requests::missing_required(fresh->target.request.questions, fresh->target.request.answers);
      Errors errors;
      for (const int m : missing) {
        errors[m] = "This question needs an answer before you submit.";
      }
      return request_page(m_c, 422, *fresh, errors, {},
                          fmt::format("{} required question{} still need{} an answer: see below.", missing.size(),
                                      missing.size() == 1 ? "" : "s", missing.size() == 1 ? "s" : ""));
    }
    if (wants_json(m_c.http)) {
      return json_response(200, {{"ok", true}, {"status", "submitted"}});
    }
    return redirect("/r/" + token);
  }
  if (rest.size() < 2 || rest[0] != "answers") {
    return not_found();
  }
  const auto position = util::parse_int(rest[1]);
  if (!position || *position < 1 || *position > static_cast<int64_t>(target.request.questions.size())) {
    return not_found();
  }
  const int pos = static_cast<int>(*position);
  const auto& q = target.request.questions[static_cast<size_t>(pos - 1)];
  if (rest.size() == 5 && rest[2] == "files" && rest[4] == "remove") {
    const auto file_id = util::parse_int(rest[3]);
    if (!file_id) {
      return not_found();
    }
    const auto r = m_c.w.ws.write(
        who, [&](accounts::Session& s) { return requests::remove_answer_file(s, target.request.id, pos, *file_id); });
    return answer_saved(*link, r, pos);
  }
  if (rest.size() != 2) {
    return not_found();
  }
  std::vector<std::string> values = m_c.http.fields("value");
  std::erase_if(values, [&](const std::string& v) { return util::trim(v).empty(); });
  try {
    if (q.type == requests::QuestionType::file) {
      if (m_c.http.files.empty()) {
        throw InvalidInput("Choose a file to upload first.");
      }
      requests::AnswerInput in{pos, {}, {}, {}, std::nullopt};
      for (const auto& f : m_c.http.files) {
        in.files.push_back(f.path);
        in.file_names.push_back(f.name);
      }
      std::optional<requests::Request> r;
      try {
        r = m_c.w.ws.write(
            who, [&](accounts::Session& s) { return app::save_answer(s, env, target.request.id, in); });
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::invalid_input && e.kind() != ErrorKind::not_found) {
          throw;
        }
        // The upload was checked (files, within the limit): what the file
        // store refuses now is our side's failure (a full disk), and its
        // message names our paths, not the client's file.
        m_c.warn(fmt::format("practice: warning: an upload could not be stored: {}", e.what()));
        return problem(m_c, 500, "internal", "Something went wrong",
                       "We could not store your file on our side. Please try again in a minute.");
      }
      return answer_saved(*link, *r, pos);
    }
    if (values.empty()) {
      const auto r =
          m_c.w.ws.write(who, [&](accounts::Session& s) { return requests::clear_answer(s, target.request.id, pos); });
      return answer_saved(*link, r, pos);
    }
    const requests::AnswerInput in{pos, values, {}, {}, std::nullopt};
    // Typed answers are drafts until the client submits (Workspace::write_draft).
    const auto r = m_c.w.ws.write_draft(
        who, [&](accounts::Session& s) { return app::save_answer(s, env, target.request.id, in); });
    return answer_saved(*link, r, pos);
  } catch (const InvalidInput& e) {
    if (wants_json(m_c.http)) {
      return json_error(422, "invalid_answer", e.what());
    }
    return request_page(m_c, 422, *link, {{pos, e.what()}}, {{pos, m_c.http.fields("value")}});
  }
}

HttpResponse Router::approval_get(const std::string& token) {
  const auto link = open_approval(m_c, token);
  if (!link) {
    return not_found();
  }
  if (needs_sign_in(m_c, approval_needs_login(link->target), link->target.contact.id)) {
    return sign_in_page(m_c, 200, "a", token, "Please review " + link->target.approval.document.name,
                        link->target.contact.email,
                        {{"sent", app::code_pending(m_c.w.db, link->target.contact.email, m_c.now())}});
  }
  return approval_page(m_c, 200, *link);
}

HttpResponse Router::approval_document(const std::string& token) {
  const auto link = open_approval(m_c, token);
  if (!link) {
    return not_found();
  }
  if (needs_sign_in(m_c, approval_needs_login(link->target), link->target.contact.id)) {
    return problem(m_c, 403, "sign_in", "Please sign in", "Sign in with the code we email you first.");
  }
  const auto& d = link->target.approval.document;
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.file = approvals::document_path(m_c.w.ws.env(), d);
  // Always a download, never shown inline: the name is sanitised and quoted.
  std::string name = approvals::document_file_name(d);
  std::string ascii;
  for (const char ch : name) {
    ascii += (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) > 0x7e || ch == '"' ||
              ch == '\\' || ch == ';' || ch == '%')
                 ? '_'
                 : ch;
  }
  r.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}\"", ascii));
  return r;
}

HttpResponse Router::approval_post(const std::string& token, const std::string& action) {
  const auto link = open_approval(m_c, token);
  if (!link) {
    return not_found();
  }
  if (auto forged = refuse_forged("link:" + token)) {
    return *forged;
  }
  const auto& target = link->target;
  if (needs_sign_in(m_c, approval_needs_login(target), target.contact.id)) {
    return problem(m_c, 403, "sign_in", "Please sign in", "Sign in with the code we email you first.");
  }
  if (target.approval.status != approvals::Status::pending) {
    return problem(m_c, 409, "closed", target.approval.document.name, "You already decided on this document.");
  }
  const auto env = m_c.w.ws.env();
  const auto who = [&](storage::Database&) { return client_session(client_of(target)); };
  if (action == "approve") {
    const auto out =
        m_c.w.ws.write(who, [&](accounts::Session& s) { return app::approve(s, env, target.approval.id, std::nullopt); });
    m_mail(out.outbox_ids);
  } else {
    std::vector<std::string> reasons = m_c.http.fields("reason");
    std::erase_if(reasons, [](const std::string& r) { return util::trim(r).empty(); });
    auto comment = m_c.http.field("comment");
    if (comment && util::trim(*comment).empty()) {
      comment.reset();
    }
    try {
      if (reasons.empty()) {
        throw InvalidInput("Give at least one reason, so we know what to fix.");
      }
      const auto out = m_c.w.ws.write(who, [&](accounts::Session& s) {
        return app::disapprove(s, env, target.approval.id, reasons, comment, std::nullopt);
      });
      m_mail(out.outbox_ids);
    } catch (const InvalidInput& e) {
      if (wants_json(m_c.http)) {
        return json_error(422, "invalid_decision", e.what());
      }
      return approval_page(m_c, 422, *link, e.what(), m_c.http.fields("reason"), comment.value_or(""));
    }
  }
  if (wants_json(m_c.http)) {
    return json_response(200, {{"ok", true}});
  }
  return redirect("/a/" + token);
}

HttpResponse Router::send_code(const std::string& kind, const std::string& token) {
  std::optional<accounts::Contact> contact;
  std::string title;
  bool login = false;
  if (kind == "r") {
    const auto link = open_request(m_c, token);
    if (!link) {
      return not_found();
    }
    title = link->target.request.title;
    login = link->target.request.login;
    if (link->target.recipient.contact_id) {
      contact = app::find_contact(m_c.w.db, *link->target.recipient.contact_id);
    }
  } else {
    const auto link = open_approval(m_c, token);
    if (!link) {
      return not_found();
    }
    title = link->target.approval.document.name;
    login = approval_needs_login(link->target);
    contact = link->target.contact;
  }
  if (auto forged = refuse_forged("link:" + token)) {
    return *forged;
  }
  if (!login) {
    return problem(m_c, 409, "no_sign_in", title, "This page needs no code: the link alone opens it.");
  }
  if (!contact || !contact->portal) {
    return problem(m_c, 403, "forbidden", title, fmt::format("Please ask {} for portal access.", m_c.firm));
  }
  if (const auto wait = m_code_mail.take(m_c.client, std::chrono::steady_clock::now())) {
    return with_retry(problem(m_c, 429, "rate_limited", "Please wait", "We sent several codes already: please wait a "
                                                                     "little and use the newest one."),
                      *wait);
  }
  const auto env = m_c.w.ws.env();
  const auto issued = m_c.w.ws.write([&](storage::Database&) { return client_session({contact->account_id, contact->id, contact->email}); },
                                     [&](accounts::Session& s) { return app::issue_code(s, env, *contact, title); });
  if (issued.retry_after.count() > 0) {
    return with_retry(problem(m_c, 429, "rate_limited", "Please wait",
                              "We sent you a code less than a minute ago: please check your email, or wait a moment "
                              "for a new one."),
                      issued.retry_after);
  }
  if (issued.outbox_id) {
    m_mail({*issued.outbox_id});
  }
  if (wants_json(m_c.http)) {
    return json_response(200, {{"ok", true}});
  }
  // Post/redirect/get: the page then says a code is on its way.
  return redirect(fmt::format("/{}/{}", kind, token));
}

HttpResponse Router::login() {
  const auto token = m_c.http.field("link").value_or("");
  std::optional<accounts::Contact> contact;
  std::string title;
  std::string kind;
  if (auto r = open_request(m_c, token)) {
    kind = "r";
    title = r->target.request.title;
    if (r->target.recipient.contact_id) {
      contact = app::find_contact(m_c.w.db, *r->target.recipient.contact_id);
    }
  } else if (auto a = open_approval(m_c, token)) {
    kind = "a";
    title = a->target.approval.document.name;
    contact = a->target.contact;
  } else {
    return not_found();
  }
  if (auto forged = refuse_forged("link:" + token)) {
    return *forged;
  }
  if (!contact || !contact->portal) {
    return problem(m_c, 403, "forbidden", title, fmt::format("Please ask {} for portal access.", m_c.firm));
  }
  if (const auto wait = m_code_tries.take(m_c.client, std::chrono::steady_clock::now())) {
    return with_retry(problem(m_c, 429, "rate_limited", "Please wait", "Too many tries: please wait a little."), *wait);
  }
  const std::string typed = m_c.http.field("code").value_or("");
  const auto env = m_c.w.ws.env();
  std::string session_id;
  const auto check = m_c.w.ws.write(
      [&](storage::Database&) { return client_session({contact->account_id, contact->id, contact->email}); },
      [&](accounts::Session& s) {
        auto result = app::check_code(s, env, *contact, typed);
        if (result.result == app::CodeCheck::Result::ok) {
          session_id = app::start_session(s, *contact);
        }
        return result;
      });
  if (check.result != app::CodeCheck::Result::ok) {
    const std::string message =
        check.result == app::CodeCheck::Result::wrong
            ? fmt::format("That code is not right: {} {} left.", check.tries_left, check.tries_left == 1 ? "try" : "tries")
            : std::string("That code no longer works (it expired, was used, or was tried too often): ask for a new one.");
    if (wants_json(m_c.http)) {
      return json_error(422, "wrong_code", message);
    }
    return sign_in_page(m_c, 422, kind, token, title, contact->email,
                        {{"sent", false}, {"code_error", message}, {"typed", typed.substr(0, 9)}});
  }
  HttpResponse r = wants_json(m_c.http) ? json_response(200, {{"ok", true}}) : redirect(fmt::format("/{}/{}", kind, token));
  r.headers.emplace_back("Set-Cookie", fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", m_c.cookie_name(),
                                                   session_id, m_c.https ? "; Secure" : ""));
  return r;
}

HttpResponse Router::logout() {
  const auto id = m_c.http.cookie(m_c.cookie_name());
  if (!id) {
    return redirect("/");
  }
  if (auto forged = refuse_forged("session:" + *id)) {
    return *forged;
  }
  if (const auto s = current_session(m_c)) {
    const auto contact = app::find_contact(m_c.w.db, s->contact_id);
    m_c.w.ws.write([&](storage::Database&) { return client_session({contact->account_id, contact->id, contact->email}); },
                   [&](accounts::Session& as) { app::end_session(as, *id); });
  }
  HttpResponse r = redirect("/");
  r.headers.emplace_back("Set-Cookie", fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
                                                   m_c.cookie_name(), m_c.https ? "; Secure" : ""));
  return r;
}

} // namespace

HttpResponse Portal::handle(HttpRequest& request) {
  if (is_health_check(request)) {
    return health();
  }
  Worker* thread_worker = nullptr;
  try {
    thread_worker = &worker();
  } catch (const Error& e) {
    return no_database(request, *m_options.config, e.kind() == ErrorKind::busy);
  } catch (const std::exception&) {
    return no_database(request, *m_options.config, false);
  }
  Worker& w = *thread_worker;
  Call c{*this, request, w, client_address(request, m_options.config->portal_trusted_proxies), false, ""};
  const auto& base = m_options.config->portal_base_url;
  const bool proxied_https = std::find(m_options.config->portal_trusted_proxies.begin(),
                                       m_options.config->portal_trusted_proxies.end(),
                                       request.peer) != m_options.config->portal_trusted_proxies.end() &&
                             request.header("x-forwarded-proto") == std::optional<std::string>("https");
  c.https = (base && base->rfind("https://", 0) == 0) || proxied_https;
  const std::function<void(const std::vector<int64_t>&)> mail = [this](const std::vector<int64_t>& ids) {
    hand_mail(ids);
  };
  try {
    Router router(c, m_code_mail, m_code_tries, mail);
    HttpResponse r;
    // Pages read one snapshot; actions open their own write transaction.
    if (request.method == "POST") {
      {
        storage::Transaction tx(w.db, storage::TxMode::read);
        c.firm = app::firm_name(w.db, *m_options.config);
      }
      r = router.route();
      if (r.status < 400) {
        keep_session_alive(c);
      }
    } else {
      {
        storage::Transaction tx(w.db, storage::TxMode::read);
        c.firm = app::firm_name(w.db, *m_options.config);
        r = router.route();
      }
      // Guessing links by GET is held back as a POST's guesses are (before_body).
      const auto parts = segments(request.path);
      if (r.status == 404 && parts.size() >= 2 && (parts[0] == "r" || parts[0] == "a")) {
        if (const auto wait = m_not_found.take(c.client, std::chrono::steady_clock::now())) {
          r = with_retry(html(429, "Too many requests: please wait a moment and try again.\n"), *wait);
        }
      }
    }
    return secured(std::move(r));
  } catch (const Error& e) {
    switch (e.kind()) {
    case ErrorKind::busy:
      return secured(with_retry(problem(c, 503, "busy", "Busy", "The portal is busy: please try again in a moment."),
                                std::chrono::seconds(2)));
    case ErrorKind::conflict:
      return secured(problem(c, 409, "conflict", "No longer open", e.what()));
    case ErrorKind::not_found:
      return secured(not_found_page(c.firm));
    case ErrorKind::permission:
      return secured(problem(c, 403, "forbidden", "Not allowed", e.what()));
    case ErrorKind::invalid_input:
      return secured(problem(c, 422, "invalid", "Please check", e.what()));
    default:
      return secured(problem(c, 500, "internal", "Something went wrong",
                             "Something went wrong on our side. Please try again in a minute."));
    }
  } catch (const std::exception&) {
    // Still with the security headers, and nothing of the exception shown.
    return secured(problem(c, 500, "internal", "Something went wrong",
                           "Something went wrong on our side. Please try again in a minute."));
  }
}

void Portal::finished(const HttpRequest& request, int status, double milliseconds) {
  if (m_options.log) {
    m_options.log(fmt::format("{} {} {} {} {:.1f}ms", util::format_iso(m_options.clock->now()), request.method,
                              redact_path(request.path), status, milliseconds));
  }
}

} // namespace practice::portal
