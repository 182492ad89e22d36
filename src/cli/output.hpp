#pragma once

#include "text_table.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace practice::cli {

enum class Format { human, json };

// Where a command's results and talk go: data on stdout, talk on stderr;
// colour only on a terminal and never with NO_COLOR or TERM=dumb.
class Output {
public:
  Output();

  void set_format(Format f) { m_format = f; }
  void set_quiet(bool q) { m_quiet = q; }
  bool json() const { return m_format == Format::json; }
  bool quiet() const { return m_quiet; }
  bool stderr_is_tty() const { return m_stderr_tty; }

  // One JSON document on stdout: indented on a terminal, compact otherwise.
  void print_json(const nlohmann::ordered_json& value) const;
  // A JSON array on stdout, one element at a time (a list of 10,000 records
  // is never held as one JSON tree). Off a terminal: one element per line.
  template <typename Range, typename ToJson>
  void print_json_array(const Range& items, ToJson&& to_json) const {
    begin_json_array();
    bool first = true;
    for (const auto& item : items) {
      json_array_element(to_json(item), first);
      first = false;
    }
    end_json_array(first);
  }
  void print_table(const TextTable& table) const;
  // "key: value" lines, keys aligned.
  void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) const;
  // A plain line on stdout (human results such as confirmations); not in JSON mode or quiet.
  void print_line(const std::string& line) const;
  // A remark on stderr (e.g. "no accounts"); not when quiet.
  void note(const std::string& line) const;
  void warn(const std::string& line) const;

  // The error shape of style.md, or {"error": ...} on stderr in JSON mode.
  void error(std::string_view code, const std::string& message, const std::string& hint) const;

private:
  void begin_json_array() const;
  void json_array_element(const nlohmann::ordered_json& value, bool first) const;
  void end_json_array(bool empty) const;
  std::string dump(const nlohmann::ordered_json& value, int indent) const;

  Format m_format = Format::human;
  bool m_quiet = false;
  bool m_stdout_tty = false;
  bool m_stdout_color = false;
  bool m_stderr_color = false;
  bool m_stderr_tty = false;
};

} // namespace practice::cli
