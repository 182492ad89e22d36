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

// A section that renders nothing still leaves its line break (kainjow keeps
// a standalone tag's newline when the section is false), so an email without
// a message or options would have gaps of two or three blank lines: each run
// of blank lines becomes one.
// (Line ends become LF here; render() writes them as CRLF.)
std::string fold_blank_lines(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t newlines = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      continue;
    }
    newlines = text[i] == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) {
      out += text[i];
    }
  }
  return out;
}

} // namespace

RenderedText render_mail_template(std::string_view name, std::string_view lang, const nlohmann::json& data,
                                  const std::optional<std::string>& override_dir, i18n::Missing missing) {
  std::string source;
  std::string origin;
  if (override_dir) {
    for (const auto& path : {fmt::format("{}/{}/{}.mustache", *override_dir, lang, name),
                             fmt::format("{}/{}.mustache", *override_dir, name)}) {
      if (auto text = read_file(path)) {
        source = std::move(*text);
        origin = path;
        break;
      }
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
  source = i18n::localize(source, lang, origin, missing);
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
  out.body = fold_blank_lines(render_part(source.substr(body_start)));
  return out;
}

std::vector<std::string> builtin_template_names() { return builtin_mail_template_names(); }

} // namespace practice::mail
