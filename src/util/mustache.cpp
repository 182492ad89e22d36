#include "practice/util/mustache.hpp"

#include "practice/error.hpp"

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

namespace practice::util {

namespace {

namespace mu = kainjow::mustache;

mu::data to_data(const nlohmann::json& j) {
  if (j.is_object()) {
    mu::data d{mu::data::type::object};
    for (const auto& [k, v] : j.items()) {
      d.set(k, to_data(v));
    }
    return d;
  }
  if (j.is_array()) {
    mu::data list{mu::data::type::list};
    for (const auto& v : j) {
      list.push_back(to_data(v));
    }
    return list;
  }
  if (j.is_string()) {
    return mu::data{j.get<std::string>()};
  }
  if (j.is_boolean()) {
    return mu::data{j.get<bool>()};
  }
  if (j.is_null()) {
    return mu::data{false};
  }
  return mu::data{j.dump()};
}

} // namespace

struct MustacheTemplate::Parsed {
  Parsed(std::string_view text, std::string_view from) : tmpl(std::string(text)), origin(from) {}
  mu::mustache tmpl; // built in place: never moved
  std::string origin;
};

MustacheTemplate::MustacheTemplate(std::string_view text, Escape escape, std::string_view origin)
    : m_parsed(std::make_unique<Parsed>(text, origin)) {
  if (!m_parsed->tmpl.is_valid()) {
    throw InvalidInput(
        fmt::format("{} is not a valid mustache template: {}", origin, m_parsed->tmpl.error_message()));
  }
  if (escape == Escape::none) {
    m_parsed->tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
}

MustacheTemplate::MustacheTemplate(MustacheTemplate&&) noexcept = default;
MustacheTemplate& MustacheTemplate::operator=(MustacheTemplate&&) noexcept = default;
MustacheTemplate::~MustacheTemplate() = default;

std::string MustacheTemplate::render(const nlohmann::json& data) {
  std::string out = m_parsed->tmpl.render(to_data(data));
  if (!m_parsed->tmpl.is_valid()) {
    throw InvalidInput(fmt::format("{} failed to render: {}", m_parsed->origin, m_parsed->tmpl.error_message()));
  }
  return out;
}

std::string render_mustache(std::string_view text, const nlohmann::json& data, Escape escape,
                            std::string_view origin) {
  return MustacheTemplate(text, escape, origin).render(data);
}

} // namespace practice::util
