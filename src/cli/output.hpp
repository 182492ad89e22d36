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

  // One JSON document on stdout.
  void print_json(const nlohmann::json& value) const;
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
  Format m_format = Format::human;
  bool m_quiet = false;
  bool m_stdout_color = false;
  bool m_stderr_color = false;
  bool m_stderr_tty = false;
};

} // namespace practice::cli
