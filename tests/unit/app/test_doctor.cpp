#include "practice/app/doctor.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

using namespace practice;

TEST_CASE("doctor --mail: no transport, a file folder that cannot be written, a bad SMTP URL each fail with a reason") {
  config::Config c;
  auto none = app::check_mail(c, "/tmp", "acme.test");
  CHECK_FALSE(none.ok);
  CHECK(none.kind == ErrorKind::mail_unavailable);
  CHECK(none.detail.find("no [mail] transport") != std::string::npos);

  c.mail_transport = "file";
  c.mail_dir = "/nonexistent/practice-mail";
  auto file = app::check_mail(c, "/tmp", "acme.test");
  CHECK_FALSE(file.ok);
  CHECK(file.detail.find("/nonexistent/practice-mail") != std::string::npos);
  const auto dir = std::filesystem::temp_directory_path() / ("practice-doctor-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  c.mail_dir = dir.string();
  CHECK(app::check_mail(c, "/tmp", "acme.test").ok);
  std::filesystem::remove_all(dir);

  c.mail_transport = "smtp";
  c.smtp.url = "http://mail.acme.test";
  auto url = app::check_mail(c, "/tmp", "acme.test");
  CHECK_FALSE(url.ok);
  CHECK(url.kind == ErrorKind::config);
  CHECK(url.detail.find("smtp://") != std::string::npos);
}
