#include "practice/error.hpp"
#include "practice/util/validate.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::util;

TEST_CASE("valid email addresses") {
  for (const char* ok : {"alice@acme.test", "a.b+tax@example.co.uk", "x_y@sub-domain.example.org",
                         "O'Brien@example.ie"}) {
    INFO(ok);
    CHECK(is_valid_email(ok));
  }
}

TEST_CASE("invalid email addresses, including header and envelope injection") {
  for (const char* bad :
       {"", "alice", "alice@", "@acme.test", "alice@acme", "alice@@acme.test", "a b@acme.test",
        "alice@acme.test\r\nRCPT TO:<evil@x.test>", "alice@acme.test\n", "<alice@acme.test>",
        "\"alice\"@acme.test", "alice@-acme.test", "alice@acme..test", ".alice@acme.test",
        "alice.@acme.test", "al..ice@acme.test", "alice@acme.test>", "alice@ac_me.test"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_email(bad));
  }
  CHECK_FALSE(is_valid_email(std::string("alice@acme.test\0x", 17)));
}

TEST_CASE("require_email trims and lower-cases the domain only") {
  CHECK(require_email("email", "  Alice@ACME.Test ") == "Alice@acme.test");
  CHECK_THROWS_AS(require_email("email", "nope"), InvalidInput);
  CHECK_THROWS_AS(require_email("email", "alice@acme.test\r"), InvalidInput);
  CHECK_THROWS_AS(require_email("email", "\nalice@acme.test"), InvalidInput);
}

TEST_CASE("require_line refuses empty text, line breaks and control characters") {
  CHECK(require_line("name", "  Smith & Co  ") == "Smith & Co");
  CHECK_THROWS_AS(require_line("name", "   "), InvalidInput);
  CHECK_THROWS_AS(require_line("name", "two\nlines"), InvalidInput);
  CHECK_THROWS_AS(require_line("name", "Smith\n"), InvalidInput);
  CHECK_THROWS_AS(require_line("name", "bell\a"), InvalidInput);
  CHECK_THROWS_AS(require_line("name", std::string(201, 'x')), InvalidInput);
  CHECK(require_text("message", "two\nlines") == "two\nlines");
}

TEST_CASE("UTF-8 validation") {
  CHECK(is_valid_utf8("São Paulo, Ionuț, Città"));
  CHECK_FALSE(is_valid_utf8("\xc3"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate
  CHECK_FALSE(is_valid_utf8("\xff"));
}

TEST_CASE("require_line refuses Unicode line and paragraph separators and C1 controls") {
  const auto message = [](std::string_view value) {
    try {
      require_line("the title", value);
    } catch (const InvalidInput& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(message("Tax\u2028return") == "the title must not contain a line break");
  CHECK(message("Tax\u2029return") == "the title must not contain a line break");
  CHECK(message("Tax\u0085return") == "the title must not contain a line break"); // NEL
  CHECK(message("Tax\vreturn") == "the title must not contain a line break");
  CHECK(message("Tax\freturn") == "the title must not contain a line break");
  CHECK(message("Tax\u009breturn") == "the title must not contain control characters"); // CSI
  CHECK(message("Tax return\u2028") == "the title must not contain a line break");       // not trimmed away
  // Their neighbours are ordinary text: U+2027, U+202F, U+00A0, and letters.
  CHECK(message("Tax\u2027return\u202f\u00a0Ionescu, Ștefan") == "accepted");
  // Text (messages) may hold the separators, not C1 controls.
  CHECK(require_text("the message", "one\u2028two") == "one\u2028two");
  CHECK_THROWS_AS(require_text("the message", "one\u0085two"), InvalidInput);
}
