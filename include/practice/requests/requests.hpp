#pragma once

#include "practice/accounts/session.hpp"
#include "practice/config/config.hpp"
#include "practice/requests/model.hpp"
#include "practice/requests/request_store.hpp" // RequestFilter

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Client requests: every operation validates, checks the state allows it,
// saves, audits and queues its mail in the caller's transaction.
namespace practice::requests {

// What request operations need besides the session.
struct Env {
  const config::Config& config;
  std::string link_key_path; // the firm's link secret, beside the database
  std::string files_root;    // the content-addressed store
  int64_t max_file_size = 25 * 1024 * 1024;
  // The key read once by a long-running holder (the portal); empty: read it from link_key_path.
  std::shared_ptr<const std::string> link_key;
};

// The firm's link key: the one held in `env`, else read at its path and
// checked against the fingerprint the database keeps (link_key_fingerprint).
// While none is kept (a new firm, or one made before fingerprints), the key
// is read or made and its fingerprint recorded, in the caller's write
// transaction (or on its own outside one). Throws ConfigError when the file
// is missing while the database has a fingerprint (no key is made then), or
// when the key's fingerprint differs.
std::string link_key(storage::Database& db, const Env& env);
// Throws ConfigError unless `key` has `fingerprint`; `path` names its file.
void check_link_key(const std::string& key, const std::string& fingerprint, const std::string& path);
// Throws ConfigError when `path` is empty: a firm on PostgreSQL whose
// config names no [database] key_file.
void require_link_key_path(const std::string& path);

struct ReminderFlags {
  std::optional<int> every_days;
  std::optional<int> count;
  bool off = false;
};

struct NewRequest {
  std::vector<std::string> accounts; // one request each
  std::optional<std::string> title;
  std::optional<std::string> message;
  std::optional<std::string> template_name;
  std::optional<Definition> definition; // from --file
  std::vector<std::string> to;          // contacts (name or email) or any address, "Name <address>" too
  bool no_login = false;
  ReminderFlags reminders;
  bool draft = false;
  std::optional<std::string> language;  // the third parties' (contacts read their own); nullopt: the firm's
};

struct Outcome {
  std::vector<Request> requests;
  std::vector<int64_t> outbox_ids; // mail queued, for delivery after commit
};

Outcome create_requests(accounts::Session& s, const Env& env, const NewRequest& in);
Outcome send_request(accounts::Session& s, const Env& env, int64_t id);

struct RequestChanges {
  std::optional<std::string> title;
  std::optional<std::string> message;
  std::optional<std::vector<std::string>> to;
  std::optional<bool> login;
  ReminderFlags reminders;
  bool reminders_on = false; // --reminders-on
  std::optional<std::string> language; // the third parties'; with --to, theirs
};
Request edit_request(accounts::Session& s, const Env& env, int64_t id, const RequestChanges& in);

Request add_question(accounts::Session& s, int64_t id, Question q);
struct QuestionChanges {
  std::optional<std::string> prompt;
  std::optional<std::vector<std::string>> options;
  std::optional<bool> required;
};
Request edit_question(accounts::Session& s, int64_t id, int position, const QuestionChanges& in);
Request remove_question(accounts::Session& s, int64_t id, int position);

struct AnswerInput {
  int position = 0;
  std::vector<std::string> values;
  std::vector<std::string> files;      // paths to copy into the file store (added to those there)
  std::vector<std::string> file_names; // the names to record, parallel to files; empty: each path's own
  std::optional<std::string> by;       // a recipient (or, without login, any address); a client session acts as itself
};
// Saves an answer (validated as its question's type requires); the request
// goes in progress. Throws InvalidInput, NotFound (no such question), Conflict.
Request answer(accounts::Session& s, const Env& env, int64_t id, const AnswerInput& in);
// Takes back the answer to question `position` (and its files): unanswered again.
Request clear_answer(accounts::Session& s, int64_t id, int position);
// Removes one uploaded file from a file question's answer; the answer goes
// when its last file does. Throws NotFound when the question has no such file.
Request remove_answer_file(accounts::Session& s, int64_t id, int position, int64_t file_id);
Outcome submit(accounts::Session& s, const Env& env, int64_t id, const std::optional<std::string>& by);
Request complete(accounts::Session& s, int64_t id);
Request cancel(accounts::Session& s, int64_t id, const std::optional<std::string>& reason);
Request relink(accounts::Session& s, int64_t id, const std::optional<std::string>& to);

// "<[portal] base_url>/<kind>/<token>", or nullopt when no base_url is set.
std::optional<std::string> portal_url(const Env& env, std::string_view kind, const std::string& token);

struct Link {
  std::string email;
  std::string token;
  std::optional<std::string> url;
  bool active = false;
};
std::vector<Link> links(storage::Database& db, const Env& env, const Request& r);

// What a secret link opens: the one request and the recipient it was sent
// to, or nullopt when the token is malformed, forged, revoked, expired
// ([portal] link_expiry_days after the last email) or the request no
// longer awaits the client (with LinkUse::view: is a draft or cancelled,
// so a client can still read what they submitted). Compares in constant time.
struct LinkTarget {
  Request request;
  Recipient recipient;
};
enum class LinkUse { act, view };
std::optional<LinkTarget> open_link(storage::Database& db, const Env& env, const std::string& token,
                                    util::TimePoint now, LinkUse use = LinkUse::act);

// The last whole day a link in an email queued at `now` works ([portal]
// link_expiry_days after it), as `lang` writes dates; nullopt when links do
// not expire.
std::optional<std::string> link_until_text(const Env& env, std::string_view lang, util::TimePoint now);

// The live portal link of request `id` for its recipient `email`, as an email
// to them carries it: put in at delivery, never stored. nullopt when there is
// no such recipient or no [portal] base_url.
// `key` is the link key (load_or_create_link_key), read once by the caller.
std::optional<std::string> recipient_link(storage::Database& db, const Env& env, const std::string& key, int64_t id,
                                          const std::string& email);

// Queues `template_name` (reminder, resend, ...) to each recipient with a slot
// for their link (see recipient_link); `dedupe_part` makes the dedupe key (empty: unique per message).
std::vector<int64_t> notify_recipients(accounts::Session& s, const Env& env, const Request& r,
                                       const std::string& template_name, const std::string& dedupe_part,
                                       const std::optional<std::string>& message);

// Manual resend: one more email to every recipient, now; moves the request to
// the top of the client's to-do and restarts the reminder day count, without
// using up automatic reminders. Audited.
Outcome resend(accounts::Session& s, const Env& env, int64_t id, const std::optional<std::string>& message);

// Loads a request; throws NotFound.
Request get_request(storage::Database& db, int64_t id);
// The requests `f` keeps, with progress counts (no questions loaded), most
// recently active first.
std::vector<Request> list_requests(storage::Database& db, const RequestFilter& f);
// The same requests in the same order, one at a time (RequestStore::each).
void each_request(storage::Database& db, const RequestFilter& f, const std::function<void(const Request&)>& fn);

// The request template `name_or_id` (its name, or its id) with its id;
// throws NotFound.
std::pair<int64_t, Definition> get_template(storage::Database& db, std::string_view name_or_id);
// Every request template with its id, by name.
std::vector<std::pair<int64_t, Definition>> list_templates(storage::Database& db);
// Saves a new request template and audits it (template:ID "created"); returns
// its id. Staff only; throws Conflict when a template of that name exists.
int64_t add_template(accounts::Session& s, const Definition& d);

// Writes answers.json and the attached files into `dir` (created; must not
// exist or be empty). Returns the files written.
std::vector<std::string> export_request(storage::Database& db, const Env& env, const Request& r,
                                        const std::string& dir);

} // namespace practice::requests
