#pragma once

#include "json_csv.hpp"
#include "text_table.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace practice::cli {

// --json, --csv (lists only), or tables and sentences.
enum class Format { human, json, csv };

// How much talk goes to stderr: -q, the default, or -v.
enum class Verbosity { quiet, normal, verbose };

// Where a command's results and talk go: data on stdout, talk on stderr;
// colour only on a terminal and never with NO_COLOR or TERM=dumb.
class Output {
public:
  Output();

  void set_format(Format f) { m_format = f; }
  void set_verbosity(Verbosity v) { m_verbosity = v; }
  bool json() const { return m_format == Format::json; }
  bool csv() const { return m_format == Format::csv; }
  // Data for programs (--json or --csv) rather than tables and sentences.
  bool machine() const { return m_format != Format::human; }
  bool quiet() const { return m_verbosity == Verbosity::quiet; }
  bool verbose() const { return m_verbosity == Verbosity::verbose; }
  bool stderr_is_tty() const { return m_stderr_tty; }

  // One JSON document on stdout: indented on a terminal, compact otherwise.
  // With --csv: an array as CSV rows (see JsonCsv), an object as one row.
  void print_json(const nlohmann::ordered_json& value) const;
  // A JSON array on stdout, one element at a time (a list of 10,000 records
  // is never held as one JSON tree). Off a terminal: one element per line.
  // With --csv the same elements as CSV rows.
  template <typename Range, typename ToJson>
  void print_json_array(const Range& items, ToJson&& to_json) const {
    JsonArrayWriter out(*this);
    for (const auto& item : items) {
      out.add(to_json(item));
    }
    out.finish();
  }
  // A JSON array written element by element as a listing is read, for
  // lists of many thousands. Off a terminal an element may come as compact
  // text already (append), saving the tree; on a terminal it is indented.
  class JsonArrayWriter {
  public:
    explicit JsonArrayWriter(const Output& out);
    JsonArrayWriter(const JsonArrayWriter&) = delete;
    JsonArrayWriter& operator=(const JsonArrayWriter&) = delete;
    ~JsonArrayWriter() = default;
    // True when elements must come as trees (add), not compact text
    // (append): on a terminal, and for --csv.
    bool pretty() const { return m_out.m_stdout_tty || m_out.csv(); }
    void add(const nlohmann::ordered_json& value);
    // Compact JSON text for one element, appended to the buffer by `write`.
    template <typename Write> void append(Write&& write) {
      m_buffer += m_first ? "\n" : ",\n";
      m_first = false;
      write(m_buffer);
      if (m_buffer.size() >= k_flush_at) {
        flush();
      }
    }
    void finish();

  private:
    static constexpr size_t k_flush_at = 64 * 1024;
    void flush();
    const Output& m_out;
    std::string m_buffer;
    bool m_first = true;
    JsonCsv m_csv;
  };

  // On a terminal the table fits its width (see TextTable::render); off a
  // terminal every cell is whole.
  void print_table(const TextTable& table) const;
  // "key: value" lines, keys aligned.
  void print_fields(const std::vector<std::pair<std::string, std::string>>& fields) const;
  // A plain line on stdout (human results such as confirmations); not with --json, --csv or quiet.
  void print_line(const std::string& line) const;
  // A remark on stderr (e.g. "no accounts"); not when quiet.
  void note(const std::string& line) const;
  // A remark only someone watching needs (another run holds the lock): on
  // stderr when it is a terminal or with --verbose, never when quiet. Off a
  // terminal (cron) it stays silent, so a routine event mails nobody.
  void detail(const std::string& line) const;
  void warn(const std::string& line) const;

  // The error shape of style.md, or {"error": ...} on stderr in JSON mode.
  void error(std::string_view code, const std::string& message, const std::string& hint) const;

private:
  // One element of a JsonArrayWriter on a terminal, indented inside the array.
  void json_array_element(const nlohmann::ordered_json& value, bool first) const;
  std::string dump(const nlohmann::ordered_json& value, int indent) const;

  Format m_format = Format::human;
  Verbosity m_verbosity = Verbosity::normal;
  bool m_stdout_tty = false;
  bool m_stdout_color = false;
  bool m_stderr_color = false;
  bool m_stderr_tty = false;
};

} // namespace practice::cli
