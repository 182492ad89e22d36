#pragma once

#include <string>
#include <vector>

namespace practice::cli {

enum class Align { left, right };

// Columns of text, aligned with two spaces between them; trailing blanks are
// trimmed. Widths count UTF-8 code points, not bytes.
class TextTable {
public:
  // Adds a column; call before adding rows.
  void add_column(std::string header, Align align = Align::left);
  // Adds a row; missing cells are blank, extra cells are an error.
  void add_row(std::vector<std::string> cells);
  bool empty() const { return m_rows.empty(); }

  // `bold_header` wraps the header line in the given escape sequences.
  std::string render(const std::string& header_on = {}, const std::string& header_off = {}) const;

private:
  std::vector<std::string> m_headers;
  std::vector<Align> m_align;
  std::vector<std::vector<std::string>> m_rows;
};

// Number of UTF-8 code points in `s`.
size_t display_width(const std::string& s);

} // namespace practice::cli
