#include "practice/util/csv.hpp"

#include "practice/error.hpp"
#include "practice/util/validate.hpp"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

namespace practice::util {

namespace {

// The delimiter the header line shows: counted outside quotes, up to its end.
char detect_delimiter(std::string_view text) {
  int commas = 0;
  int semicolons = 0;
  bool quoted = false;
  for (const char c : text) {
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == '\n' || c == '\r')) {
      break;
    } else if (!quoted && c == ',') {
      ++commas;
    } else if (!quoted && c == ';') {
      ++semicolons;
    }
  }
  return semicolons > commas ? ';' : ',';
}

struct Reader {
  CsvTable table;
  CsvRecord current;
  int line = 1;           // the physical line the parser is on
  int record_start = 1;   // where `current` began
  char last_end = 0;      // the character that ended the last row

  static void on_field(void* data, size_t len, void* self) {
    auto& r = *static_cast<Reader*>(self);
    if (r.current.fields.empty()) {
      r.current.line = r.record_start;
    }
    std::string field(static_cast<const char*>(data), len);
    r.line += static_cast<int>(std::count(field.begin(), field.end(), '\n'));
    r.current.fields.push_back(std::move(field));
  }

  static void on_row(int end, void* self) {
    auto& r = *static_cast<Reader*>(self);
    // CSV_REPALL_NL reports every line break outside a record as an empty
    // row: the LF of a CRLF is not a line of its own.
    const bool crlf_tail = r.current.fields.empty() && end == '\n' && r.last_end == '\r';
    if (!crlf_tail && end != -1) {
      ++r.line;
    }
    r.last_end = static_cast<char>(end);
    const bool blank = r.current.fields.empty() ||
                       (r.current.fields.size() == 1 && r.current.fields[0].empty());
    if (!blank) {
      r.table.records.push_back(std::move(r.current));
    }
    r.current = CsvRecord{};
    r.record_start = r.line;
  }
};

struct ParserDeleter {
  void operator()(csv_parser* p) const {
    csv_free(p);
    delete p;
  }
};

} // namespace

CsvTable parse_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  Reader reader;
  reader.table.delimiter = detect_delimiter(text);
  std::unique_ptr<csv_parser, ParserDeleter> parser(new csv_parser{});
  if (csv_init(parser.get(), CSV_STRICT | CSV_REPALL_NL | CSV_STRICT_FINI) != 0) {
    throw InternalError("the CSV parser could not start");
  }
  csv_set_delim(parser.get(), static_cast<unsigned char>(reader.table.delimiter));
  const auto fail = [&] {
    throw InvalidInput(fmt::format("line {}: {} (a field with a quote in it must be quoted, the quote doubled)",
                                   reader.line, csv_strerror(csv_error(parser.get()))));
  };
  if (csv_parse(parser.get(), text.data(), text.size(), Reader::on_field, Reader::on_row, &reader) != text.size()) {
    fail();
  }
  if (csv_fini(parser.get(), Reader::on_field, Reader::on_row, &reader) != 0) {
    fail();
  }
  for (const auto& record : reader.table.records) {
    for (size_t i = 0; i < record.fields.size(); ++i) {
      if (!is_valid_utf8(record.fields[i])) {
        throw InvalidInput(fmt::format("line {}, column {}: the text is not UTF-8", record.line, i + 1),
                           "save the file as CSV UTF-8 from the spreadsheet");
      }
    }
  }
  return std::move(reader.table);
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    const std::string& f = fields[i];
    const bool quote = f.find_first_of(",\"\r\n") != std::string::npos ||
                       (!f.empty() && (f.front() == ' ' || f.back() == ' '));
    if (!quote) {
      out += f;
      continue;
    }
    out += '"';
    for (const char c : f) {
      out += c;
      if (c == '"') {
        out += '"';
      }
    }
    out += '"';
  }
  out += "\r\n";
  return out;
}

} // namespace practice::util
