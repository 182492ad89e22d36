#include "output.hpp"

#include "json_text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace practice::cli {

namespace {

bool color_allowed() {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  return (no_color == nullptr || no_color[0] == '\0') &&
         (term == nullptr || std::strcmp(term, "dumb") != 0);
}

// The terminal's width: what the terminal says, else $COLUMNS, else 80.
size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    size_t n = 0;
    const std::string_view text(columns);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n > 0) {
      return n;
    }
  }
  return 80;
}

} // namespace

Output::Output() {
  const bool allowed = color_allowed();
  m_stdout_tty = ::isatty(STDOUT_FILENO) == 1;
  m_stdout_color = allowed && m_stdout_tty;
  m_stderr_tty = ::isatty(STDERR_FILENO) == 1;
  m_stderr_color = allowed && m_stderr_tty;
}

std::string Output::dump(const nlohmann::ordered_json& value, int indent) const {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void Output::print_json(const nlohmann::ordered_json& value) const {
  if (csv()) {
    JsonCsv rows;
    if (value.is_array()) {
      for (const auto& row : value) {
        rows.add(row);
      }
    } else {
      rows.add(value);
    }
    const std::string text = rows.text();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  std::string text;
  if (m_stdout_tty) {
    text = dump(value, 2);
  } else {
    append_json(text, value);
  }
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void Output::json_array_element(const nlohmann::ordered_json& value, bool first) const {
  // Indented, each of the element's own lines one level inside the array.
  std::string text = first ? "\n" : ",\n";
  for (const char c : dump(value, 2)) {
    text += c;
    if (c == '\n') {
      text += "  ";
    }
  }
  text.insert(first ? 1 : 2, "  ");
  std::fwrite(text.data(), 1, text.size(), stdout);
}

Output::JsonArrayWriter::JsonArrayWriter(const Output& out) : m_out(out) {
  m_buffer.reserve(k_flush_at + 4096);
  m_buffer += '[';
}

void Output::JsonArrayWriter::add(const nlohmann::ordered_json& value) {
  if (m_out.csv()) {
    m_csv.add(value);
    return;
  }
  if (!pretty()) {
    append([&](std::string& buffer) { append_json(buffer, value); });
    return;
  }
  flush();
  m_out.json_array_element(value, m_first);
  m_first = false;
}

void Output::JsonArrayWriter::flush() {
  std::fwrite(m_buffer.data(), 1, m_buffer.size(), stdout);
  m_buffer.clear();
}

void Output::JsonArrayWriter::finish() {
  if (m_out.csv()) {
    // The columns are known once every row is in (an object null in the
    // first rows may have fields later).
    m_buffer = m_csv.text();
    flush();
    return;
  }
  m_buffer += m_first ? "]\n" : "\n]\n";
  flush();
}

void Output::print_table(const TextTable& table) const {
  RenderOptions options;
  if (m_stdout_tty) {
    options.max_width = terminal_width();
  }
  if (m_stdout_color) {
    options.header_on = "\033[1m";
    options.header_off = "\033[0m";
  }
  const std::string text = table.render(options);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void Output::print_fields(const std::vector<std::pair<std::string, std::string>>& fields) const {
  size_t width = 0;
  for (const auto& [k, v] : fields) {
    width = std::max(width, display_width(k));
  }
  for (const auto& [k, v] : fields) {
    const std::string key = m_stdout_color ? "\033[1m" + k + ":\033[0m" : k + ":";
    fmt::print("{}{} {}\n", key, std::string(width - display_width(k), ' '), v);
  }
}

void Output::print_line(const std::string& line) const {
  if (!quiet() && !machine()) {
    fmt::print("{}\n", line);
  }
}

void Output::note(const std::string& line) const {
  if (!quiet()) {
    fmt::print(stderr, "{}\n", line);
  }
}

void Output::detail(const std::string& line) const {
  if (verbose() || (!quiet() && m_stderr_tty)) {
    fmt::print(stderr, "{}\n", line);
  }
}

void Output::warn(const std::string& line) const {
  if (!quiet()) {
    fmt::print(stderr, "{}practice: warning:{} {}\n", m_stderr_color ? "\033[33m" : "",
               m_stderr_color ? "\033[0m" : "", line);
  }
}

void Output::error(std::string_view code, const std::string& message,
                   const std::string& hint) const {
  if (json()) {
    nlohmann::ordered_json e = {{"code", code}, {"message", message}};
    e["hint"] = hint.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(hint);
    const std::string text =
        nlohmann::ordered_json{{"error", e}}.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    fmt::print(stderr, "{}\n", text);
    return;
  }
  fmt::print(stderr, "{}practice: error:{} {}\n", m_stderr_color ? "\033[31m" : "",
             m_stderr_color ? "\033[0m" : "", message);
  if (!hint.empty()) {
    fmt::print(stderr, "hint: {}\n", hint);
  }
}

} // namespace practice::cli
