#include "cli/app.hpp"

#include <catch2/catch.hpp>

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
