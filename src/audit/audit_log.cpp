#include "practice/audit/audit_log.hpp"

#include "practice/util/sha256.hpp"

#include <fmt/format.h>

namespace practice::audit {

namespace {

constexpr std::string_view k_select = R"sql(
SELECT id, at, actor_kind, actor_id, actor, account_id, item, action, details, prev_hash, hash
FROM audit)sql";

AuditEntry read_entry(const storage::Statement& s) {
  AuditEntry e;
  e.id = s.int64(0);
  e.at = s.text(1);
  e.actor.kind = parse_actor_kind(s.text_view(2)).value_or(ActorKind::system);
  e.actor.id = s.opt_int64(3);
  e.actor.name = s.text(4);
  e.account_id = s.opt_int64(5);
  e.item = s.text(6);
  e.action = s.text(7);
  e.details = s.text(8);
  e.prev_hash = s.text(9);
  e.hash = s.text(10);
  return e;
}

} // namespace

std::string_view to_string(ActorKind kind) {
  switch (kind) {
  case ActorKind::staff:
    return "staff";
  case ActorKind::contact:
    return "contact";
  case ActorKind::third_party:
    return "third_party";
  case ActorKind::system:
    return "system";
  case ActorKind::os_user:
    return "os_user";
  }
  return "system";
}

std::optional<ActorKind> parse_actor_kind(std::string_view s) {
  for (const auto k : {ActorKind::staff, ActorKind::contact, ActorKind::third_party,
                       ActorKind::system, ActorKind::os_user}) {
    if (to_string(k) == s) {
      return k;
    }
  }
  return std::nullopt;
}

std::string entry_hash(const AuditEntry& e) {
  // A JSON array gives an unambiguous encoding of the fields (no separator
  // can be forged inside a value).
  const nlohmann::json content = {
      e.id,
      e.at,
      to_string(e.actor.kind),
      e.actor.id ? nlohmann::json(*e.actor.id) : nlohmann::json(nullptr),
      e.actor.name,
      e.account_id ? nlohmann::json(*e.account_id) : nlohmann::json(nullptr),
      e.item,
      e.action,
      e.details,
  };
  return util::sha256_hex(e.prev_hash + "\n" + content.dump());
}

VerifyResult verify_chain(const std::vector<AuditEntry>& entries) {
  VerifyResult r;
  std::string prev(k_genesis_hash);
  int64_t prev_id = 0;
  for (const auto& e : entries) {
    ++r.rows;
    if (e.prev_hash != prev) {
      r.ok = false;
      r.bad_row = e.id;
      r.problem = e.id != prev_id + 1
                      ? fmt::format("audit row {} does not follow row {}: row {} was removed",
                                    e.id, prev_id, prev_id + 1)
                      : fmt::format("audit row {} does not follow row {}: one of them was altered",
                                    e.id, prev_id);
      return r;
    }
    if (entry_hash(e) != e.hash) {
      r.ok = false;
      r.bad_row = e.id;
      r.problem = fmt::format("audit row {} was altered: its content does not match its hash", e.id);
      return r;
    }
    prev = e.hash;
    prev_id = e.id;
  }
  r.head_hash = prev;
  return r;
}

void AuditLog::record(util::TimePoint at, const Actor& actor, std::optional<int64_t> account_id,
                      std::string_view item, std::string_view action,
                      const nlohmann::json& details) {
  AuditEntry e;
  {
    storage::Statement last(m_db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
    if (last.step()) {
      e.id = last.int64(0) + 1;
      e.prev_hash = last.text(1);
    } else {
      e.id = 1;
      e.prev_hash = std::string(k_genesis_hash);
    }
  }
  e.at = util::format_iso(at);
  e.actor = actor;
  e.account_id = account_id;
  e.item = std::string(item);
  e.action = std::string(action);
  e.details = details.dump();
  e.hash = entry_hash(e);
  storage::Statement ins(m_db, R"sql(
INSERT INTO audit (id, at, actor_kind, actor_id, actor, account_id, item, action, details,
                   prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  ins.bind_all(e.id, e.at, to_string(e.actor.kind), e.actor.id, e.actor.name,
               e.account_id, e.item, e.action, e.details, e.prev_hash, e.hash);
  ins.run();
}

std::vector<AuditEntry> AuditLog::list(const AuditFilter& f) {
  std::string sql(k_select);
  sql += " WHERE (?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR item = ?2)"
         " AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at <= ?4)"
         " AND (?5 IS NULL OR (actor_kind = 'staff' AND actor_id = ?5))"
         " AND (?6 IS NULL OR actor = ?6 COLLATE NOCASE)"
         " ORDER BY id DESC LIMIT coalesce(?7, -1)";
  // The newest N, then put back in order.
  const std::string ordered = "SELECT * FROM (" + sql + ") ORDER BY id";
  storage::Statement s(m_db, ordered);
  s.bind(1, f.account_id);
  s.bind(2, f.item);
  s.bind(3, util::format_iso(f.since));
  s.bind(4, util::format_iso(f.until));
  s.bind(5, f.actor_staff_id);
  s.bind(6, f.actor);
  s.bind(7, f.limit);
  std::vector<AuditEntry> out;
  while (s.step()) {
    out.push_back(read_entry(s));
  }
  return out;
}

VerifyResult AuditLog::verify() {
  std::string sql(k_select);
  sql += " ORDER BY id"; // appended, not operator+: g++ 12 warns falsely (-Warray-bounds) on that
  storage::Statement s(m_db, sql);
  std::vector<AuditEntry> entries;
  while (s.step()) {
    entries.push_back(read_entry(s));
  }
  return verify_chain(entries);
}

} // namespace practice::audit
