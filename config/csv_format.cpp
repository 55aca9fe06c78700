// csv_format.cpp: see csv_format.h.
#include "config/csv_format.h"

#include <string>
#include "common/errors.h"
#include "common/text_format.h"

namespace v2g {

CsvFormat csv_format(const Config& cfg) {
    CsvFormat f;
    const std::string& sep = cfg.signals.csv_separator;
    if (sep == "auto") f.separator = kCsvDetectSeparator;
    else if (sep == "," || sep == ";") f.separator = sep[0];
    else if (sep == "tab" || sep == "\t") f.separator = '\t';  // a TOML "\t" is a tab too
    else
        throw InputError("signals.csv_separator = '" + shortened(sep) +
                         "' is not allowed: one of auto, \",\", \";\", tab");
    if (cfg.signals.csv_decimal == "." || cfg.signals.csv_decimal == ",") f.decimal = cfg.signals.csv_decimal[0];
    else
        throw InputError("signals.csv_decimal = '" + shortened(cfg.signals.csv_decimal) +
                         "' is not allowed: one of \".\", \",\"");
    if (f.separator == ',' && f.decimal == ',')
        throw InputError("signals.csv_decimal = \",\" with signals.csv_separator = \",\" is ambiguous: a decimal comma "
                         "would split the field (use \";\", tab or auto)");
    return f;
}

}  // namespace v2g
