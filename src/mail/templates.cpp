#include "practice/mail/templates.hpp"

#include "practice/error.hpp"
#include "practice/util/mustache.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace practice::mail {

// Generated at configure time from share/practice/templates/mail/ (see src/CMakeLists.txt).
std::optional<std::string_view> builtin_mail_template(std::string_view name);
std::vector<std::string> builtin_mail_template_names();

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

RenderedText render_mail_template(std::string_view name, const nlohmann::json& data,
                                  const std::optional<std::string>& override_dir) {
  std::string source;
  std::string origin;
  if (override_dir) {
    const std::string path = fmt::format("{}/{}.mustache", *override_dir, name);
    if (auto text = read_file(path)) {
      source = std::move(*text);
      origin = path;
    }
  }
  if (origin.empty()) {
    const auto builtin = builtin_mail_template(name);
    if (!builtin) {
      throw NotFound(fmt::format("no mail template named \"{}\"", name));
    }
    source = std::string(*builtin);
    origin = fmt::format("the built-in template {}", name);
  }
  // The subject line and the body are rendered apart, so a value with a line
  // break cannot move text from one to the other (render() then refuses it).
  static constexpr std::string_view k_subject = "Subject:";
  const size_t eol = source.find('\n');
  if (source.compare(0, k_subject.size(), k_subject) != 0 || eol == std::string::npos) {
    throw ConfigError(fmt::format("{} must start with a \"Subject: ...\" line", origin));
  }
  size_t body_start = eol + 1;
  if (source.compare(body_start, 1, "\n") == 0) {
    ++body_start;
  } else if (source.compare(body_start, 2, "\r\n") == 0) {
    body_start += 2;
  }
  const auto render_part = [&](const std::string& part) {
    try {
      return util::render_mustache(part, data, util::Escape::none, origin);
    } catch (const InvalidInput& e) {
      throw ConfigError(e.what());
    }
  };
  RenderedText out;
  std::string subject = render_part(source.substr(k_subject.size(), eol - k_subject.size()));
  const size_t first = subject.find_first_not_of(" \t");
  const size_t last = subject.find_last_not_of(" \t\r");
  out.subject = first == std::string::npos ? std::string() : subject.substr(first, last - first + 1);
  out.body = render_part(source.substr(body_start));
  return out;
}

std::vector<std::string> builtin_template_names() { return builtin_mail_template_names(); }

} // namespace practice::mail
