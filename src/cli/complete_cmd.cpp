#include "app.hpp"

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
void run_complete(const CompleteOptions& o, const CLI::App& root) {
  const CLI::App* at = &root;
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
    at = next;
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
  on_run(cmd, ctx, [o, cmd, &app] {
    o->words = cmd->remaining();
    run_complete(*o, app);
  });
}

} // namespace practice::cli
