#include "cli/app.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace practice::cli;

namespace {

// Parses `value` for an int64 option with the decimal() transform; the error text when refused.
std::string parse(const std::string& value, int64_t& out) {
  CLI::App app;
  app.add_option("--n", out)->transform(decimal());
  try {
    app.parse(std::vector<std::string>{value, "--n"}); // CLI11 takes the vector in reverse
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("integer options take plain decimal digits only") {
  int64_t n = -1;
  CHECK(parse("3", n).empty());
  CHECK(n == 3);
  CHECK(parse("010", n).empty());
  CHECK(n == 10); // not octal eight
  CHECK(parse("0", n).empty());
  CHECK(n == 0);
  CHECK(parse("000", n).empty());
  CHECK(n == 0);
  CHECK(parse("-7", n).empty());
  CHECK(n == -7);
  for (const char* bad : {" 3", "3 ", "0x10", "0X10", "+3", "1e3", "3.0", "", "-", "0b1", "1_000", "٣"}) {
    INFO(bad);
    CHECK(parse(bad, n).find("is not a whole number") != std::string::npos);
  }
}

namespace {

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    out.push_back(sub->get_name());
  }
  return out;
}

// The help of `app` and of every command under it, in one text.
std::string all_help(const CLI::App& app) {
  std::string out = app.help();
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    out += all_help(*sub);
  }
  return out;
}

} // namespace

TEST_CASE("a command line that names a noun gets that noun's branch, as the whole tree has it") {
  Context whole_ctx;
  CLI::App whole{"", "practice"};
  build_cli(whole, whole_ctx);
  const auto names = subcommand_names(whole);
  const auto listed = noun_names();
  CHECK(names == std::vector<std::string>(listed.begin(), listed.end()));
  for (const auto& noun : names) {
    INFO(noun);
    Context ctx;
    CLI::App app{"", "practice"};
    // Global options before the noun, one of them with a value that is a noun's name.
    const char* argv[] = {"practice", "--json", "--db", "account", noun.c_str(), "list"};
    build_cli(app, ctx, 6, argv);
    const auto got = subcommand_names(app);
    if (noun == "__complete") {
      CHECK(got == names); // completion walks the whole tree
      continue;
    }
    REQUIRE(std::find(got.begin(), got.end(), noun) != got.end());
    CHECK(got.size() < names.size());
    CHECK(all_help(*app.get_subcommand(noun)) == all_help(*whole.get_subcommand(noun)));
    CHECK(app.help() != whole.help()); // the root lists only this branch
  }
  for (const std::vector<const char*>& line : {std::vector<const char*>{"practice"},
                                               {"practice", "--help"},
                                               {"practice", "--db", "x.db"},
                                               {"practice", "acount", "list"},
                                               {"practice", "--", "account"}}) {
    Context ctx;
    CLI::App app{"", "practice"};
    build_cli(app, ctx, static_cast<int>(line.size()), line.data());
    CHECK(subcommand_names(app) == names);
    CHECK(app.help() == whole.help());
  }
}
