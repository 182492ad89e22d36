#pragma once

#include "practice/requests/model.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace practice::requests {

// Parses a request template or request file (TOML, cli.md "Request and
// template files"). Checks every question. Throws InvalidInput naming the
// file `origin` and the key for anything wrong, including unknown keys.
Definition parse_definition(std::string_view toml_text, const std::string& origin);

// TOML that parse_definition reads back into the same definition.
std::string export_definition(const Definition& d);

// The JSON form kept in the database.
nlohmann::json definition_to_json(const Definition& d);
Definition definition_from_json(const nlohmann::json& j);

} // namespace practice::requests
