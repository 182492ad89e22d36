#include "json_csv.hpp"

#include "practice/util/csv.hpp"

#include <algorithm>
#include <cctype>
#include <array>
#include <string_view>
#include <unordered_map>

namespace practice::cli {

using json = nlohmann::ordered_json;

namespace {

std::string compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool has(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && !it->is_null();
}

// What stands for an object in a joined array: the field a reader knows it by.
std::string label(const json& object) {
  for (const std::string_view key : std::array<std::string_view, 3>{"email", "name", "prompt"}) {
    if (has(object, key)) {
      return csv_field(object.at(key));
    }
  }
  if (has(object, "kind") && has(object, "id")) {
    return csv_field(object.at("kind")) + " " + csv_field(object.at("id"));
  }
  if (has(object, "id")) {
    return csv_field(object.at("id"));
  }
  return compact(object);
}

// A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or carriage
// return) as a formula, and text clients write (a disapproval reason, a name)
// must not become one: such a cell gets a leading apostrophe, as OWASP's CSV
// injection advice has it. Plain numbers written as text ("-12.50") stay.
std::string spreadsheet_safe(const std::string& s) {
  if (s.empty() || std::string_view("=+-@\t\r").find(s.front()) == std::string_view::npos) {
    return s;
  }
  const bool number = s.size() > 1 && s.find_first_not_of("0123456789.", 1) == std::string::npos &&
                      (s.front() == '-' || s.front() == '+') && std::isdigit(static_cast<unsigned char>(s[1]));
  return number ? s : "'" + s;
}

} // namespace

std::string csv_field(const json& value) {
  switch (value.type()) {
  case json::value_t::null:
  case json::value_t::discarded:
    return {};
  case json::value_t::boolean:
    return value.get<bool>() ? "true" : "false";
  case json::value_t::string:
    return spreadsheet_safe(value.get_ref<const std::string&>());
  case json::value_t::array: {
    std::string out;
    bool first = true;
    for (const auto& element : value) {
      if (!first) {
        out += "; ";
      }
      first = false;
      out += element.is_object() ? label(element) : element.is_array() ? compact(element) : csv_field(element);
    }
    return out;
  }
  case json::value_t::object:
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float:
  case json::value_t::binary:
    break;
  }
  return compact(value);
}

void JsonCsv::merge(Column& column, const std::string& path, const json& value, Cells& cells) {
  if (value.is_object()) {
    for (const auto& [key, child_value] : value.items()) {
      auto child = std::find_if(column.children.begin(), column.children.end(),
                                [&](const Column& c) { return c.key == key; });
      if (child == column.children.end()) {
        column.children.push_back(Column{key, false, {}});
        child = column.children.end() - 1;
      }
      merge(*child, path.empty() ? key : path + "." + key, child_value, cells);
    }
    return;
  }
  if (value.is_null()) {
    return;
  }
  column.scalar = true;
  cells.emplace_back(path, csv_field(value));
}

void JsonCsv::paths(const Column& column, const std::string& path, std::vector<std::string>& out) {
  if (column.scalar || column.children.empty()) {
    out.push_back(path);
  }
  for (const auto& child : column.children) {
    paths(child, path + "." + child.key, out);
  }
}

void JsonCsv::add(const json& row) {
  Cells cells;
  merge(m_root, "", row.is_object() ? row : json{{"value", row}}, cells);
  m_rows.push_back(std::move(cells));
}

std::string JsonCsv::text() const {
  if (m_rows.empty()) {
    return {};
  }
  std::vector<std::string> header;
  for (const auto& column : m_root.children) {
    paths(column, column.key, header);
  }
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < header.size(); ++i) {
    index.emplace(header[i], i);
  }
  std::string out = util::csv_line(header);
  std::vector<std::string> fields;
  for (const auto& cells : m_rows) {
    fields.assign(header.size(), std::string());
    for (const auto& [path, text] : cells) {
      fields[index.at(path)] = text;
    }
    out += util::csv_line(fields);
  }
  return out;
}

} // namespace practice::cli
