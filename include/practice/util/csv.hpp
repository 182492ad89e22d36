#pragma once

#include <string>
#include <string_view>
#include <vector>

// CSV in and out (RFC 4180), read with libcsv: quoted fields with commas,
// quotes and line breaks in them, CRLF or LF.
namespace practice::util {

struct CsvRecord {
  int line = 0; // the line of the file it starts on, from 1
  std::vector<std::string> fields;
};

struct CsvTable {
  char delimiter = ',';
  std::vector<CsvRecord> records; // the header first; blank lines left out
};

// Parses `text`: a UTF-8 byte order mark is dropped, and the delimiter is ';'
// when the first line has more semicolons than commas outside quotes (what
// spreadsheets in pt, ro and it locales write), else ','. Throws
// InvalidInput naming the line for a malformed quote or text that is not
// UTF-8.
CsvTable parse_csv(std::string_view text);

// One record as a CSV line (with CRLF, as RFC 4180 has it): a field is quoted
// when it holds the delimiter, a quote, a line break or leading/trailing space.
std::string csv_line(const std::vector<std::string>& fields);

} // namespace practice::util
