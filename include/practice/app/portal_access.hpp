#pragma once

#include "practice/accounts/model.hpp"
#include "practice/accounts/session.hpp"
#include "practice/config/config.hpp"
#include "practice/requests/requests.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Who may open what in the client portal: one-time codes by email, sessions,
// CSRF tokens. No secret is stored: a code is derived from the firm's link
// key and its row's nonce and put into its email only at delivery; a session
// is kept by the SHA-256 of its id.
namespace practice::app {

inline constexpr std::chrono::minutes k_code_lifetime{10};
inline constexpr int k_code_tries = 5;
inline constexpr std::chrono::seconds k_code_interval{60};
inline constexpr std::chrono::hours k_session_idle{12};
// What the stored code email holds where the code goes.
inline constexpr std::string_view k_code_slot = "PRACTICE-CODE-SLOT";

struct CodeIssued {
  std::optional<int64_t> outbox_id;    // the email, queued in the caller's transaction
  std::chrono::seconds retry_after{0}; // > 0: refused, one code a minute per address
};

// Queues a new code for `contact` (cancelling any open one of that address)
// in the caller's transaction, about the item titled `title`; audited.
CodeIssued issue_code(accounts::Session& s, const requests::Env& env, const accounts::Contact& contact,
                      const std::string& title);

// Whether an open, unexpired code was sent to `email` (the sign-in page then
// says so). Read-only.
bool code_pending(storage::Database& db, const std::string& email, util::TimePoint now);

struct CodeCheck {
  enum class Result { ok, wrong, none } result = Result::none; // none: no open code (expired, used up, replaced)
  int tries_left = 0;
};
// Checks `typed` against the open code of `contact`; a wrong one uses up a
// try (the fifth ends the code), the right one ends it. Audited.
CodeCheck check_code(accounts::Session& s, const requests::Env& env, const accounts::Contact& contact,
                     const std::string& typed);

// The six digits of code row `id`. Pure given the key.
std::string derive_code(const std::string& key, int64_t id, const std::string& nonce);
// The nonce of code row `id` while the code is open and unexpired at `now`,
// for its email at delivery; nullopt once it is used, replaced, tried too
// often or expired.
std::optional<std::string> portal_code_nonce(storage::Database& db, int64_t id, util::TimePoint now);

struct PortalSession {
  std::string id_hash;
  int64_t contact_id = 0;
  int64_t account_id = 0;
  util::TimePoint last_seen;
};
// Starts a session for `contact`; returns its id (the cookie's value, never stored).
std::string start_session(accounts::Session& s, const accounts::Contact& contact);
// The live session with this id: not ended, not idle 12 hours, its contact
// still with portal access. Read-only.
std::optional<PortalSession> find_session(storage::Database& db, const std::string& id, util::TimePoint now);
// Marks the session seen (at most once a minute). The caller owns the transaction.
void touch_session(storage::Database& db, const PortalSession& session, util::TimePoint now);
void end_session(accounts::Session& s, const std::string& id);

// The firm as clients see it: its name, and the language its pages are in
// for a client who has none of their own (accounts::firm_language).
struct FirmFace {
  std::string name;
  std::string language;
};
FirmFace firm_face(storage::Database& db, const config::Config& config);

// The contact, or nullopt.
std::optional<accounts::Contact> find_contact(storage::Database& db, int64_t id);

struct TodoItem {
  std::string kind; // "request" or "approval"
  std::string title;
  std::string token; // the contact's own link to it
  util::TimePoint last_notified;
};
// A signed-in contact's pending items: requests they are a recipient of and
// the account's pending approvals, most recently notified first.
std::vector<TodoItem> client_todo(storage::Database& db, const std::string& key, const accounts::Contact& contact);

// A CSRF token bound to `binding` (a link token or a session id). Pure given the key.
std::string csrf_token(const std::string& key, std::string_view binding);

} // namespace practice::app
