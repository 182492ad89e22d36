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

std::string render_mustache(std::string_view text, const nlohmann::json& data, Escape escape,
                            std::string_view origin) {
  mu::mustache tmpl{std::string(text)};
  if (!tmpl.is_valid()) {
    throw InvalidInput(fmt::format("{} is not a valid mustache template: {}", origin, tmpl.error_message()));
  }
  if (escape == Escape::none) {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  std::string out = tmpl.render(to_data(data));
  if (!tmpl.is_valid()) {
    throw InvalidInput(fmt::format("{} failed to render: {}", origin, tmpl.error_message()));
  }
  return out;
}

} // namespace practice::util
