#include "practice/storage/copy.hpp"

#include "practice/error.hpp"
#include "practice/storage/file_store.hpp"
#include "practice/util/fd.hpp"
#include "practice/util/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <variant>

namespace practice::storage {

namespace {

// PostgreSQL's own tables of a firm: written by apply_migrations
// (schema_meta) or from the file store (stored_file_contents), never copied.
constexpr std::array<std::string_view, 2> k_target_only = {"schema_meta", "stored_file_contents"};

// A batch INSERT carries at most this many rows, and this many parameters
// (the server's limit is 65,535): one round trip per batch, not per row.
constexpr size_t k_batch_rows = 500;
constexpr size_t k_batch_parameters = 30000;

// What a database that takes a copy must not hold: any table or view of its
// current schema, and the collation and function practice's schema creates
// (a table dropped by hand may leave them behind).
constexpr std::string_view k_existing_sql = R"sql(
SELECT 1, 'table ' || c.relname FROM pg_class c
  WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
    AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
UNION ALL
SELECT 2, 'collation ' || collname FROM pg_collation
  WHERE collnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND collname = 'nocase'
UNION ALL
SELECT 3, 'function ' || proname FROM pg_proc
  WHERE pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
    AND proname = 'audit_append_only'
ORDER BY 1, 2)sql";

constexpr std::string_view k_source_tables_sql =
    R"sql(SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name)sql";
constexpr std::string_view k_source_columns_sql = "SELECT name FROM pragma_table_info(?1) ORDER BY cid";

constexpr std::string_view k_target_columns_sql = R"sql(
SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns
  WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position)sql";

constexpr std::string_view k_target_references_sql = R"sql(
SELECT DISTINCT src.relname, dst.relname FROM pg_constraint k
  JOIN pg_class src ON src.oid = k.conrelid
  JOIN pg_class dst ON dst.oid = k.confrelid
  WHERE k.contype = 'f' AND k.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
  ORDER BY 1, 2)sql";

constexpr std::string_view k_insert_content_sql =
    "INSERT INTO stored_file_contents (sha256, content) VALUES (?1, decode(?2, 'hex'))";

// How a column's values are read from SQLite and bound for PostgreSQL.
enum class ValueKind { integer, real, text, bytes };

struct TargetColumn {
  std::string name;
  ValueKind kind = ValueKind::text;
  bool identity = false;
};

ValueKind kind_of(std::string_view data_type) {
  if (data_type == "bigint" || data_type == "integer" || data_type == "smallint") {
    return ValueKind::integer;
  }
  if (data_type == "double precision" || data_type == "real") {
    return ValueKind::real;
  }
  if (data_type == "bytea") {
    return ValueKind::bytes;
  }
  // Text, and anything else as the server reads its text form.
  return ValueKind::text;
}

std::string identifier(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

bool target_only(std::string_view table) {
  return std::find(k_target_only.begin(), k_target_only.end(), table) != k_target_only.end();
}

// Each table of the target's current schema with its columns in order.
std::map<std::string, std::vector<TargetColumn>> target_tables(Database& to) {
  std::map<std::string, std::vector<TargetColumn>> out;
  Statement s(to, k_target_columns_sql);
  while (s.step()) {
    out[s.text(0)].push_back({s.text(1), kind_of(s.text_view(2)), s.text_view(3) == "YES"});
  }
  return out;
}

// Each table of the SQLite source with its columns in order.
std::vector<std::pair<std::string, std::vector<std::string>>> source_tables(Database& from) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  {
    Statement s(from, k_source_tables_sql);
    while (s.step()) {
      out.emplace_back(s.text(0), std::vector<std::string>{});
    }
  }
  for (auto& [table, columns] : out) {
    Statement s(from, k_source_columns_sql);
    s.bind(1, table);
    while (s.step()) {
      columns.push_back(s.text(0));
    }
  }
  return out;
}

using Value = std::variant<std::nullptr_t, int64_t, double, std::string>;

Value read_value(const Statement& s, int col, ValueKind kind) {
  if (s.is_null(col)) {
    return nullptr;
  }
  switch (kind) {
  case ValueKind::integer:
    return s.int64(col);
  case ValueKind::real:
    return s.real(col);
  case ValueKind::bytes:
    return util::to_hex(s.text_view(col));
  case ValueKind::text:
    break;
  }
  // outbox.message is a BLOB on SQLite and text on PostgreSQL: its bytes either way.
  return s.text(col);
}

std::string insert_sql(const std::string& table, const std::vector<TargetColumn>& columns, size_t rows) {
  std::string names;
  std::string row = "(";
  for (const auto& c : columns) {
    names += (names.empty() ? "" : ", ") + identifier(c.name);
    row += row.size() > 1 ? ", " : "";
    row += c.kind == ValueKind::bytes ? "decode(?, 'hex')" : "?";
  }
  row += ")";
  std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", identifier(table), names);
  sql.reserve(sql.size() + rows * (row.size() + 2));
  for (size_t i = 0; i < rows; ++i) {
    sql += i == 0 ? "" : ", ";
    sql += row;
  }
  return sql;
}

// Copies the rows of `table` in batches; returns how many.
int64_t copy_table(Database& from, Database& to, const std::string& table, const std::vector<TargetColumn>& columns) {
  std::string names;
  for (const auto& c : columns) {
    names += (names.empty() ? "" : ", ") + identifier(c.name);
  }
  Statement read(from, fmt::format("SELECT {} FROM {}", names, identifier(table)));
  const size_t width = columns.size();
  const size_t batch = std::clamp<size_t>(k_batch_parameters / width, 1, k_batch_rows);
  std::vector<Value> values;
  values.reserve(batch * width);
  const auto flush = [&] {
    Statement insert(to, insert_sql(table, columns, values.size() / width));
    int index = 0;
    for (const auto& v : values) {
      std::visit([&](const auto& x) { insert.bind(++index, x); }, v);
    }
    insert.run();
    values.clear();
  };
  int64_t rows = 0;
  while (read.step()) {
    for (size_t i = 0; i < width; ++i) {
      values.push_back(read_value(read, static_cast<int>(i), columns[i].kind));
    }
    ++rows;
    if (values.size() == batch * width) {
      flush();
    }
  }
  if (!values.empty()) {
    flush();
  }
  return rows;
}

std::string read_whole_file(const std::string& path) {
  util::Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (in.fd < 0) {
    throw NotFound(fmt::format("the stored file {} cannot be read: {}; nothing was copied", path, std::strerror(errno)),
                   "'practice doctor' lists what is missing; restore the files from a backup");
  }
  std::string out;
  std::array<char, 65536> buf{};
  for (;;) {
    const ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw NotFound(fmt::format("the stored file {} cannot be read: {}; nothing was copied", path,
                                 std::strerror(errno)));
    }
    if (n == 0) {
      return out;
    }
    out.append(buf.data(), static_cast<size_t>(n));
  }
}

// The bytes of every stored file into stored_file_contents, each checked
// against its hash first.
void copy_file_contents(Database& from, Database& to, const std::string& files_root, CopyReport& report) {
  const FileStore store(files_root, 0);
  for (const auto& f : list_stored_files(from)) {
    const std::string path = store.path_of(f.sha256);
    const std::string bytes = read_whole_file(path);
    if (util::sha256_hex(bytes) != f.sha256) {
      throw InvalidInput(fmt::format("the stored file {} is damaged (its hash differs); nothing was copied", path),
                         "'practice doctor' lists what is damaged; restore the files from a backup");
    }
    Statement(to, k_insert_content_sql).bind_all(f.sha256, util::to_hex(bytes)).run();
    ++report.files;
    report.file_bytes += static_cast<int64_t>(bytes.size());
  }
}

} // namespace

std::vector<std::string> foreign_key_order(const std::vector<TableRefs>& tables) {
  std::set<std::string> listed;
  for (const auto& t : tables) {
    listed.insert(t.name);
  }
  std::set<std::string> placed;
  std::vector<std::string> out;
  out.reserve(tables.size());
  while (out.size() < tables.size()) {
    const size_t before = out.size();
    // Each pass places, in the given order, every table whose references are all placed.
    for (const auto& t : tables) {
      if (placed.count(t.name) != 0) {
        continue;
      }
      const bool ready = std::all_of(t.references.begin(), t.references.end(), [&](const std::string& r) {
        return r == t.name || listed.count(r) == 0 || placed.count(r) != 0;
      });
      if (ready) {
        placed.insert(t.name);
        out.push_back(t.name);
      }
    }
    if (out.size() == before) {
      std::string left;
      for (const auto& t : tables) {
        if (placed.count(t.name) == 0) {
          left += (left.empty() ? "" : ", ") + t.name;
        }
      }
      throw InternalError(fmt::format("the foreign keys of {} go round in a circle", left));
    }
  }
  return out;
}

std::vector<std::string> existing_objects(Database& db) {
  std::vector<std::string> out;
  Statement s(db, k_existing_sql);
  while (s.step()) {
    out.push_back(s.text(1));
  }
  return out;
}

CopyReport copy_firm(Database& from, Database& to, const std::string& files_root) {
  if (from.is_postgres() || !to.is_postgres()) {
    throw InternalError("copy_firm copies a SQLite database into a PostgreSQL one");
  }
  const auto target = target_tables(to);
  const auto source = source_tables(from);

  // Every source column has its twin; only the columns both have are named.
  std::map<std::string, std::vector<TargetColumn>> columns;
  for (const auto& [table, names] : source) {
    const auto it = target.find(table);
    if (it == target.end() || target_only(table)) {
      throw InternalError(fmt::format("the table {} has no twin in {}; nothing was copied", table, to.path()));
    }
    auto& cols = columns[table];
    for (const auto& name : names) {
      const auto c = std::find_if(it->second.begin(), it->second.end(),
                                  [&](const TargetColumn& t) { return t.name == name; });
      if (c == it->second.end()) {
        throw InternalError(
            fmt::format("the column {}.{} has no twin in {}; nothing was copied", table, name, to.path()));
      }
      cols.push_back(*c);
    }
  }

  std::vector<TableRefs> refs;
  for (const auto& [table, names] : source) {
    refs.push_back({table, {}});
  }
  {
    Statement s(to, k_target_references_sql);
    while (s.step()) {
      const auto it = std::find_if(refs.begin(), refs.end(), [&](const TableRefs& r) { return r.name == s.text_view(0); });
      if (it != refs.end()) {
        it->references.push_back(s.text(1));
      }
    }
  }

  CopyReport report;
  for (const auto& table : foreign_key_order(refs)) {
    try {
      report.rows += copy_table(from, to, table, columns.at(table));
    } catch (const Error& e) {
      throw Error(e.kind(), fmt::format("copying the table {} failed: {}; nothing was copied", table, e.what()),
                  e.hint());
    }
    ++report.tables;
  }
  copy_file_contents(from, to, files_root, report);

  // New rows get ids after the copied ones (identity columns are not moved by
  // an insert that names the id).
  for (const auto& [table, cols] : target) {
    for (const auto& c : cols) {
      if (!c.identity) {
        continue;
      }
      const auto sql = fmt::format("SELECT setval(pg_get_serial_sequence(?1, ?2), coalesce(max({0}), 1), "
                                   "max({0}) IS NOT NULL) FROM {1}",
                                   identifier(c.name), identifier(table));
      Statement(to, sql).bind_all(identifier(table), c.name).run();
    }
  }
  // Statistics for the planner now, not when autovacuum gets round to the
  // new rows: the first commands on a large firm otherwise plan for empty
  // tables (a few seconds on a million audit rows; committed with the rows).
  for (const auto& [table, cols] : target) {
    to.exec(fmt::format("ANALYZE {}", identifier(table)));
  }
  return report;
}

} // namespace practice::storage
