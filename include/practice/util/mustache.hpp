#pragma once

#include <nlohmann/json.hpp>

#include <memory>
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

// A template parsed once and rendered many times (the portal's pages: parsing
// was a third of a page view). Rendering keeps state in it, so each thread
// keeps its own. Throws InvalidInput naming `origin` as render_mustache does.
class MustacheTemplate {
public:
  MustacheTemplate(std::string_view text, Escape escape, std::string_view origin);
  MustacheTemplate(MustacheTemplate&&) noexcept;
  MustacheTemplate& operator=(MustacheTemplate&&) noexcept;
  ~MustacheTemplate();

  std::string render(const nlohmann::json& data);

private:
  struct Parsed;
  std::unique_ptr<Parsed> m_parsed;
};

} // namespace practice::util
