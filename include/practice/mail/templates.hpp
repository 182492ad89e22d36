#pragma once

#include "practice/i18n/catalogue.hpp"

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
// built into the binary) in language `lang` with `data`: its {{t:key}} texts
// come from that language's catalogue (i18n::localize). A file
// LANG/NAME.mustache or else NAME.mustache in `override_dir` replaces the
// built-in one. A template's first line is "Subject: ...", then a blank line,
// then the body. Values are not HTML-escaped (mail is plain text). Throws
// NotFound for an unknown name, ConfigError for a broken override.
RenderedText render_mail_template(std::string_view name, std::string_view lang, const nlohmann::json& data,
                                  const std::optional<std::string>& override_dir,
                                  i18n::Missing missing = i18n::Missing::english);

// The names of the built-in templates.
std::vector<std::string> builtin_template_names();

} // namespace practice::mail
