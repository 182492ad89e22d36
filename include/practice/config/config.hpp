#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace practice::config {

struct SmtpConfig {
  std::string url;
  std::string security = "starttls"; // "starttls" | "tls" | "none"
  std::optional<std::string> username;
  std::optional<std::string> password_command;
  std::optional<std::string> password_env;
  std::optional<std::string> password; // only from a file no one else can read
  std::optional<std::string> ca_file;  // a private CA to trust (tests, in-house relays)
  // How long to wait at each stage of an SMTP conversation; the defaults are
  // RFC 5321 §4.5.3.2's (a shorter wait after the final dot risks sending
  // a message twice).
  int connect_timeout_seconds = 10;
  int greeting_timeout_seconds = 300;
  int command_timeout_seconds = 300;     // EHLO, STARTTLS, AUTH, MAIL, RCPT
  int data_start_timeout_seconds = 120;  // the reply to DATA
  int data_block_timeout_seconds = 180;  // the server taking each block of the message
  int final_reply_timeout_seconds = 600; // the reply after the final dot
  int timeout_seconds = 0; // the old single limit: when set (> 0), every reply wait, replacing the four above
  int connections = 4; // messages in flight at once, each on its own connection
};

struct ReminderConfig {
  int every_days = 3;
  int count = 1;
  std::optional<std::string> timezone;
  std::vector<std::string> business_days;
  std::optional<std::string> holidays_file;
  std::optional<std::string> send_window;
};

// config.toml, with defaults for everything that is not set.
struct Config {
  std::string path; // the file it came from; empty when defaults only
  std::optional<std::string> user;
  std::optional<std::string> firm_name;
  std::optional<std::string> firm_email;
  std::vector<std::string> firm_notify;
  std::optional<std::string> firm_language; // client text's language unless the firm record or a contact says
  std::optional<std::string> mail_transport; // "smtp" | "file"; none: mail stays queued
  std::string mail_dir = "outbox-mail";
  SmtpConfig smtp;
  ReminderConfig reminders;
  std::optional<std::string> portal_base_url;
  int portal_link_expiry_days = 0; // 0: links last while the request awaits the client
  std::string portal_listen = "127.0.0.1:8080";
  std::vector<std::string> portal_trusted_proxies = {"127.0.0.1", "::1"};
  int portal_threads = 4;
  std::optional<std::string> database_url;      // a shared PostgreSQL server instead of the SQLite file
  std::optional<std::string> database_key_file; // the link key on PostgreSQL (never in the database)
  int files_max_size_mb = 25; // uploads and documents
  std::vector<std::string> warnings; // unknown keys, one sentence each
};

// Parses TOML text read from `path` (used in messages). Throws ConfigError
// naming the key and the file for a wrong type or value, or a syntax error.
Config parse_config(std::string_view text, const std::string& path);

enum class MissingFile { defaults, error };

// Loads `path`; a missing file means defaults or ConfigError as told. A
// `smtp.password` key is refused unless the file is private (0600 or stricter).
Config load_config(const std::string& path, MissingFile missing);

// Every problem of the config at `path`, one sentence each, naming the key
// and file: bad values, unknown keys, a syntax error, a readable password.
// Empty when it is fine (or missing and `missing` says defaults).
std::vector<std::string> check_config(const std::string& path, MissingFile missing);

// One key practice reads, with the value it uses and where that came from.
struct Setting {
  std::string key;
  nlohmann::json value;  // null: not set; a secret is "(hidden)", never its value
  std::string source;    // "PATH line N" or "default"
  bool secret = false;
};
// Every key, in the order of practice.toml(5); throws ConfigError as load_config does.
std::vector<Setting> describe_config(const std::string& path, MissingFile missing);

} // namespace practice::config
