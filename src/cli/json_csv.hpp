#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace practice::cli {

// A list's --csv text, from the same JSON objects its --json prints
// (cli.md: a header row of the JSON field names, nested values flattened or
// joined). Columns are the objects' keys in their order. A value that is an
// object becomes `parent.child` columns (the union of the keys any row has;
// a field that is null in every row stays one column). An array of scalars
// is joined with "; ", an array of objects too, each object by its "email",
// else "name", else "prompt", else "kind id", else "id", else its compact
// JSON. null is an empty field, booleans are true and false. RFC 4180
// through util::csv_line, CRLF line ends.
class JsonCsv {
public:
  // Adds one row; a value that is not an object is a row of one column
  // named "value".
  void add(const nlohmann::ordered_json& row);
  bool empty() const { return m_rows.empty(); }
  // The header line and one line per row; "" when no row was added (there
  // are no field names to print).
  std::string text() const;

private:
  struct Column {
    std::string key;
    bool scalar = false; // seen as something other than an object or null
    std::vector<Column> children;
  };
  using Cells = std::vector<std::pair<std::string, std::string>>; // path → text
  static void merge(Column& column, const std::string& path, const nlohmann::ordered_json& value, Cells& cells);
  static void paths(const Column& column, const std::string& path, std::vector<std::string>& out);

  Column m_root;
  std::vector<Cells> m_rows;
};

// The text of a scalar or array as one CSV field (see JsonCsv).
std::string csv_field(const nlohmann::ordered_json& value);

} // namespace practice::cli
