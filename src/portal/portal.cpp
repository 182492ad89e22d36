#include "portal.hpp"

#include "practice/app/actions.hpp"
#include "practice/app/portal_access.hpp"
#include "practice/app/workspace.hpp"
#include "practice/approvals/approvals.hpp"
#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
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
    if (!db.is_postgres()) {
      db.exec("PRAGMA wal_autocheckpoint=0"); // the checkpoint thread's work (Portal::checkpoint_loop)
    }
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

std::string size_text(const std::string& lang, int64_t bytes) {
  if (bytes < 1024) {
    return i18n::say_count(lang, "count.bytes", bytes);
  }
  if (bytes < 1024 * 1024) {
    return fmt::format("{:.0f} KB", static_cast<double>(bytes) / 1024.0);
  }
  return i18n::format_number(lang, fmt::format("{:.1f}", static_cast<double>(bytes) / (1024.0 * 1024.0))) + " MB";
}

std::string date_text(const std::string& lang, util::TimePoint t) {
  return i18n::format_date(lang, std::chrono::floor<std::chrono::days>(t));
}

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

// What a rendered answer reads as, for the read-only view, as `lang` writes it.
std::string shown_answer(const std::string& lang, const requests::Question& q,
                         const std::optional<requests::Answer>& a) {
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
      return i18n::text(lang, s == "yes" ? "portal.yes" : "portal.no");
    }
    if (q.type == requests::QuestionType::date) {
      if (const auto d = util::parse_date(s)) {
        return i18n::format_date(lang, *d);
      }
    }
    if (q.type == requests::QuestionType::number) {
      return i18n::format_number(lang, s);
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
  std::string firm_lang; // the firm's language: for pages about no one (the 404 page)
  std::string lang;      // of this call's pages: the firm's, until the link's or session's contact says

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
  {
    // Read and checked against the firm's fingerprint once, before the threads start.
    storage::Database db(m_options.db_path, storage::OpenMode::existing, m_options.busy_timeout_ms);
    m_key = requests::link_key(db, {*m_options.config,
                                    app::link_key_path_for(m_options.db_path, *m_options.config, m_options.base_dir),
                                    "", 0, {}});
  }
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
  if (storage::is_postgres_url(m_options.db_path)) {
    // The server checkpoints its own log.
    m_checkpoint_wake.wait(lock, [&] { return m_checkpoint_stop; });
    return;
  }
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

// The built-in templates are localized and parsed once per worker thread
// and language, not once a page.
std::string render_asset(const std::string& name, const std::string& lang, const json& data) {
  thread_local std::unordered_map<std::string, util::MustacheTemplate> parsed;
  const std::string key = lang + "/" + name;
  auto it = parsed.find(key);
  if (it == parsed.end()) {
    it = parsed.emplace(key, util::MustacheTemplate(i18n::localize(asset(name), lang, name), util::Escape::html, name))
             .first;
  }
  return it->second.render(data);
}

// The words portal.js shows (the catalogue's portal.js texts), as JSON for
// the page's data-texts attribute; made once per thread and language.
const std::string& script_texts(const std::string& lang) {
  thread_local std::unordered_map<std::string, std::string> made;
  auto it = made.find(lang);
  if (it == made.end()) {
    static constexpr std::string_view k_prefix = "portal.js.";
    json texts = json::object();
    for (const auto& key : i18n::catalogue("en").keys()) {
      if (key.rfind(k_prefix, 0) == 0) {
        texts[key.substr(k_prefix.size())] = i18n::text(lang, key);
      }
    }
    it = made.emplace(lang, texts.dump()).first;
  }
  return it->second;
}

std::string render_page(const std::string& firm, const std::string& lang, const std::string& page,
                        const std::string& title, json data, const json& layout_extra = json::object()) {
  data["firm_name"] = firm;
  const std::string body = render_asset(page + ".mustache", lang, data);
  json layout = {{"lang", lang},
                 {"firm_name", firm},
                 {"page_title", title},
                 {"content", body},
                 {"js_texts", script_texts(lang)}};
  layout.update(layout_extra);
  return render_asset("layout.mustache", lang, layout);
}

// A catalogue text in the language of `lang`, with the firm's name at hand.
std::string tr(const std::string& lang, const std::string& firm, std::string_view key, json args = json::object()) {
  args["firm_name"] = firm;
  return i18n::say(lang, key, args);
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

// The one page every unknown, expired, revoked, cancelled or other-scope
// link gets: in the firm's language, whoever the link was for.
static HttpResponse not_found_page(const app::FirmFace& firm) {
  return html(404, render_page(firm.name, firm.language, "notfound",
                               tr(firm.language, firm.name, "portal.not_found.title"), json::object()));
}

// 429 to a guesser of links, in the firm's language.
static HttpResponse too_many_requests(const std::string& lang, const std::string& firm) {
  return html(429, tr(lang, firm, "portal.problem.too_many_requests") + "\n");
}

// When the database cannot be opened or read: a page that needs nothing from it.
static HttpResponse no_database(const HttpRequest& request, const config::Config& config, bool busy) {
  const std::string lang = config.firm_language.value_or("en");
  const std::string firm = config.firm_name ? *config.firm_name : i18n::text(lang, "portal.your_accountant");
  const std::string heading = tr(lang, firm, busy ? "portal.problem.busy" : "portal.problem.error");
  const std::string text = tr(lang, firm, busy ? "portal.problem.busy_text" : "portal.problem.error_text");
  const int status = busy ? 503 : 500;
  HttpResponse r = wants_json(request) ? json_error(status, busy ? "busy" : "internal", text)
                                       : html(status, render_page(firm, lang, "notice", heading,
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

static std::string tr(const Portal::Call& c, std::string_view key, json args = json::object()) {
  return tr(c.lang, c.firm, key, std::move(args));
}

static HttpResponse problem(const Portal::Call& c, int status, std::string_view code, const std::string& heading,
                            const std::string& text) {
  if (wants_json(c.http)) {
    return json_error(status, code, text);
  }
  return html(status, render_page(c.firm, c.lang, "notice", heading, {{"heading", heading}, {"text", text}}));
}

// A problem whose heading and text are catalogue keys (portal.problem.KEY and KEY_text).
static HttpResponse problem_key(const Portal::Call& c, int status, std::string_view code, std::string_view key,
                                json args = json::object()) {
  const std::string k(key);
  return problem(c, status, code, tr(c, "portal.problem." + k, args), tr(c, "portal.problem." + k + "_text", args));
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
               {"code_action", fmt::format("/{}/{}/code", kind, token)},
               {"minutes_text", i18n::say_count(c.lang, "count.minutes", app::k_code_lifetime.count())}};
  data.update(extra);
  return html(status, render_page(c.firm, c.lang, "signin", title, data));
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
      choices = {{"yes", i18n::text(c.lang, "portal.yes")}, {"no", i18n::text(c.lang, "portal.no")}};
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
                         {"size", size_text(c.lang, f.size)},
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
                         // (an empty string is not false to mustache: unanswered is null, for "No answer")
                         {"shown", a ? json(shown_answer(c.lang, q, a)) : json(nullptr)},
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
    readonly = tr(c, "portal.request.submitted",
                  {{"date", r.submitted_at ? date_text(c.lang, *r.submitted_at) : std::string("-")}});
  } else if (r.status == requests::Status::completed) {
    readonly = tr(c, "portal.request.completed");
  }
  const bool third_party = !link.target.recipient.contact_id;
  const json data = {{"title", r.title},
                     {"on_behalf_of", third_party ? json(r.account_name) : json(nullptr)},
                     {"message", r.message ? json(*r.message) : json(nullptr)},
                     {"readonly", readonly.empty() ? json(nullptr) : json(readonly)},
                     {"answered", std::to_string(answered)},
                     {"total", std::to_string(r.questions.size())},
                     {"progress", i18n::say_count(c.lang, "portal.request.progress",
                                                  static_cast<int64_t>(r.questions.size()),
                                                  {{"answered", std::to_string(answered)}}, util::Escape::html)},
                     {"questions", questions},
                     {"csrf", csrf},
                     {"submit_action", base + "/submit"},
                     {"submit_error", submit_error.empty() ? json(nullptr) : json(submit_error)}};
  return html(status, render_page(c.firm, c.lang, "request", r.title, data, layout_extra(c)));
}

static HttpResponse approval_page(Portal::Call& c, int status, const ApprovalLink& link, const std::string& error = {},
                                  const std::vector<std::string>& reasons_typed = {},
                                  const std::string& comment_typed = {}) {
  const auto& a = link.target.approval;
  const std::string base = "/a/" + link.token;
  std::string readonly;
  const std::string decided = a.decided_at ? date_text(c.lang, *a.decided_at) : std::string("-");
  if (a.status == approvals::Status::approved) {
    readonly = tr(c, "portal.approval.approved", {{"date", decided}});
  } else if (a.status == approvals::Status::disapproved) {
    readonly = tr(c, "portal.approval.disapproved", {{"date", decided}});
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
                     {"size", size_text(c.lang, a.document.size)},
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
  const std::string title = tr(c, "portal.approval.title", {{"document", a.document.name}});
  return html(status, render_page(c.firm, c.lang, "approval", title, data, layout_extra(c)));
}

// The language a link's pages are in: its recipient's, else the firm's.
static std::string language_of(const requests::LinkTarget& t, const std::string& firm_lang) {
  return t.recipient.language.value_or(firm_lang);
}

static std::string language_of(const approvals::LinkTarget& t, const std::string& firm_lang) {
  return t.contact.language.value_or(firm_lang);
}

// Opening a link puts the call in the language of whoever it was sent to.
static std::optional<RequestLink> open_request(Portal::Call& c, const std::string& token) {
  auto t = requests::open_link(c.w.db, c.w.ws.env(), token, c.now(), requests::LinkUse::view);
  if (!t) {
    return std::nullopt;
  }
  c.lang = language_of(*t, c.firm_lang);
  return RequestLink{token, std::move(*t)};
}

static std::optional<ApprovalLink> open_approval(Portal::Call& c, const std::string& token) {
  auto t = approvals::open_link(c.w.db, c.w.ws.env(), token, c.now(), requests::LinkUse::view);
  if (!t) {
    return std::nullopt;
  }
  c.lang = language_of(*t, c.firm_lang);
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
    const std::string lang = m_options.config->firm_language.value_or("en");
    return secured(json_error(403, "forbidden", i18n::text(lang, "portal.problem.other_site")));
  }
  if (parts.size() < 2 || (parts[0] != "r" && parts[0] != "a")) {
    return std::nullopt;
  }
  // Links are checked before a body is read, so nobody uploads without one.
  const std::string client = client_address(request, m_options.config->portal_trusted_proxies);
  bool found = false;
  app::FirmFace firm;
  std::string lang;
  try {
    Worker& w = worker();
    storage::Transaction tx(w.db, storage::TxMode::read);
    firm = app::firm_face(w.db, *m_options.config);
    if (parts[0] == "r") {
      const auto t = requests::open_link(w.db, w.ws.env(), parts[1], w.ws.now(), requests::LinkUse::view);
      found = t.has_value();
      lang = t ? language_of(*t, firm.language) : firm.language;
    } else {
      const auto t = approvals::open_link(w.db, w.ws.env(), parts[1], w.ws.now(), requests::LinkUse::view);
      found = t.has_value();
      lang = t ? language_of(*t, firm.language) : firm.language;
    }
  } catch (const Error& e) {
    return no_database(request, *m_options.config, e.kind() == ErrorKind::busy);
  } catch (const std::exception&) {
    return no_database(request, *m_options.config, false);
  }
  if (!found) {
    if (const auto wait = m_not_found.take(client, std::chrono::steady_clock::now())) {
      return secured(with_retry(too_many_requests(firm.language, firm.name), *wait));
    }
    return secured(not_found_page(firm));
  }
  if (const auto wait = m_per_link.take(parts[1], std::chrono::steady_clock::now())) {
    return secured(with_retry(
        json_error(429, "rate_limited", tr(lang, firm.name, "portal.problem.too_many_changes")), *wait));
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
  HttpResponse not_found() { return not_found_page({m_c.firm, m_c.firm_lang}); }
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
    auto r = problem(m_c, 405, "method_not_allowed", tr(m_c, "portal.problem.not_allowed"),
                     tr(m_c, "portal.problem.get_post_only"));
    r.headers.emplace_back("Allow", "GET, HEAD, POST");
    return r;
  }
  if (post && m_c.http.body_too_large) {
    return problem_key(m_c, 413, "too_large", "too_large",
                       {{"mb", std::to_string(m_c.w.ws.config().files_max_size_mb)}});
  }
  if (post && m_c.http.body_malformed) {
    return problem(m_c, 400, "bad_request", tr(m_c, "portal.problem.error"), tr(m_c, "portal.problem.unreadable"));
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
      return problem(m_c, 403, "forbidden", tr(m_c, "portal.problem.not_allowed"),
                     tr(m_c, "portal.problem.other_site"));
    }
  }
  if (!same_secret(app::csrf_token(m_c.key(), binding), m_c.http.field("csrf"))) {
    return problem(m_c, 403, "forbidden", tr(m_c, "portal.problem.try_again"), tr(m_c, "portal.problem.stale_form"));
  }
  return std::nullopt;
}

HttpResponse Router::home() {
  const auto session = current_session(m_c);
  if (!session) {
    return html(200, render_page(m_c.firm, m_c.lang, "home", tr(m_c, "portal.home.title"), json::object()));
  }
  const auto contact = app::find_contact(m_c.w.db, session->contact_id);
  m_c.lang = contact->language.value_or(m_c.firm_lang);
  json items = json::array();
  for (const auto& i : app::client_todo(m_c.w.db, m_c.key(), *contact)) {
    const bool request = i.kind == "request";
    items.push_back({{"kind", i18n::text(m_c.lang, request ? "portal.todo.request" : "portal.todo.approval")},
                     {"title", i.title},
                     {"href", fmt::format("/{}/{}", request ? "r" : "a", i.token)},
                     {"when", date_text(m_c.lang, i.last_notified)}});
  }
  return html(200, render_page(m_c.firm, m_c.lang, "todo", tr(m_c, "portal.todo.title"),
                               {{"items", items}, {"has_items", !items.empty()}}, layout_extra(m_c)));
}

HttpResponse Router::request_get(const std::string& token) {
  const auto link = open_request(m_c, token);
  if (!link) {
    return not_found();
  }
  if (needs_sign_in(m_c, link->target.request.login, link->target.recipient.contact_id)) {
    if (!link->target.recipient.contact_id) {
      return problem(m_c, 403, "forbidden", link->target.request.title, tr(m_c, "portal.request.needs_sign_in"));
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

// What the client reads when an answer is refused: the rule it broke, in
// their words, with what they typed (`typed`: the one value of a one-value
// question, as sent), or (a refusal the rules do not explain) a plea to check it.
static std::string answer_problem_text(const Portal::Call& c, const InvalidInput& e, const std::string& typed) {
  const auto* refused = dynamic_cast<const requests::InvalidAnswer*>(&e);
  if (!refused) {
    return tr(c, "portal.answer.not_saved");
  }
  const bool date = refused->problem() == requests::AnswerProblem::not_a_date;
  return tr(c, "portal.answer." + std::string(to_string(refused->problem())),
            {{"typed", typed.empty() ? refused->value() : typed},
             {"example", date ? date_text(c.lang, c.now()) : i18n::format_number(c.lang, "1234.50")}});
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
    return problem_key(m_c, 403, "sign_in", "sign_in");
  }
  if (!requests::accepts_answers(target.request.status)) {
    return problem(m_c, 409, "closed", target.request.title,
                   tr(m_c, target.request.status == requests::Status::completed ? "portal.request.closed_done"
                                                                                  : "portal.request.closed_submitted"));
  }
  const auto env = m_c.w.ws.env();
  const auto who = [&](storage::Database&) { return client_session(client_of(target)); };
  if (rest.size() == 1 && rest[0] == "submit") {
    try {
      const auto out = m_c.w.ws.write(who, [&](accounts::Session& s) {
        return app::submit_request(s, env, target.request.id, std::nullopt);
      });
      m_mail(out.outbox_ids);
    } catch (const InvalidInput&) {
      auto fresh = open_request(m_c, token);
      const auto missing = requests::missing_required(fresh->target.request.questions, fresh->target.request.answers);
      const auto count = static_cast<int64_t>(missing.size());
      if (wants_json(m_c.http)) {
        // No page to point at: the message names them.
        std::string named;
        for (const int m : missing) {
          named += (named.empty() ? "" : ", ") +
                   tr(m_c, "portal.request.quoted",
                      {{"prompt", fresh->target.request.questions[static_cast<size_t>(m - 1)].prompt}});
        }
        return json_error(422, "missing_answers",
                          i18n::say_count(m_c.lang, "portal.request.missing_named", count, {{"questions", named}}));
      }
      const std::string message = i18n::say_count(m_c.lang, "portal.request.missing", count);
      Errors errors;
      for (const int m : missing) {
        errors[m] = tr(m_c, "portal.request.needs_answer");
      }
      return request_page(m_c, 422, *fresh, errors, {}, message);
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
  // Dates and numbers as the client writes them ("31/03/2026", "1234,50"), kept as the CLI keeps them.
  const auto& conventions = i18n::catalogue(m_c.lang).conventions();
  for (auto& v : values) {
    if (q.type == requests::QuestionType::date) {
      if (const auto d = i18n::parse_date(conventions, v)) {
        v = util::format_date(*d);
      }
    } else if (q.type == requests::QuestionType::number) {
      v = i18n::canonical_number(conventions, v);
    }
  }
  try {
    if (q.type == requests::QuestionType::file) {
      if (m_c.http.files.empty()) {
        throw requests::InvalidAnswer(requests::AnswerProblem::needs_file, "", "no file was uploaded");
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
        return problem(m_c, 500, "internal", tr(m_c, "portal.problem.error"), tr(m_c, "portal.request.not_stored"));
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
    const auto sent = m_c.http.fields("value");
    const bool one_value = q.type != requests::QuestionType::multichoice && sent.size() == 1;
    const std::string message = answer_problem_text(m_c, e, one_value ? std::string(util::trim(sent[0])) : "");
    if (wants_json(m_c.http)) {
      return json_error(422, "invalid_answer", message);
    }
    return request_page(m_c, 422, *link, {{pos, message}}, {{pos, m_c.http.fields("value")}});
  }
}

HttpResponse Router::approval_get(const std::string& token) {
  const auto link = open_approval(m_c, token);
  if (!link) {
    return not_found();
  }
  if (needs_sign_in(m_c, approval_needs_login(link->target), link->target.contact.id)) {
    const std::string title = tr(m_c, "portal.approval.title", {{"document", link->target.approval.document.name}});
    return sign_in_page(m_c, 200, "a", token, title, link->target.contact.email,
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
    return problem_key(m_c, 403, "sign_in", "sign_in");
  }
  const auto& d = link->target.approval.document;
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.file = approvals::document_path(m_c.w.db, m_c.w.ws.env(), d);
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
    return problem_key(m_c, 403, "sign_in", "sign_in");
  }
  if (target.approval.status != approvals::Status::pending) {
    return problem(m_c, 409, "closed", target.approval.document.name, tr(m_c, "portal.approval.decided"));
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
    // Refused, the client reads why in their words (no reason, or one the rules refuse).
    std::optional<std::string> refused;
    if (reasons.empty()) {
      refused = tr(m_c, "portal.approval.give_reason");
    } else {
      try {
        const auto out = m_c.w.ws.write(who, [&](accounts::Session& s) {
          return app::disapprove(s, env, target.approval.id, reasons, comment, std::nullopt);
        });
        m_mail(out.outbox_ids);
      } catch (const InvalidInput&) {
        refused = tr(m_c, "portal.approval.check_reasons");
      }
    }
    if (refused) {
      if (wants_json(m_c.http)) {
        return json_error(422, "invalid_decision", *refused);
      }
      return approval_page(m_c, 422, *link, *refused, m_c.http.fields("reason"), comment.value_or(""));
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
    return problem(m_c, 409, "no_sign_in", title, tr(m_c, "portal.problem.no_code_needed"));
  }
  if (!contact || !contact->portal) {
    return problem(m_c, 403, "forbidden", title, tr(m_c, "portal.problem.ask_access"));
  }
  if (const auto wait = m_code_mail.take(m_c.client, std::chrono::steady_clock::now())) {
    return with_retry(
        problem(m_c, 429, "rate_limited", tr(m_c, "portal.problem.wait"), tr(m_c, "portal.problem.codes_sent")), *wait);
  }
  const auto env = m_c.w.ws.env();
  const auto issued = m_c.w.ws.write([&](storage::Database&) { return client_session({contact->account_id, contact->id, contact->email}); },
                                     [&](accounts::Session& s) { return app::issue_code(s, env, *contact, title); });
  if (issued.retry_after.count() > 0) {
    return with_retry(
        problem(m_c, 429, "rate_limited", tr(m_c, "portal.problem.wait"), tr(m_c, "portal.problem.code_just_sent")),
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
    return problem(m_c, 403, "forbidden", title, tr(m_c, "portal.problem.ask_access"));
  }
  if (const auto wait = m_code_tries.take(m_c.client, std::chrono::steady_clock::now())) {
    return with_retry(
        problem(m_c, 429, "rate_limited", tr(m_c, "portal.problem.wait"), tr(m_c, "portal.problem.too_many_tries")),
        *wait);
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
            ? tr(m_c, "portal.signin.wrong_code",
                 {{"tries_left", i18n::say_count(m_c.lang, "count.tries_left", check.tries_left)}})
            : tr(m_c, "portal.signin.code_dead");
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

// The firm's name and language for this call, from its read snapshot.
static void set_firm(Portal::Call& c) {
  const auto face = app::firm_face(c.w.db, c.w.ws.config());
  c.firm = face.name;
  c.firm_lang = face.language;
  c.lang = face.language;
}

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
  // Until the database says the firm's language: the config's.
  const std::string configured = m_options.config->firm_language.value_or("en");
  Call c{*this, request, w, client_address(request, m_options.config->portal_trusted_proxies), false, "",
         configured, configured};
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
        set_firm(c);
      }
      r = router.route();
      if (r.status < 400) {
        keep_session_alive(c);
      }
    } else {
      {
        storage::Transaction tx(w.db, storage::TxMode::read);
        set_firm(c);
        r = router.route();
      }
      // Guessing links by GET is held back as a POST's guesses are (before_body).
      const auto parts = segments(request.path);
      if (r.status == 404 && parts.size() >= 2 && (parts[0] == "r" || parts[0] == "a")) {
        if (const auto wait = m_not_found.take(c.client, std::chrono::steady_clock::now())) {
          r = with_retry(too_many_requests(c.firm_lang, c.firm), *wait);
        }
      }
    }
    return secured(std::move(r));
  } catch (const Error& e) {
    // The client reads what happened in their words; the library's own
    // sentences are for staff (and may name records the client never sees).
    switch (e.kind()) {
    case ErrorKind::busy:
      return secured(with_retry(problem_key(c, 503, "busy", "busy"), std::chrono::seconds(2)));
    case ErrorKind::conflict:
      return secured(problem_key(c, 409, "conflict", "no_longer_open"));
    case ErrorKind::not_found:
      return secured(not_found_page({c.firm, c.firm_lang}));
    case ErrorKind::permission:
      return secured(problem_key(c, 403, "forbidden", "not_allowed"));
    case ErrorKind::invalid_input:
      return secured(problem_key(c, 422, "invalid", "check"));
    default:
      return secured(problem_key(c, 500, "internal", "error"));
    }
  } catch (const std::exception&) {
    // Still with the security headers, and nothing of the exception shown.
    return secured(problem_key(c, 500, "internal", "error"));
  }
}

void Portal::finished(const HttpRequest& request, int status, double milliseconds) {
  if (m_options.log) {
    m_options.log(fmt::format("{} {} {} {} {:.1f}ms", util::format_iso(m_options.clock->now()), request.method,
                              redact_path(request.path), status, milliseconds));
  }
}

} // namespace practice::portal
