#include "practice/util/sha256.hpp"
#include "practice/util/strings.hpp"

#include <catch2/catch.hpp>

using namespace practice::util;

TEST_CASE("edit distance ignores case") {
  CHECK(edit_distance("Smith", "smyth") == 1);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("closest match suggests near misses only") {
  const std::vector<std::string> names{"Smith", "Jones", "Acme Ltd"};
  CHECK(closest_match("Smyth", names) == std::optional<std::string>("Smith"));
  CHECK_FALSE(closest_match("Zebra", names));
}

TEST_CASE("integers parse whole or not at all") {
  CHECK(parse_int("42") == 42);
  CHECK(parse_int("-7") == -7);
  CHECK_FALSE(parse_int("4x"));
  CHECK_FALSE(parse_int(""));
  CHECK_FALSE(parse_int("99999999999999999999"));
}

TEST_CASE("switches read on/off and friends") {
  CHECK(parse_switch("on") == true);
  CHECK(parse_switch("OFF") == false);
  CHECK(parse_switch("yes") == true);
  CHECK_FALSE(parse_switch("maybe"));
}

TEST_CASE("counts group their thousands with commas") {
  CHECK(group_thousands(0) == "0");
  CHECK(group_thousands(999) == "999");
  CHECK(group_thousands(1000) == "1,000");
  CHECK(group_thousands(1234567) == "1,234,567");
  CHECK(group_thousands(-12345) == "-12,345");
  CHECK(group_thousands(INT64_MIN) == "-9,223,372,036,854,775,808");
}

TEST_CASE("SHA-256 matches the standard test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
