// csv_reader.h: the strict reader of CSV files (the signal files of signals.source = "csv", and
// the data tables the tests check the fitted constants against). The header line fixes the
// width of every row; the separator and the decimal mark are declared or detected from the
// header without guessing; numbers are whole-field, finite and locale-independent; every fault
// is one InputError line naming the file and line. The rules: docs/DATA.md, "CSV files".
#pragma once
#include <string>
#include <vector>
#include "config/csv_format.h"

namespace v2g {

// Some columns of a file, as text (unquoted and trimmed of blanks), row by row.
struct CsvColumns {
    std::string path;
    CsvFormat format;                             // with the separator actually used
    std::vector<std::string> names;               // the columns asked for
    std::vector<std::vector<std::string>> cells;  // [column][row]; empty for an optional column the file lacks
    std::vector<bool> present;                    // [column]: the file has it (required ones always)
    std::vector<long> lines;                      // [row]: its 1-based line in the file (header = 1)
};

// Reads `columns` of the file. Handles a UTF-8 BOM, CRLF line ends, quoted fields ("" inside
// quotes is a quote); blank lines at the end are ignored. Throws InputError with one line:
// "PATH: cannot open", "PATH: no column 'X' (columns: ...)", "PATH:LINE: 3 fields, the header
// has 2 (hint)", "PATH:LINE: unterminated quote", "PATH:1: the header has both ',' and ';':
// set signals.csv_separator", "PATH: no data rows", ...
CsvColumns read_csv_columns(const std::string& path, const std::vector<std::string>& columns,
                            const CsvFormat& format = {});

// The same with columns the file may lack: `columns` are required, then `optional` follow in
// CsvColumns::names (present[] says which the file has).
CsvColumns read_csv_columns(const std::string& path, const std::vector<std::string>& columns,
                            const std::vector<std::string>& optional, const CsvFormat& format);

// Column `column` (an index into table.names) as numbers in table.format.decimal. Throws
// InputError "PATH:LINE: empty value in column 'X'" or "PATH:LINE: 'abc' in column 'X' is not
// a number" (with a hint when the other decimal mark or separator would read it).
std::vector<double> csv_numbers(const CsvColumns& table, size_t column);

// All values of one numeric column: read_csv_columns + csv_numbers.
std::vector<double> read_csv_column(const std::string& path, const std::string& column,
                                    const CsvFormat& format = {});

// A whole field as a finite number with decimal mark `decimal` ('.' or ','): locale-independent,
// one optional leading '+' only before a digit or '.', no blanks, no thousands separators.
bool parse_csv_number(const std::string& text, char decimal, double* value);

// How messages and signals.csv_separator name a separator: "','", "';'", "tab".
std::string csv_separator_name(char separator);

}  // namespace v2g
