#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace practice::util {

enum class Escape { none, html };

// Renders the mustache template `text` with `data` (objects, arrays,
// strings, booleans; null is false). With Escape::html, {{x}} is HTML-escaped
// and {{{x}}} is not. Throws InvalidInput naming `origin` when the template is
// broken.
std::string render_mustache(std::string_view text, const nlohmann::json& data, Escape escape,
                            std::string_view origin);

} // namespace practice::util
