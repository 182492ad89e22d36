#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace practice::cli {

enum class Align { left, right };

struct RenderOptions {
  // Display columns the lines must fit in; 0 for no limit (off a terminal).
  size_t max_width = 0;
  // Wrap the header line (bold on a terminal).
  std::string header_on;
  std::string header_off;
};

// Columns of text, aligned with two spaces between them; trailing blanks are
// trimmed. Widths are display columns (see display_width).
class TextTable {
public:
  // Adds a column; call before adding rows. Right-aligned columns (ids,
  // counts) are never shortened to fit.
  void add_column(std::string header, Align align = Align::left);
  // Adds a row; missing cells are blank, extra cells are an error.
  void add_row(std::vector<std::string> cells);
  bool empty() const { return m_rows.empty(); }

  // The table as text. When its lines are wider than `max_width`, the widest
  // left-aligned columns give up width first, one column at a time, their
  // cells cut and ended with "…"; a column never shrinks below its header or
  // k_min_width (so short columns stay whole). When even that is too wide the
  // lines are longer than `max_width`.
  std::string render(const RenderOptions& options = {}) const;

  static constexpr size_t k_min_width = 10;

private:
  std::vector<size_t> fitted_widths(size_t max_width) const;

  std::vector<std::string> m_headers;
  std::vector<Align> m_align;
  std::vector<std::vector<std::string>> m_rows;
};

// Display columns `s` takes on a terminal (UTF-8, by libutf8proc): CJK and
// emoji count two, combining marks and control characters none; a byte that
// is not UTF-8 counts one.
size_t display_width(std::string_view s);

// `s` if it fits in `width` display columns, else its longest prefix that
// fits in `width` - 1 followed by "…". Never cuts inside a UTF-8 sequence,
// and keeps the combining marks of the last character kept.
std::string truncate_to_width(std::string_view s, size_t width);

} // namespace practice::cli
