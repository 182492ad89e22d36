#include "text_table.hpp"

#include <algorithm>
#include <stdexcept>

namespace practice::cli {

size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  }));
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

std::string TextTable::render(const std::string& header_on, const std::string& header_off) const {
  std::vector<size_t> width(m_headers.size());
  for (size_t c = 0; c < m_headers.size(); ++c) {
    width[c] = display_width(m_headers[c]);
    for (const auto& row : m_rows) {
      width[c] = std::max(width[c], display_width(row[c]));
    }
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = width[c] - display_width(cells[c]);
      if (c > 0) {
        out += "  ";
      }
      if (m_align[c] == Align::right) {
        out.append(pad, ' ');
        out += cells[c];
      } else {
        out += cells[c];
        out.append(pad, ' ');
      }
    }
    while (!out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    return out;
  };
  std::string out = header_on + line(m_headers) + header_off + "\n";
  for (const auto& row : m_rows) {
    out += line(row) + "\n";
  }
  return out;
}

} // namespace practice::cli
