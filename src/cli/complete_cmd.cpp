#include "app.hpp"

#include "practice/storage/database.hpp"
#include "practice/storage/sql.hpp"
#include "practice/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace practice::cli {

namespace {

// `practice __complete WORDS...` prints what may come after WORDS (the words
// before the cursor, unquoted): one candidate a line, `value` or
// `value<TAB>description`, then always one last line, the directive, telling
// the shell what to complete besides: `:` nothing, `:files`, `:files EXT`
// (those and folders), `:dirs`. The shells pick the candidates that start with
// the word at the cursor; values and subcommands first, options when that word
// starts with "-" or nothing else fits.
// Record names come from the database, read-only; no database, no names. It
// never opens the config and never fails loudly.
struct CompleteOptions {
  std::vector<std::string> words;
};

// What a value names: a kind of record, one of fixed choices, or a file.
enum class Kind {
  none,
  account,
  staff,
  contact,
  pipeline,
  stage,
  request_template,
  folder,
  job,
  request,
  approval,
  document,
  choice,
  file,
  directory
};

struct Want {
  Kind kind = Kind::none;
  std::string detail; // the choices ("on|off") or the file name's extension ("csv")
};

template <size_t N>
Kind lookup(const std::array<std::pair<std::string_view, Kind>, N>& table, std::string_view key) {
  for (const auto& [name, kind] : table) {
    if (name == key) {
      return kind;
    }
  }
  return Kind::none;
}

// By the type name --help shows (ACCOUNT, STAGE, FILE.csv, on|off) or, where
// that is CLI11's generic one (TEXT, INT), by the option's own name: so `--to`
// wants a stage in `job move` (STAGE) and a contact in `request create`.
Want want_of(const CLI::Option& opt) {
  constexpr std::array<std::pair<std::string_view, Kind>, 12> by_type = {{
      {"ACCOUNT", Kind::account},
      {"STAFF", Kind::staff},
      {"CONTACT", Kind::contact},
      {"CONTACT_OR_EMAIL", Kind::contact},
      {"PIPELINE", Kind::pipeline},
      {"STAGE", Kind::stage},
      {"TEMPLATE", Kind::request_template},
      {"FOLDER", Kind::folder},
      {"J", Kind::job},
      {"FILE", Kind::file},
      {"PATH", Kind::file},
      {"DIR", Kind::directory},
  }};
  constexpr std::array<std::pair<std::string_view, Kind>, 12> by_name = {{
      {"account", Kind::account},
      {"staff", Kind::staff},
      {"contact", Kind::contact},
      {"pipeline", Kind::pipeline},
      {"stage", Kind::stage},
      {"template", Kind::request_template},
      {"folder", Kind::folder},
      {"job", Kind::job},
      {"request", Kind::request},
      {"approval", Kind::approval},
      {"document", Kind::document},
      {"file", Kind::file},
  }};
  const std::string type = opt.get_type_name();
  if (type.starts_with("FILE.")) {
    return {Kind::file, type.substr(5)};
  }
  if (type.find('|') != std::string::npos) {
    return {Kind::choice, type};
  }
  if (const Kind k = lookup(by_type, type); k != Kind::none) {
    return {k, {}};
  }
  if (type == "TEXT" || type == "INT" || type == "UINT") {
    return {lookup(by_name, opt.get_single_name()), {}};
  }
  return {};
}

// Where the cursor stands, read from the words before it.
struct Cursor {
  const CLI::App* command = nullptr;       // the deepest command the words name
  const CLI::Option* flag = nullptr;       // the option whose value comes next
  const CLI::Option* positional = nullptr; // else the positional that comes next
  std::map<std::string, std::vector<std::string>> given; // values so far, by option name
};

// The option `word` (--name, -n) names in `app` or an application above it.
const CLI::Option* find_option(const CLI::App* app, const std::string& word) {
  for (; app != nullptr; app = app->get_parent()) {
    for (const auto* opt : app->get_options()) {
      if (opt->nonpositional() && opt->check_name(word)) {
        return opt;
      }
    }
  }
  return nullptr;
}

const CLI::App* find_subcommand(const CLI::App* app, const std::string& word) {
  for (const auto* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) {
      return sub;
    }
  }
  return nullptr;
}

std::vector<const CLI::Option*> positionals(const CLI::App* app) {
  return app->get_options([](const CLI::Option* o) { return o->get_positional() && !o->nonpositional(); });
}

Cursor locate(const CLI::App& root, const std::vector<std::string>& words) {
  Cursor c;
  c.command = &root;
  size_t next_positional = 0; // of c.command's positionals
  int filled = 0;             // values the next positional has taken
  for (const auto& w : words) {
    if (c.flag != nullptr) {
      c.given[c.flag->get_single_name()].push_back(w);
      c.flag = nullptr;
      continue;
    }
    if (w.size() > 1 && w.front() == '-') {
      const auto eq = w.find('=');
      const auto* opt = find_option(c.command, w.substr(0, eq));
      // A flag (--json) expects no value; an option (--account A) one or more.
      if (opt != nullptr && opt->get_items_expected_max() > 0) {
        if (eq == std::string::npos) {
          c.flag = opt;
        } else {
          c.given[opt->get_single_name()].push_back(w.substr(eq + 1));
        }
      }
      continue;
    }
    if (const auto* sub = find_subcommand(c.command, w); sub != nullptr && next_positional == 0 && filled == 0) {
      c.command = sub;
      continue;
    }
    const auto list = positionals(c.command);
    if (next_positional < list.size()) {
      const auto* p = list[next_positional];
      c.given[p->get_single_name()].push_back(w);
      if (++filled >= p->get_items_expected_max()) {
        ++next_positional;
        filled = 0;
      }
    }
  }
  if (c.flag == nullptr) {
    const auto list = positionals(c.command);
    if (next_positional < list.size()) {
      c.positional = list[next_positional];
    }
  }
  return c;
}

// The last value given for `name`, if exactly one was.
std::optional<std::string> one_given(const Cursor& c, const std::string& name) {
  const auto it = c.given.find(name);
  if (it == c.given.end() || it->second.size() != 1) {
    return std::nullopt;
  }
  return it->second.front();
}

// One line of output: tabs and line breaks would break the format.
void print_candidate(std::string_view value, std::string description) {
  if (value.empty() || value.find_first_of("\t\n\r") != std::string_view::npos) {
    return;
  }
  const auto breaks_line = [](char ch) { return ch == '\t' || ch == '\n' || ch == '\r'; };
  std::replace_if(description.begin(), description.end(), breaks_line, ' ');
  if (description.empty()) {
    fmt::print("{}\n", value);
  } else {
    fmt::print("{}\t{}\n", value, description);
  }
}

// The read-only queries completion runs: each row is a value and its description.
constexpr std::string_view k_accounts_sql = R"sql(
SELECT name, type FROM accounts WHERE archived_at IS NULL ORDER BY name COLLATE NOCASE)sql";
// What `account unarchive` can take.
constexpr std::string_view k_archived_accounts_sql = R"sql(
SELECT name, type || ', archived' FROM accounts WHERE archived_at IS NOT NULL ORDER BY name COLLATE NOCASE)sql";
constexpr std::string_view k_staff_sql = R"sql(
SELECT email, name FROM staff WHERE removed_at IS NULL ORDER BY email)sql";
constexpr std::string_view k_contacts_sql = R"sql(
SELECT c.email, c.name || ' (' || a.name || ')'
FROM contacts c JOIN accounts a ON a.id = c.account_id
WHERE c.removed_at IS NULL AND (CAST(?1 AS BIGINT) IS NULL OR c.account_id = ?1)
ORDER BY c.email)sql";
// $LIST is the dialect's group_concat or string_agg.
constexpr std::string_view k_pipelines_sql = R"sql(
SELECT p.name, (SELECT $LIST(name, ', ') FROM
                  (SELECT name FROM stages WHERE pipeline_id = p.id AND removed_at IS NULL ORDER BY position) AS s)
FROM pipelines p ORDER BY p.name)sql";
// A job's stages, in order, the one it is in marked.
constexpr std::string_view k_job_stages_sql = R"sql(
SELECT s.name, CASE WHEN s.id = j.stage_id THEN 'the job is here' ELSE '' END
FROM jobs j JOIN stages s ON s.pipeline_id = j.pipeline_id AND s.removed_at IS NULL
WHERE j.id = ?1 ORDER BY s.position)sql";
constexpr std::string_view k_pipeline_stages_sql = R"sql(
SELECT s.name, '' FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
WHERE (CAST(p.id AS TEXT) = CAST(?1 AS TEXT) OR p.name = ?1) AND s.removed_at IS NULL ORDER BY s.position)sql";
// Every stage name, with the pipelines that have it.
constexpr std::string_view k_stages_sql = R"sql(
SELECT s.name, $LIST(p.name, ', ') FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
WHERE s.removed_at IS NULL GROUP BY s.name ORDER BY s.name)sql";
constexpr std::string_view k_templates_sql = R"sql(
SELECT name, '' FROM request_templates ORDER BY name)sql";
constexpr std::string_view k_folders_sql = R"sql(
SELECT name, CASE WHEN client_can_view = 1 THEN 'clients can view' ELSE '' END FROM folders ORDER BY name)sql";
constexpr std::string_view k_jobs_sql = R"sql(
SELECT j.id, j.title || ' (' || a.name || ', ' || s.name || ')'
FROM jobs j JOIN accounts a ON a.id = j.account_id JOIN stages s ON s.id = j.stage_id
WHERE j.archived_at IS NULL AND (CAST(?1 AS BIGINT) IS NULL OR j.account_id = ?1)
ORDER BY j.id DESC LIMIT 200)sql";
constexpr std::string_view k_requests_sql = R"sql(
SELECT r.id, r.title || ' (' || a.name || ', ' || r.status || ')'
FROM requests r JOIN accounts a ON a.id = r.account_id
WHERE r.status NOT IN ('completed', 'cancelled') AND (CAST(?1 AS BIGINT) IS NULL OR r.account_id = ?1)
ORDER BY r.id DESC LIMIT 200)sql";
constexpr std::string_view k_approvals_sql = R"sql(
SELECT ap.id, d.name || ' (' || a.name || ')'
FROM approvals ap JOIN documents d ON d.id = ap.document_id JOIN accounts a ON a.id = ap.account_id
WHERE ap.status = 'pending' AND (CAST(?1 AS BIGINT) IS NULL OR ap.account_id = ?1)
ORDER BY ap.id DESC LIMIT 200)sql";
constexpr std::string_view k_documents_sql = R"sql(
SELECT d.id, d.name || ' (' || a.name || ')'
FROM documents d JOIN accounts a ON a.id = d.account_id
WHERE d.removed_at IS NULL AND (CAST(?1 AS BIGINT) IS NULL OR d.account_id = ?1)
ORDER BY d.id DESC LIMIT 200)sql";
constexpr std::string_view k_account_by_ref_sql = R"sql(
SELECT id FROM accounts WHERE (CAST(id AS TEXT) = ?1 OR name = ?1) AND archived_at IS NULL LIMIT 2)sql";

// The account the words already point at (--account, or the request, approval,
// job or document given), to offer only its contacts, jobs and items.
std::optional<int64_t> account_in_scope(storage::Database& db, const Cursor& c) {
  const auto single = [&db](std::string_view sql, const std::string& value) -> std::optional<int64_t> {
    storage::Statement s(db, sql);
    s.bind(1, value);
    std::optional<int64_t> id;
    int rows = 0;
    while (s.step()) {
      id = s.int64(0);
      ++rows;
    }
    return rows == 1 ? id : std::nullopt;
  };
  if (const auto a = one_given(c, "account")) {
    return single(k_account_by_ref_sql, *a);
  }
  constexpr std::array<std::pair<std::string_view, std::string_view>, 4> owners = {{
      {"request", "SELECT account_id FROM requests WHERE CAST(id AS TEXT) = ?1"},
      {"approval", "SELECT account_id FROM approvals WHERE CAST(id AS TEXT) = ?1"},
      {"job", "SELECT account_id FROM jobs WHERE CAST(id AS TEXT) = ?1"},
      {"document", "SELECT account_id FROM documents WHERE CAST(id AS TEXT) = ?1"},
  }};
  for (const auto& [name, sql] : owners) {
    if (const auto v = one_given(c, std::string(name))) {
      return single(sql, *v);
    }
  }
  return std::nullopt;
}

void print_rows(storage::Statement& s) {
  while (s.step()) {
    print_candidate(s.text(0), s.is_null(1) ? std::string() : s.text(1));
  }
}

// A query with $LIST spelt as the database spells a joined list of values.
std::string with_list(storage::Database& db, std::string_view sql) {
  std::string out(sql);
  const auto at = out.find("$LIST");
  return out.replace(at, 5, storage::sql::join_aggregate(db.dialect()));
}

// The records of `kind` that fit where the cursor is.
void print_records(storage::Database& db, Kind kind, const Cursor& c) {
  const auto scoped = [&](std::string_view sql) {
    storage::Statement s(db, sql);
    s.bind(1, account_in_scope(db, c));
    print_rows(s);
  };
  const auto plain = [&](std::string_view sql) {
    storage::Statement s(db, sql);
    print_rows(s);
  };
  switch (kind) {
  case Kind::account:
    return plain(c.command != nullptr && c.command->get_name() == "unarchive" ? k_archived_accounts_sql
                                                                                 : k_accounts_sql);
  case Kind::staff:
    return plain(k_staff_sql);
  case Kind::contact:
    return scoped(k_contacts_sql);
  case Kind::pipeline:
    return plain(with_list(db, k_pipelines_sql));
  case Kind::stage:
    if (const auto job = one_given(c, "job"); job && util::parse_int(*job)) {
      storage::Statement s(db, k_job_stages_sql);
      s.bind(1, *util::parse_int(*job));
      return print_rows(s);
    }
    if (const auto pipeline = one_given(c, "pipeline")) {
      storage::Statement s(db, k_pipeline_stages_sql);
      s.bind(1, *pipeline);
      return print_rows(s);
    }
    return plain(with_list(db, k_stages_sql));
  case Kind::request_template:
    return plain(k_templates_sql);
  case Kind::folder:
    return plain(k_folders_sql);
  case Kind::job:
    return scoped(k_jobs_sql);
  case Kind::request:
    return scoped(k_requests_sql);
  case Kind::approval:
    return scoped(k_approvals_sql);
  case Kind::document:
    return scoped(k_documents_sql);
  case Kind::none:
  case Kind::choice:
  case Kind::file:
  case Kind::directory:
    return;
  }
}

// The values `want` allows here; the directive line says whether files fit too.
void print_values(Context& ctx, const Want& want, const Cursor& c) {
  if (want.kind == Kind::none || want.kind == Kind::file || want.kind == Kind::directory) {
    return;
  }
  if (want.kind == Kind::choice) {
    for (const auto& choice : CLI::detail::split(want.detail, '|')) {
      print_candidate(choice, {});
    }
    return;
  }
  try {
    const auto db_path = one_given(c, "db");
    storage::Database db(db_path ? *db_path : ctx.db_path(), storage::OpenMode::existing, 200);
    print_records(db, want.kind, c);
  } catch (const std::exception&) {
    // No database yet, or an older one: complete without names.
  }
}

std::string directive(const Want& want) {
  if (want.kind == Kind::file) {
    return want.detail.empty() ? ":files" : ":files " + want.detail;
  }
  return want.kind == Kind::directory ? ":dirs" : ":";
}

void print_options(const CLI::App* app, std::set<std::string>& seen) {
  for (const auto* opt : app->get_options()) {
    for (const auto& name : opt->get_lnames()) {
      if (seen.insert(name).second) {
        print_candidate("--" + name, opt->get_description());
      }
    }
  }
}

void run_complete(const CompleteOptions& o, const CLI::App& root, Context& ctx) {
  const Cursor c = locate(root, o.words);
  if (c.flag != nullptr) {
    // An option that takes a value: only values make sense here.
    const Want want = want_of(*c.flag);
    print_values(ctx, want, c);
    fmt::print("{}\n", directive(want));
    return;
  }
  for (const auto* sub : c.command->get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) {
      print_candidate(sub->get_name(), sub->get_description());
    }
  }
  const Want want = c.positional != nullptr ? want_of(*c.positional) : Want{};
  print_values(ctx, want, c);
  std::set<std::string> seen;
  print_options(c.command, seen);
  if (c.command != &root) {
    print_options(&root, seen);
  }
  fmt::print("{}\n", directive(want));
}

} // namespace

void register_complete_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CompleteOptions>();
  auto* cmd = app.add_subcommand("__complete", "Print completions for the words given");
  cmd->group("");
  cmd->fallthrough(false);
  cmd->prefix_command();
  cmd->allow_extras();
  // Every word belongs to the command line being completed, --help too.
  cmd->set_help_flag();
  on_run(cmd, ctx, [o, cmd, &app, &ctx] {
    o->words = cmd->remaining();
    run_complete(*o, app, ctx);
  });
}

} // namespace practice::cli
