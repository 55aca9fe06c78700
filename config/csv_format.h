// csv_format.h: how the fields of the CSV signal files are written, and the config keys that say
// so (signals.csv_separator, signals.csv_decimal), checked here so that a bad pair is refused when
// the config is validated, before any file is read (problem/csv_reader.h reads the files).
#pragma once
#include "config/config.h"

namespace v2g {

// CsvFormat::separator values besides ',', ';' and '\t'.
constexpr char kCsvDetectSeparator = '\0';  // from the header line (signals.csv_separator = "auto")
constexpr char kCsvNoSeparator = '\n';      // a one-column file: no line holds a '\n', so every
                                            //   line is exactly one field

// How the fields of a file are written.
struct CsvFormat {
    char separator = kCsvDetectSeparator;  // ',', ';', '\t', or one of the two above
    char decimal = '.';                    // '.' or ','
};

// signals.csv_separator and csv_decimal as a CsvFormat; InputError naming the key when a value
// is unknown or the pair is ambiguous (decimal commas in a ','-separated file). validate()
// calls it.
CsvFormat csv_format(const Config& cfg);

}  // namespace v2g
