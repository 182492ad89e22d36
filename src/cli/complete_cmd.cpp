#include "app.hpp"

#include "practice/storage/database.hpp"

#include <fmt/format.h>

#include <memory>
#include <set>

namespace practice::cli {

namespace {

struct CompleteOptions {
  std::vector<std::string> words;
};

// Prints what may come after `words`: the subcommands and options of the
// deepest command they name. Touches neither config nor database.
// Record names for the word after `previous` (a flag taking a record, or a
// verb taking one as its first argument), from the database if there is one.
// Never fails loudly: no database, no names.
void complete_records(Context& ctx, const std::string& noun, const std::string& previous) {
  std::string sql;
  if (previous == "--account" ||
      (noun == "account" && previous != "account" && previous != "add" && previous != "import") ||
      previous == "todo") {
    sql = "SELECT name FROM accounts WHERE archived_at IS NULL ORDER BY name";
  } else if (previous == "--as" || previous == "--assignee" || previous == "--assigned" ||
             (noun == "staff" && previous != "staff")) {
    sql = "SELECT email FROM staff WHERE removed_at IS NULL ORDER BY email";
  } else if (previous == "--pipeline" || (noun == "pipeline" && (previous == "show" || previous == "export"))) {
    sql = "SELECT name FROM pipelines ORDER BY name";
  } else if (previous == "--template" || previous == "--send-request" ||
             (noun == "template" && previous != "template" && previous != "add")) {
    sql = "SELECT name FROM request_templates ORDER BY name";
  } else if (noun == "request" && previous != "request" && previous != "create" && previous != "list") {
    sql = "SELECT id FROM requests WHERE status NOT IN ('completed', 'cancelled') ORDER BY id DESC LIMIT 200";
  } else if (noun == "approval" && previous != "approval" && previous != "list") {
    sql = "SELECT id FROM approvals WHERE status = 'pending' ORDER BY id DESC LIMIT 200";
  } else if (noun == "job" && previous != "job" && previous != "create" && previous != "list") {
    sql = "SELECT id FROM jobs WHERE archived_at IS NULL ORDER BY id DESC LIMIT 200";
  } else if (previous == "--job") {
    sql = "SELECT id FROM jobs WHERE archived_at IS NULL ORDER BY id DESC LIMIT 200";
  } else {
    return;
  }
  try {
    storage::Database db(ctx.db_path(), storage::OpenMode::existing, 200);
    storage::Statement s(db, sql);
    while (s.step()) {
      fmt::print("{}\n", s.text(0));
    }
  } catch (const std::exception&) {
    // No database yet, or an older one: complete without names.
  }
}

void run_complete(const CompleteOptions& o, const CLI::App& root, Context& ctx) {
  const CLI::App* at = &root;
  std::string noun;
  for (const auto& w : o.words) {
    if (w.empty() || w.front() == '-') {
      continue;
    }
    const CLI::App* next = nullptr;
    for (const auto* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == w) {
        next = sub;
      }
    }
    if (next == nullptr) {
      break;
    }
    if (at == &root) {
      noun = next->get_name();
    }
    at = next;
  }
  const std::string previous = o.words.empty() ? std::string() : o.words.back();
  complete_records(ctx, noun, previous);
  if (!previous.empty() && previous.front() == '-' && previous != "--json" && previous != "-q" &&
      previous != "--quiet") {
    // A flag that takes a value: only values make sense here.
    const CLI::Option* opt = nullptr;
    for (const CLI::App* a : {at, &root}) {
      for (const auto* op : a->get_options()) {
        for (const auto& n : op->get_lnames()) {
          if ("--" + n == previous) {
            opt = op;
          }
        }
      }
    }
    if (opt != nullptr && opt->get_type_size() != 0) {
      return;
    }
  }
  for (const auto* sub : at->get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) {
      fmt::print("{}\n", sub->get_name());
    }
  }
  std::set<std::string> seen;
  const auto print_options = [&seen](const CLI::App* app) {
    for (const auto* opt : app->get_options()) {
      for (const auto& name : opt->get_lnames()) {
        if (seen.insert(name).second) {
          fmt::print("--{}\n", name);
        }
      }
    }
  };
  print_options(at);
  if (at != &root) {
    print_options(&root);
  }
}

} // namespace

void register_complete_command(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CompleteOptions>();
  auto* cmd = app.add_subcommand("__complete", "Print completions for the words given");
  cmd->group("");
  cmd->fallthrough(false);
  cmd->prefix_command();
  cmd->allow_extras();
  on_run(cmd, ctx, [o, cmd, &app, &ctx] {
    o->words = cmd->remaining();
    run_complete(*o, app, ctx);
  });
}

} // namespace practice::cli
