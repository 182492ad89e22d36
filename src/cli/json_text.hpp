#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace practice::cli {

// Appends the compact text of `value`, byte for byte what
// value.dump(-1, ' ', false, error_handler_t::replace) gives, but some
// times faster: lists of 100,000 records print each record this way.
// Plain strings (printable ASCII) and integers are written here; any other
// string (escapes, UTF-8 to check), floats and the rest go through nlohmann.
// A unit test holds the two equal.
void append_json(std::string& out, const nlohmann::ordered_json& value);

// Appends `s` as a JSON string, as append_json does.
void append_json_string(std::string& out, std::string_view s);

} // namespace practice::cli
