#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace practice::mail {

struct RenderedText {
  std::string subject;
  std::string body;
};

// Renders the mail template `name` (share/practice/templates/mail/NAME.mustache,
// built into the binary) with `data`. A file NAME.mustache in `override_dir`
// replaces the built-in one. A template's first line is "Subject: ...", then
// a blank line, then the body. Values are not HTML-escaped (mail is plain
// text). Throws NotFound for an unknown name, ConfigError for a broken
// override.
RenderedText render_mail_template(std::string_view name, const nlohmann::json& data,
                                  const std::optional<std::string>& override_dir);

// The names of the built-in templates.
std::vector<std::string> builtin_template_names();

} // namespace practice::mail
