#pragma once

#include "practice/audit/actor.hpp"
#include "practice/storage/database.hpp"
#include "practice/util/time.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace practice::audit {

struct AuditEntry {
  int64_t id = 0;
  std::string at; // ISO 8601 UTC, exactly as stored (it is hashed)
  Actor actor;
  std::optional<int64_t> account_id;
  std::string item;    // "account:3", "staff:1", "request:12"
  std::string action;  // "created", "edited", "archived", ...
  std::string details; // a JSON object, as stored
  std::string prev_hash;
  std::string hash;
};

// The kinds of item the trail records (the "request" of "request:12"): the
// ones people look up most (cli.md: request, approval, job) first.
inline constexpr std::array<std::string_view, 12> k_item_kinds = {
    "request", "approval", "job",    "account",  "contact", "document",
    "firm",    "folder",   "outbox", "pipeline", "staff",   "template"};

// The hash before the first row.
inline constexpr std::string_view k_genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// SHA-256 over the previous row's hash and this row's content (all fields but
// the hashes). Pure.
std::string entry_hash(const AuditEntry& e);

struct VerifyResult {
  bool ok = true;
  int64_t rows = 0;
  std::string head_hash;          // hash of the last row (or the genesis hash)
  std::optional<int64_t> bad_row; // first row whose hash or link fails
  std::string problem;            // one sentence about bad_row
};

// Checks a chain read in id order. Pure.
VerifyResult verify_chain(const std::vector<AuditEntry>& entries);

struct AuditFilter {
  std::optional<int64_t> account_id;
  std::optional<std::string> item;
  std::optional<util::TimePoint> since;
  std::optional<util::TimePoint> until;        // at or before
  std::optional<int64_t> actor_staff_id;       // a staff member's entries
  std::optional<std::string> actor;            // or an actor by its recorded name (any case)
  std::optional<int64_t> limit;                // the most recent N (still listed oldest first)
};

class AuditLog {
public:
  explicit AuditLog(storage::Database& db) : m_db(db) {}

  // Appends one row chained to the last; call inside the command's write transaction.
  void record(util::TimePoint at, const Actor& actor, std::optional<int64_t> account_id,
              std::string_view item, std::string_view action,
              const nlohmann::json& details = nlohmann::json::object());

  std::vector<AuditEntry> list(const AuditFilter& filter);
  // The same entries in the same order, one at a time: the whole trail of a
  // large firm is printed as it is read, never held.
  void each(const AuditFilter& filter, const std::function<void(const AuditEntry&)>& fn);
  // The statement list() and each() run for `filter`: only the conditions it
  // sets, so that each reads through its index (for the query-plan tests).
  static std::string list_sql(const AuditFilter& filter);

  // Reads the whole chain in id order and verifies it, row by row as read
  // (a million rows are never held).
  VerifyResult verify();

private:
  storage::Database& m_db;
};

} // namespace practice::audit
