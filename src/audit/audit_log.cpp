#include "practice/audit/audit_log.hpp"

#include "practice/util/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

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

namespace {

// Appends `s` as nlohmann's dump() writes a JSON string: printable ASCII
// here (quotes and backslashes escaped), anything else (control characters,
// UTF-8 to check) through nlohmann itself. A unit test holds the two equal.
void append_json_string(std::string& out, std::string_view s) {
  const bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80;
  });
  if (!plain) {
    out += nlohmann::json(std::string(s)).dump();
    return;
  }
  out += '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_opt_int(std::string& out, std::optional<int64_t> v) {
  if (v) {
    append_int(out, *v);
  } else {
    out += "null";
  }
}

// A row as read, its text still in the statement (or in an AuditEntry).
struct EntryView {
  int64_t id = 0;
  std::string_view at;
  std::string_view actor_kind;
  std::optional<int64_t> actor_id;
  std::string_view actor;
  std::optional<int64_t> account_id;
  std::string_view item;
  std::string_view action;
  std::string_view details;
  std::string_view prev_hash;
  std::string_view hash;
};

EntryView view_of(const AuditEntry& e) {
  return {e.id,     e.at,   to_string(e.actor.kind), e.actor.id, e.actor.name, e.account_id,
          e.item,   e.action, e.details,             e.prev_hash, e.hash};
}

// What a row's hash covers: the previous row's hash, a newline and the
// compact JSON array of the row's fields but the hashes. A JSON array gives
// an unambiguous encoding (no separator can be forged inside a value); it
// is the text nlohmann's dump() gives for that array, written without the tree.
void hashed_text(const EntryView& e, std::string& out) {
  out.clear();
  out += e.prev_hash;
  out += "\n[";
  append_int(out, e.id);
  out += ',';
  append_json_string(out, e.at);
  out += ',';
  append_json_string(out, e.actor_kind);
  out += ',';
  append_opt_int(out, e.actor_id);
  out += ',';
  append_json_string(out, e.actor);
  out += ',';
  append_opt_int(out, e.account_id);
  out += ',';
  append_json_string(out, e.item);
  out += ',';
  append_json_string(out, e.action);
  out += ',';
  append_json_string(out, e.details);
  out += ']';
}

// Checks a chain one row at a time, in id order.
class ChainCheck {
public:
  // False once a row fails; then result() names it.
  bool add(const EntryView& e) {
    ++m_result.rows;
    if (e.prev_hash != m_prev) {
      m_result.ok = false;
      m_result.bad_row = e.id;
      m_result.problem = e.id != m_prev_id + 1
                             ? fmt::format("audit row {} does not follow row {}: row {} was removed", e.id,
                                           m_prev_id, m_prev_id + 1)
                             : fmt::format("audit row {} does not follow row {}: one of them was altered", e.id,
                                           m_prev_id);
      return false;
    }
    hashed_text(e, m_text);
    m_sha.hex(m_text, m_hash);
    if (m_hash != e.hash) {
      m_result.ok = false;
      m_result.bad_row = e.id;
      m_result.problem = fmt::format("audit row {} was altered: its content does not match its hash", e.id);
      return false;
    }
    m_prev.assign(e.hash);
    m_prev_id = e.id;
    return true;
  }

  VerifyResult result() {
    if (m_result.ok) {
      m_result.head_hash = m_prev;
    }
    return m_result;
  }

private:
  VerifyResult m_result;
  std::string m_prev{k_genesis_hash};
  int64_t m_prev_id = 0;
  std::string m_text;
  std::string m_hash;
  util::Sha256 m_sha;
};

} // namespace

std::string entry_hash(const AuditEntry& e) {
  std::string text;
  hashed_text(view_of(e), text);
  return util::sha256_hex(text);
}

VerifyResult verify_chain(const std::vector<AuditEntry>& entries) {
  ChainCheck check;
  for (const auto& e : entries) {
    if (!check.add(view_of(e))) {
      break;
    }
  }
  return check.result();
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

std::string AuditLog::list_sql(const AuditFilter& f) {
  std::string sql(k_select);
  const char* glue = " WHERE ";
  const auto where = [&](std::string_view condition) {
    sql += glue;
    sql += condition;
    glue = " AND ";
  };
  if (f.account_id) {
    where("account_id = ?1");
  }
  if (f.item) {
    where("item = ?2");
  }
  if (f.since) {
    where("at >= ?3");
  }
  if (f.until) {
    where("at <= ?4");
  }
  if (f.actor_staff_id) {
    where("actor_kind = 'staff' AND actor_id = ?5");
  }
  if (f.actor) {
    where("actor = ?6 COLLATE NOCASE");
  }
  if (!f.limit) {
    sql += " ORDER BY id";
    return sql;
  }
  // The newest N, then put back in order.
  sql += " ORDER BY id DESC LIMIT ?7";
  return "SELECT * FROM (" + sql + ") AS newest ORDER BY id";
}

std::vector<AuditEntry> AuditLog::list(const AuditFilter& f) {
  std::vector<AuditEntry> out;
  each(f, [&](const AuditEntry& e) { out.push_back(e); });
  return out;
}

void AuditLog::each(const AuditFilter& f, const std::function<void(const AuditEntry&)>& fn) {
  storage::Statement s(m_db, list_sql(f));
  s.stream();
  if (f.account_id) {
    s.bind(1, *f.account_id);
  }
  if (f.item) {
    s.bind(2, *f.item);
  }
  if (f.since) {
    s.bind(3, util::format_iso(*f.since));
  }
  if (f.until) {
    s.bind(4, util::format_iso(*f.until));
  }
  if (f.actor_staff_id) {
    s.bind(5, *f.actor_staff_id);
  }
  if (f.actor) {
    s.bind(6, *f.actor);
  }
  if (f.limit) {
    s.bind(7, *f.limit);
  }
  while (s.step()) {
    fn(read_entry(s));
  }
}

VerifyResult AuditLog::verify() {
  std::string sql(k_select);
  sql += " ORDER BY id"; // appended, not operator+: g++ 12 warns falsely (-Warray-bounds) on that
  storage::Statement s(m_db, sql);
  s.stream();
  ChainCheck check;
  while (s.step()) {
    const EntryView e{s.int64(0),     s.text_view(1), s.text_view(2), s.opt_int64(3),
                      s.text_view(4), s.opt_int64(5), s.text_view(6), s.text_view(7),
                      s.text_view(8), s.text_view(9), s.text_view(10)};
    if (!check.add(e)) {
      break;
    }
  }
  return check.result();
}

} // namespace practice::audit
