#include "practice/config/config.hpp"

#include "practice/error.hpp"
#include "practice/i18n/catalogue.hpp"
#include "practice/util/strings.hpp"
#include "practice/util/validate.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

namespace practice::config {

namespace {

enum class Type { string, integer, boolean, string_array };

struct Key {
  std::string_view name;
  Type type;
};

// Every key practice reads; anything else gets a warning.
constexpr Key k_keys[] = {
    {"user", Type::string},
    {"firm.name", Type::string},
    {"firm.email", Type::string},
    {"firm.notify", Type::string_array},
    {"firm.language", Type::string},
    {"mail.transport", Type::string},
    {"mail.dir", Type::string},
    {"smtp.url", Type::string},
    {"smtp.security", Type::string},
    {"smtp.username", Type::string},
    {"smtp.password_command", Type::string},
    {"smtp.password_env", Type::string},
    {"smtp.password", Type::string},
    {"smtp.ca_file", Type::string},
    {"smtp.timeout_seconds", Type::integer},
    {"smtp.connect_timeout_seconds", Type::integer},
    {"smtp.greeting_timeout_seconds", Type::integer},
    {"smtp.command_timeout_seconds", Type::integer},
    {"smtp.data_start_timeout_seconds", Type::integer},
    {"smtp.data_block_timeout_seconds", Type::integer},
    {"smtp.final_reply_timeout_seconds", Type::integer},
    {"smtp.connections", Type::integer},
    {"reminders.every_days", Type::integer},
    {"reminders.count", Type::integer},
    {"reminders.timezone", Type::string},
    {"reminders.business_days", Type::string_array},
    {"reminders.holidays_file", Type::string},
    {"reminders.send_window", Type::string},
    {"portal.base_url", Type::string},
    {"portal.link_expiry_days", Type::integer},
    {"portal.listen", Type::string},
    {"portal.trusted_proxies", Type::string_array},
    {"portal.threads", Type::integer},
    {"files.max_size_mb", Type::integer},
    {"database.url", Type::string},
    {"database.key_file", Type::string},
};

std::string_view type_name(Type t) {
  switch (t) {
  case Type::string:
    return "a string";
  case Type::integer:
    return "an integer";
  case Type::boolean:
    return "true or false";
  case Type::string_array:
    return "a list of strings";
  }
  return "a value";
}

class Reader {
public:
  Reader(const toml::table& root, std::string path) : m_root(root), m_path(std::move(path)) {}

  [[noreturn]] void fail(std::string_view key, std::string_view why) const {
    throw ConfigError(fmt::format("config key '{}' in {} {}", key, m_path, why));
  }

  const toml::node* node(std::string_view key, Type type) const {
    const toml::node* n = m_root.at_path(key).node();
    if (n == nullptr) {
      return nullptr;
    }
    bool ok = false;
    switch (type) {
    case Type::string:
      ok = n->is_string();
      break;
    case Type::integer:
      ok = n->is_integer();
      break;
    case Type::boolean:
      ok = n->is_boolean();
      break;
    case Type::string_array:
      ok = n->is_array() && n->as_array()->is_homogeneous(toml::node_type::string);
      ok = ok || (n->is_array() && n->as_array()->empty());
      break;
    }
    if (!ok) {
      fail(key, fmt::format("must be {}", type_name(type)));
    }
    return n;
  }

  void string(std::string_view key, std::optional<std::string>& out) const {
    if (const auto* n = node(key, Type::string)) {
      out = n->as_string()->get();
    }
  }

  void string(std::string_view key, std::string& out) const {
    if (const auto* n = node(key, Type::string)) {
      out = n->as_string()->get();
    }
  }

  void integer(std::string_view key, int& out, int64_t min, int64_t max) const {
    if (const auto* n = node(key, Type::integer)) {
      const int64_t v = n->as_integer()->get();
      if (v < min || v > max) {
        fail(key, fmt::format("must be between {} and {} (it is {})", min, max, v));
      }
      out = static_cast<int>(v);
    }
  }

  void strings(std::string_view key, std::vector<std::string>& out) const {
    if (const auto* n = node(key, Type::string_array)) {
      out.clear();
      for (const auto& el : *n->as_array()) {
        out.push_back(el.as_string()->get());
      }
    }
  }

  void one_of(std::string_view key, const std::optional<std::string>& value,
              std::initializer_list<std::string_view> allowed) const {
    if (!value) {
      return;
    }
    for (const auto a : allowed) {
      if (*value == a) {
        return;
      }
    }
    std::string list;
    for (const auto a : allowed) {
      list += fmt::format("{}\"{}\"", list.empty() ? "" : " or ", a);
    }
    fail(key, fmt::format("must be {} (it is \"{}\")", list, *value));
  }

  // A language client text is written in, kept as its code.
  void language(std::string_view key, std::optional<std::string>& out) const {
    std::optional<std::string> value;
    string(key, value);
    if (!value) {
      return;
    }
    out = i18n::parse_language(*value);
    if (!out) {
      fail(key, fmt::format("is not a language practice writes (\"{}\"; it writes {})", *value,
                            i18n::languages_text()));
    }
  }

  void email(std::string_view key, const std::optional<std::string>& value) const {
    if (value && !util::is_valid_email(*value)) {
      fail(key, fmt::format("is not a valid email address (\"{}\")", *value));
    }
  }

private:
  const toml::table& m_root;
  std::string m_path;
};

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// Why `url` is not smtp://HOST[:PORT] or smtps://HOST[:PORT] (a /path after
// is curl's HELO domain); empty when it is. The port is 1 to 65535.
std::string smtp_url_problem(std::string_view url) {
  const std::string scheme = util::to_lower(url.substr(0, std::min(url.size(), size_t{8})));
  std::string_view rest;
  if (scheme.rfind("smtp://", 0) == 0) {
    rest = url.substr(7);
  } else if (scheme.rfind("smtps://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return "must start with smtp:// or smtps://";
  }
  const size_t end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  const std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return "must not hold a user name or password (use smtp.username and smtp.password_command)";
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1 ||
        host.substr(1, close - 1).find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
      return "has a malformed IPv6 address (write one as [::1])";
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        return "has something after the host other than :PORT";
      }
      port = host.substr(close + 2);
      if (port.empty()) {
        return "has a colon but no port after it";
      }
    }
  } else {
    if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) {
        return "has a colon but no port after it";
      }
    }
    if (host.empty()) {
      return "names no host (it must be smtp://HOST[:PORT] or smtps://HOST[:PORT])";
    }
    if (!std::all_of(host.begin(), host.end(), is_host_char) || host.front() == '.' || host.front() == '-') {
      return "has a host name with characters a host name cannot have";
    }
  }
  if (!port.empty()) {
    const auto n = port.find_first_not_of("0123456789") == std::string_view::npos && port.size() <= 5
                       ? util::parse_int(port)
                       : std::nullopt;
    if (!n || *n < 1 || *n > 65535) {
      return "has a port that is not a number from 1 to 65535";
    }
  }
  if (!path.empty() && (path.front() != '/' || std::any_of(path.begin(), path.end(), [](char c) {
                          return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
                        }))) {
    return "has a query, a fragment or spaces after the host";
  }
  return {};
}

void collect_unknown(const toml::table& t, const std::string& prefix, const std::set<std::string>& known,
                     const std::string& path, std::vector<std::string>& warnings) {
  for (const auto& [k, v] : t) {
    const std::string full = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (known.count(full) != 0) {
      continue;
    }
    if (const auto* sub = v.as_table()) {
      bool is_section = false;
      for (const auto& name : known) {
        if (name.rfind(full + ".", 0) == 0) {
          is_section = true;
        }
      }
      if (is_section) {
        collect_unknown(*sub, full, known, path, warnings);
        continue;
      }
    }
    warnings.push_back(fmt::format("unknown config key '{}' in {} is ignored", full, path));
  }
}

} // namespace

namespace {

// Reads every key of `root`. Without `problems`, the first bad value throws
// ConfigError; with it, each bad value is noted there and reading goes on
// (config check), and unknown keys are problems too rather than warnings.
Config read_config(const toml::table& root, const std::string& path, std::vector<std::string>* problems) {
  Config c;
  c.path = path;
  const Reader r(root, path);
  const auto step = [problems](const auto& read) {
    if (problems == nullptr) {
      read();
      return;
    }
    try {
      read();
    } catch (const ConfigError& e) {
      problems->push_back(e.what());
    }
  };
  step([&] { r.string("user", c.user); });
  step([&] { r.string("firm.name", c.firm_name); });
  step([&] { r.string("firm.email", c.firm_email); });
  step([&] { r.email("firm.email", c.firm_email); });
  step([&] { r.strings("firm.notify", c.firm_notify); });
  step([&] { r.language("firm.language", c.firm_language); });
  for (const auto& a : c.firm_notify) {
    step([&] { r.email("firm.notify", a); });
  }
  step([&] { r.string("mail.transport", c.mail_transport); });
  step([&] { r.one_of("mail.transport", c.mail_transport, {"smtp", "file"}); });
  step([&] { r.string("mail.dir", c.mail_dir); });
  step([&] { r.string("smtp.url", c.smtp.url); });
  if (!c.smtp.url.empty()) {
    if (const std::string why = smtp_url_problem(c.smtp.url); !why.empty()) {
      step([&] { r.fail("smtp.url", fmt::format("{}; it is \"{}\"", why, c.smtp.url)); });
    }
  }
  step([&] { r.string("smtp.security", c.smtp.security); });
  step([&] { r.one_of("smtp.security", c.smtp.security, {"starttls", "tls", "none"}); });
  step([&] { r.string("smtp.username", c.smtp.username); });
  step([&] { r.string("smtp.password_command", c.smtp.password_command); });
  step([&] { r.string("smtp.password_env", c.smtp.password_env); });
  step([&] { r.string("smtp.password", c.smtp.password); });
  step([&] { r.string("smtp.ca_file", c.smtp.ca_file); });
  step([&] { r.integer("smtp.timeout_seconds", c.smtp.timeout_seconds, 1, 3600); });
  step([&] { r.integer("smtp.connect_timeout_seconds", c.smtp.connect_timeout_seconds, 1, 600); });
  step([&] { r.integer("smtp.greeting_timeout_seconds", c.smtp.greeting_timeout_seconds, 1, 3600); });
  step([&] { r.integer("smtp.command_timeout_seconds", c.smtp.command_timeout_seconds, 1, 3600); });
  step([&] { r.integer("smtp.data_start_timeout_seconds", c.smtp.data_start_timeout_seconds, 1, 3600); });
  step([&] { r.integer("smtp.data_block_timeout_seconds", c.smtp.data_block_timeout_seconds, 1, 3600); });
  step([&] { r.integer("smtp.final_reply_timeout_seconds", c.smtp.final_reply_timeout_seconds, 1, 3600); });
  step([&] { r.integer("smtp.connections", c.smtp.connections, 1, 16); });
  step([&] { r.integer("reminders.every_days", c.reminders.every_days, 1, 365); });
  step([&] { r.integer("reminders.count", c.reminders.count, 0, 100); });
  step([&] { r.string("reminders.timezone", c.reminders.timezone); });
  step([&] { r.strings("reminders.business_days", c.reminders.business_days); });
  step([&] { r.string("reminders.holidays_file", c.reminders.holidays_file); });
  step([&] { r.string("reminders.send_window", c.reminders.send_window); });
  step([&] { r.string("portal.base_url", c.portal_base_url); });
  step([&] { r.integer("portal.link_expiry_days", c.portal_link_expiry_days, 0, 3650); });
  step([&] { r.string("portal.listen", c.portal_listen); });
  step([&] { r.strings("portal.trusted_proxies", c.portal_trusted_proxies); });
  step([&] { r.integer("portal.threads", c.portal_threads, 1, 64); });
  if (c.portal_base_url && !c.portal_base_url->empty() && c.portal_base_url->rfind("https://", 0) != 0 &&
      c.portal_base_url->rfind("http://", 0) != 0) {
    step([&] { r.fail("portal.base_url", "must start with https:// (or http:// for a test set-up)"); });
  }
  step([&] { r.integer("files.max_size_mb", c.files_max_size_mb, 1, 10240); });
  step([&] { r.string("database.url", c.database_url); });
  step([&] { r.string("database.key_file", c.database_key_file); });
  if (c.database_url && c.database_url->rfind("postgresql://", 0) != 0 && c.database_url->rfind("postgres://", 0) != 0) {
    step([&] { r.fail("database.url", "must start with postgresql:// (a SQLite file is named with --db or PRACTICE_DB)"); });
  }
  if (c.mail_transport == "smtp" && c.smtp.url.empty()) {
    step([&] { r.fail("smtp.url", "must be set when mail.transport is \"smtp\""); });
  }
  std::set<std::string> known;
  for (const auto& k : k_keys) {
    known.emplace(k.name);
  }
  collect_unknown(root, "", known, path, c.warnings);
  if (problems != nullptr) {
    problems->insert(problems->end(), c.warnings.begin(), c.warnings.end());
  }
  return c;
}

toml::table parse_toml(std::string_view text, const std::string& path) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{} line {}: {}", path, e.source().begin.line, e.description()));
  }
}

} // namespace

Config parse_config(std::string_view text, const std::string& path) {
  return read_config(parse_toml(text, path), path, nullptr);
}

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ConfigError unreadable(const std::string& path) {
  return ConfigError(fmt::format("cannot read the config file {}", path),
                     "check the path given with --config or PRACTICE_CONFIG");
}

// A password only in a file no one else can read.
void check_private(const Config& c, const std::string& path) {
  if (c.smtp.password) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      throw ConfigError(
          fmt::format("{} holds smtp.password but other users can read it", path),
          fmt::format("run 'chmod 600 {}', or use password_command or password_env instead", path));
    }
  }
}

// The value practice uses for `key` in `c`, as JSON.
nlohmann::json value_of(const Config& c, std::string_view key) {
  using nlohmann::json;
  const auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  const std::map<std::string_view, json> values = {
      {"user", opt(c.user)},
      {"firm.name", opt(c.firm_name)},
      {"firm.email", opt(c.firm_email)},
      {"firm.notify", c.firm_notify},
      {"firm.language", opt(c.firm_language)},
      {"mail.transport", opt(c.mail_transport)},
      {"mail.dir", c.mail_dir},
      {"smtp.url", c.smtp.url},
      {"smtp.security", c.smtp.security},
      {"smtp.username", opt(c.smtp.username)},
      {"smtp.password_command", opt(c.smtp.password_command)},
      {"smtp.password_env", opt(c.smtp.password_env)},
      {"smtp.password", c.smtp.password ? json("(hidden)") : json(nullptr)},
      {"smtp.ca_file", opt(c.smtp.ca_file)},
      {"smtp.timeout_seconds", c.smtp.timeout_seconds},
      {"smtp.connect_timeout_seconds", c.smtp.connect_timeout_seconds},
      {"smtp.greeting_timeout_seconds", c.smtp.greeting_timeout_seconds},
      {"smtp.command_timeout_seconds", c.smtp.command_timeout_seconds},
      {"smtp.data_start_timeout_seconds", c.smtp.data_start_timeout_seconds},
      {"smtp.data_block_timeout_seconds", c.smtp.data_block_timeout_seconds},
      {"smtp.final_reply_timeout_seconds", c.smtp.final_reply_timeout_seconds},
      {"smtp.connections", c.smtp.connections},
      {"reminders.every_days", c.reminders.every_days},
      {"reminders.count", c.reminders.count},
      {"reminders.timezone", opt(c.reminders.timezone)},
      {"reminders.business_days", c.reminders.business_days},
      {"reminders.holidays_file", opt(c.reminders.holidays_file)},
      {"reminders.send_window", opt(c.reminders.send_window)},
      {"portal.base_url", opt(c.portal_base_url)},
      {"portal.link_expiry_days", c.portal_link_expiry_days},
      {"portal.listen", c.portal_listen},
      {"portal.trusted_proxies", c.portal_trusted_proxies},
      {"portal.threads", c.portal_threads},
      {"files.max_size_mb", c.files_max_size_mb},
      {"database.url", opt(c.database_url)},
      {"database.key_file", opt(c.database_key_file)},
  };
  const auto it = values.find(key);
  return it == values.end() ? json(nullptr) : it->second;
}

} // namespace

Config load_config(const std::string& path, MissingFile missing) {
  const auto text = read_file(path);
  if (!text) {
    if (missing == MissingFile::defaults) {
      return Config{};
    }
    throw unreadable(path);
  }
  Config c = parse_config(*text, path);
  check_private(c, path);
  return c;
}

std::vector<std::string> check_config(const std::string& path, MissingFile missing) {
  const auto text = read_file(path);
  if (!text) {
    if (missing == MissingFile::defaults) {
      return {};
    }
    return {unreadable(path).what()};
  }
  std::vector<std::string> problems;
  try {
    const Config c = read_config(parse_toml(*text, path), path, &problems);
    check_private(c, path);
  } catch (const ConfigError& e) {
    problems.push_back(e.what());
  }
  return problems;
}

std::vector<Setting> describe_config(const std::string& path, MissingFile missing) {
  const auto text = read_file(path);
  if (!text && missing == MissingFile::error) {
    throw unreadable(path);
  }
  const toml::table root = text ? parse_toml(*text, path) : toml::table{};
  const Config c = text ? read_config(root, path, nullptr) : Config{};
  if (text) {
    check_private(c, path);
  }
  std::vector<Setting> out;
  for (const auto& k : k_keys) {
    Setting s;
    s.key = std::string(k.name);
    s.value = value_of(c, k.name);
    s.secret = k.name == "smtp.password";
    if (const toml::node* n = root.at_path(k.name).node()) {
      s.source = fmt::format("{} line {}", path, n->source().begin.line);
    } else {
      s.source = "default";
    }
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace practice::config
