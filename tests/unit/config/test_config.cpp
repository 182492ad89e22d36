#include "practice/config/config.hpp"
#include "practice/error.hpp"

#include <catch2/catch.hpp>

using namespace practice;
using namespace practice::config;

TEST_CASE("an empty config means defaults") {
  const Config c = parse_config("", "config.toml");
  CHECK_FALSE(c.user);
  CHECK(c.reminders.every_days == 3);
  CHECK(c.reminders.count == 1);
  CHECK_FALSE(c.mail_transport);
  CHECK(c.warnings.empty());
}

TEST_CASE("the documented keys are read") {
  const Config c = parse_config(R"(
user = "alice@acme.test"
[firm]
name = "Acme CPA"
email = "office@acme.test"
notify = ["office@acme.test", "bob@acme.test"]
[mail]
transport = "file"
dir = "mail"
[smtp]
url = "smtp://127.0.0.1:2525"
security = "none"
timeout_seconds = 5
[reminders]
every_days = 2
count = 3
[portal]
base_url = "https://portal.acme.test"
)",
                                "c.toml");
  CHECK(c.user == std::optional<std::string>("alice@acme.test"));
  CHECK(c.firm_name == std::optional<std::string>("Acme CPA"));
  CHECK(c.firm_notify.size() == 2);
  CHECK(c.mail_transport == std::optional<std::string>("file"));
  CHECK(c.mail_dir == "mail");
  CHECK(c.smtp.security == "none");
  CHECK(c.smtp.timeout_seconds == 5);
  CHECK(c.reminders.every_days == 2);
  CHECK(c.reminders.count == 3);
  CHECK(c.portal_base_url == std::optional<std::string>("https://portal.acme.test"));
}

TEST_CASE("unknown keys warn, naming key and file") {
  const Config c = parse_config("colour = true\n[smtp]\nurll = \"x\"\n[extra]\na = 1\n", "c.toml");
  REQUIRE(c.warnings.size() == 3);
  CHECK(c.warnings[0].find("'colour'") != std::string::npos);
  CHECK(c.warnings[0].find("c.toml") != std::string::npos);
}

TEST_CASE("wrong types and values are configuration errors naming the key and file") {
  const auto message = [](const char* text) {
    try {
      parse_config(text, "/etc/c.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("[reminders]\nevery_days = \"3\"\n").find("'reminders.every_days' in /etc/c.toml must be an integer") != std::string::npos);
  CHECK(message("[reminders]\nevery_days = 0\n").find("between 1 and 365") != std::string::npos);
  CHECK(message("[mail]\ntransport = \"pigeon\"\n").find("'mail.transport'") != std::string::npos);
  CHECK(message("[firm]\nemail = \"not an address\"\n").find("'firm.email'") != std::string::npos);
  CHECK(message("[mail]\ntransport = \"smtp\"\n").find("'smtp.url'") != std::string::npos);
  CHECK(message("user = [1]\n").find("'user'") != std::string::npos);
  CHECK(message("this is not toml").find("/etc/c.toml line 1") != std::string::npos);
}

TEST_CASE("smtp.url must be smtp:// or smtps://, a host and a port from 1 to 65535") {
  const auto message = [](const std::string& url) {
    try {
      parse_config("[smtp]\nurl = \"" + url + "\"\n", "/etc/c.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  for (const char* ok : {"smtp://mail.acme.test:587", "smtps://mail.acme.test", "SMTP://127.0.0.1:25",
                         "smtp://[::1]:2525", "smtp://mail.acme.test:587/acme.test", "smtp://localhost:65535"}) {
    INFO(ok);
    CHECK(message(ok) == "accepted");
  }
  for (const char* bad : {"gopher://mail.acme.test", "mail.acme.test:587", "smtp:/mail.acme.test", "smtp://",
                          "smtp://:587", "smtp://mail.acme.test:", "smtp://mail.acme.test:0",
                          "smtp://mail.acme.test:65536", "smtp://mail.acme.test:58x", "smtp://mail.acme.test:-1",
                          "smtp://user:pw@mail.acme.test", "smtp://mail acme.test", "smtp://[::1", "smtp://[]:25",
                          "smtp://mail.acme.test?x=1", "http://mail.acme.test"}) {
    INFO(bad);
    const auto m = message(bad);
    CHECK(m.find("config key 'smtp.url' in /etc/c.toml") != std::string::npos);
    CHECK(m.find(bad) != std::string::npos);
  }
  // Unset is fine until the smtp transport needs it.
  CHECK(message("") == "accepted");
}
