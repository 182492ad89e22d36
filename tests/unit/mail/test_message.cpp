#include "../support/db.hpp"

#include "practice/error.hpp"
#include "practice/mail/message.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::mail;

namespace {

Message sample() {
  Message m;
  m.from = {"Acme CPA", "office@acme.test"};
  m.to = {"Maria Ionescu", "maria@ionescu.test"};
  m.subject = "Missing receipts";
  m.body = "Hello\nWorld\n";
  m.message_id = "<abc@acme.test>";
  m.date = test::at("2026-03-01T09:00:00Z");
  return m;
}

} // namespace

TEST_CASE("a message has the required headers and CRLF line endings only") {
  const std::string raw = render(sample());
  CHECK(raw.find("Date: Sun, 01 Mar 2026 09:00:00 +0000\r\n") == 0);
  CHECK(raw.find("From: \"Acme CPA\" <office@acme.test>\r\n") != std::string::npos);
  CHECK(raw.find("To: \"Maria Ionescu\" <maria@ionescu.test>\r\n") != std::string::npos);
  CHECK(raw.find("Message-ID: <abc@acme.test>\r\n") != std::string::npos);
  CHECK(raw.find("MIME-Version: 1.0\r\n") != std::string::npos);
  CHECK(raw.find("\r\n\r\nHello\r\nWorld\r\n") != std::string::npos);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\n') {
      REQUIRE(i > 0);
      CHECK(raw[i - 1] == '\r');
    }
    if (raw[i] == '\r') {
      CHECK(raw[i + 1] == '\n');
    }
  }
}

TEST_CASE("header injection is refused") {
  for (const char* bad : {"Hi\r\nBcc: evil@x.test", "Hi\nBcc: evil@x.test", "trailing\n", "a\rb"}) {
    Message m = sample();
    m.subject = bad;
    CHECK_THROWS_AS(render(m), InvalidInput);
    m = sample();
    m.to.name = bad;
    CHECK_THROWS_AS(render(m), InvalidInput);
  }
  Message m = sample();
  m.to.email = "maria@ionescu.test>\r\nRCPT TO:<evil@x.test";
  CHECK_THROWS_AS(render(m), InvalidInput);
  m = sample();
  m.subject = std::string("nul\0here", 8);
  CHECK_THROWS_AS(render(m), InvalidInput);
  m = sample();
  m.extra_headers = {{"Bcc: x", "y"}};
  CHECK_THROWS_AS(render(m), InvalidInput);
}

TEST_CASE("non-ASCII header text becomes RFC 2047 words of at most 75 characters") {
  const std::string encoded = encode_header_text("Recibos médicos em falta — Ionuț, città, 日本語のテキスト 🎉", 9);
  CHECK(encoded.find("=?UTF-8?B?") == 0);
  size_t pos = 0;
  while ((pos = encoded.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const size_t end = encoded.find("?=", pos + 10);
    REQUIRE(end != std::string::npos);
    CHECK(end + 2 - pos <= 75);
    pos = end;
  }
  // Each folded line stays within 78 characters.
  size_t start = 0;
  while (start < encoded.size()) {
    size_t eol = encoded.find("\r\n", start);
    if (eol == std::string::npos) {
      eol = encoded.size();
    }
    CHECK(eol - start + (start == 0 ? 9 : 0) <= 78);
    start = eol + 2;
  }
}

TEST_CASE("text that looks like an encoded word is encoded itself") {
  CHECK(encode_header_text("=?UTF-8?Q?=0A?=Bcc:", 9).find("=?UTF-8?B?") == 0);
}

TEST_CASE("long ASCII subjects fold at spaces") {
  const std::string s(40, 'a');
  const std::string folded = encode_header_text(s + " " + s + " " + s, 9);
  CHECK(folded.find("\r\n ") != std::string::npos);
}

TEST_CASE("quoted-printable keeps lines short and encodes what it must") {
  CHECK(quoted_printable("a=b") == "a=3Db\r\n");
  CHECK(quoted_printable("trailing space \nx") == "trailing space=20\r\nx\r\n");
  CHECK(quoted_printable("é") == "=C3=A9\r\n");
  CHECK(quoted_printable(".\n..x\n") == ".\r\n..x\r\n");
  const std::string long_line(1000, 'x');
  const std::string qp = quoted_printable(long_line);
  size_t start = 0;
  while (start < qp.size()) {
    const size_t eol = qp.find("\r\n", start);
    CHECK(eol - start <= 76);
    start = eol + 2;
  }
}

TEST_CASE("bare CR and LF are normalised to CRLF") {
  CHECK(normalize_newlines("a\nb\rc\r\nd") == "a\r\nb\r\nc\r\nd");
}

TEST_CASE("Message-IDs are 128 random bits at the firm's domain") {
  const std::string a = new_message_id("acme.test");
  const std::string b = new_message_id("acme.test");
  CHECK(a != b);
  CHECK(a.front() == '<');
  CHECK(a.size() == 1 + 26 + 1 + 9 + 1);
  CHECK(a.find("@acme.test>") != std::string::npos);
}

TEST_CASE("with_date re-dates a message and touches nothing else") {
  const std::string raw = render(sample());
  const std::string later = with_date(raw, test::at("2026-03-05T14:30:00Z"));
  CHECK(later.find("Date: Thu, 05 Mar 2026 14:30:00 +0000\r\n") == 0);
  CHECK(later.size() == raw.size()); // the date has a fixed width
  CHECK(later.substr(later.find("\r\n")) == raw.substr(raw.find("\r\n")));
  CHECK(with_date(later, test::at("2026-03-01T09:00:00Z")) == raw);
  // A "Date:" in the body is not a header.
  const std::string no_date = "Subject: x\r\n\r\nDate: in the body\r\n";
  CHECK(with_date(no_date, test::at("2026-03-01T09:00:00Z")) ==
        "Date: Sun, 01 Mar 2026 09:00:00 +0000\r\nSubject: x\r\n\r\nDate: in the body\r\n");
  // Anywhere in the header block, any letter case, folded or not.
  CHECK(with_date("Subject: x\r\nDATE: Mon,\r\n 02 Mar 2026 00:00:00 +0000\r\nTo: a@b.test\r\n\r\nbody",
                  test::at("2026-03-01T09:00:00Z")) ==
        "Subject: x\r\nDate: Sun, 01 Mar 2026 09:00:00 +0000\r\nTo: a@b.test\r\n\r\nbody");
}

TEST_CASE("a message says its body's language when it has one, and only a language tag") {
  Message m = sample();
  CHECK(render(m).find("Content-Language") == std::string::npos);
  m.language = "pt";
  m.subject = "Recibos médicos";
  const std::string raw = render(m);
  CHECK(raw.find("Content-Transfer-Encoding: quoted-printable\r\nContent-Language: pt\r\n\r\n") != std::string::npos);
  CHECK(raw.find("Subject: =?UTF-8?B?") != std::string::npos);
  m.language = "pt\r\nBcc: evil@x.test";
  CHECK_THROWS_AS(render(m), InvalidInput);
}
