#include "text_table.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace practice::cli {

namespace {

constexpr std::string_view k_ellipsis = "…";

struct CodePoint {
  size_t bytes; // at least 1: a byte that is not UTF-8 stands for itself
  size_t width;
};

CodePoint next_code_point(std::string_view s) {
  // Printable ASCII, most of every table, without the library's lookups.
  if (const auto c = static_cast<unsigned char>(s.front()); c >= 0x20 && c < 0x7f) {
    return {1, 1};
  }
  utf8proc_int32_t cp = 0;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                  static_cast<utf8proc_ssize_t>(s.size()), &cp);
  if (n <= 0) {
    return {1, 1};
  }
  return {static_cast<size_t>(n), static_cast<size_t>(std::max(0, utf8proc_charwidth(cp)))};
}

} // namespace

size_t display_width(std::string_view s) {
  size_t width = 0;
  while (!s.empty()) {
    const auto cp = next_code_point(s);
    width += cp.width;
    s.remove_prefix(cp.bytes);
  }
  return width;
}

std::string truncate_to_width(std::string_view s, size_t width) {
  if (display_width(s) <= width) {
    return std::string(s);
  }
  if (width == 0) {
    return {};
  }
  // Room for the ellipsis. A wide character that would straddle the edge is
  // left out (the cell is a column short; render pads it).
  const size_t room = width - 1;
  size_t used = 0;
  size_t bytes = 0;
  for (std::string_view rest = s; !rest.empty();) {
    const auto cp = next_code_point(rest);
    if (used + cp.width > room) {
      break;
    }
    used += cp.width;
    bytes += cp.bytes;
    rest.remove_prefix(cp.bytes);
  }
  std::string out(s.substr(0, bytes));
  out += k_ellipsis;
  return out;
}

void TextTable::add_column(std::string header, Align align) {
  m_headers.push_back(std::move(header));
  m_align.push_back(align);
}

void TextTable::add_row(std::vector<std::string> cells) {
  if (cells.size() > m_headers.size()) {
    throw std::logic_error("TextTable row has more cells than columns");
  }
  cells.resize(m_headers.size());
  m_rows.push_back(std::move(cells));
}

std::vector<size_t> TextTable::fitted_widths(size_t max_width) const {
  const size_t n = m_headers.size();
  std::vector<size_t> width(n);
  std::vector<size_t> floor(n);
  for (size_t c = 0; c < n; ++c) {
    const size_t header = display_width(m_headers[c]);
    width[c] = header;
    for (const auto& row : m_rows) {
      width[c] = std::max(width[c], display_width(row[c]));
    }
    floor[c] = m_align[c] == Align::right ? width[c] : std::min(width[c], std::max(header, k_min_width));
  }
  if (max_width == 0 || n == 0) {
    return width;
  }
  size_t total = std::accumulate(width.begin(), width.end(), size_t{0}) + 2 * (n - 1);
  // One column at a time from the widest, so a 140-character name gives up
  // its width before a date loses a digit.
  while (total > max_width) {
    size_t widest = n;
    for (size_t c = 0; c < n; ++c) {
      if (width[c] > floor[c] && (widest == n || width[c] >= width[widest])) {
        widest = c;
      }
    }
    if (widest == n) {
      break;
    }
    --width[widest];
    --total;
  }
  return width;
}

std::string TextTable::render(const RenderOptions& options) const {
  const std::vector<size_t> width = fitted_widths(options.max_width);
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string cell = truncate_to_width(cells[c], width[c]);
      const size_t pad = width[c] - std::min(width[c], display_width(cell));
      if (c > 0) {
        out += "  ";
      }
      if (m_align[c] == Align::right) {
        out.append(pad, ' ');
        out += cell;
      } else {
        out += cell;
        out.append(pad, ' ');
      }
    }
    while (!out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    return out;
  };
  std::string out = options.header_on + line(m_headers) + options.header_off + "\n";
  for (const auto& row : m_rows) {
    out += line(row) + "\n";
  }
  return out;
}

} // namespace practice::cli
