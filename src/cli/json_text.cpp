#include "json_text.hpp"

#include <array>
#include <charconv>

namespace practice::cli {

using json = nlohmann::ordered_json;

namespace {

// What a byte of a string needs in JSON text: nothing (printable ASCII), a
// backslash before it (a quote, a backslash), or nlohmann's serializer
// (control characters, which have escapes of their own, and UTF-8, which
// is checked there and replaced where broken).
enum ByteClass : unsigned char { k_plain, k_escaped, k_other };

constexpr std::array<unsigned char, 256> k_byte_class = [] {
  std::array<unsigned char, 256> table{};
  for (size_t c = 0; c < table.size(); ++c) {
    table[c] = c < 0x20 || c >= 0x80 ? k_other : c == '"' || c == '\\' ? k_escaped : k_plain;
  }
  return table;
}();

} // namespace

void append_json_string(std::string& out, std::string_view s) {
  unsigned char seen = k_plain;
  for (const char c : s) {
    seen |= k_byte_class[static_cast<unsigned char>(c)];
  }
  if ((seen & k_other) != 0) {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  if (seen == k_plain) {
    out += s;
  } else {
    size_t from = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (k_byte_class[static_cast<unsigned char>(s[i])] == k_escaped) {
        out.append(s.data() + from, i - from);
        out += '\\';
        from = i; // the character itself goes with the next stretch
      }
    }
    out.append(s.data() + from, s.size() - from);
  }
  out += '"';
}

namespace {

template <typename Int> void append_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

} // namespace

void append_json(std::string& out, const json& value) {
  switch (value.type()) {
  case json::value_t::null:
    out += "null";
    return;
  case json::value_t::boolean:
    out += value.get<bool>() ? "true" : "false";
    return;
  case json::value_t::number_integer:
    append_int(out, value.get<json::number_integer_t>());
    return;
  case json::value_t::number_unsigned:
    append_int(out, value.get<json::number_unsigned_t>());
    return;
  case json::value_t::string:
    append_json_string(out, value.get_ref<const std::string&>());
    return;
  case json::value_t::array: {
    out += '[';
    bool first = true;
    for (const auto& element : value) {
      if (!first) {
        out += ',';
      }
      first = false;
      append_json(out, element);
    }
    out += ']';
    return;
  }
  case json::value_t::object: {
    out += '{';
    bool first = true;
    for (const auto& [key, element] : value.get_ref<const json::object_t&>()) {
      if (!first) {
        out += ',';
      }
      first = false;
      append_json_string(out, key);
      out += ':';
      append_json(out, element);
    }
    out += '}';
    return;
  }
  case json::value_t::number_float:
  case json::value_t::binary:
  case json::value_t::discarded:
    break;
  }
  out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace practice::cli
