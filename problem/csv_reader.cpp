// csv_reader.cpp: the strict CSV reader (see csv_reader.h; the rules are docs/DATA.md's "CSV
// files"). Nothing is guessed: a row whose width differs from the header's, a header with two
// candidate separators, a field that is not wholly a finite number, an unterminated quote are
// all refused with the line named, and with a hint when another separator or decimal mark would
// have read the line: those are the ways real exports get misread silently (issue 14, class 4).
#include "problem/csv_reader.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "common/errors.h"

namespace v2g {
namespace {

// A century of hourly rows (876,600: signals.days allows 36,600 days) at ~1 kB a row still
// fits; a larger file is no signal file, and is refused before it is read.
constexpr std::uintmax_t kMaxCsvBytes = std::uintmax_t{1} << 30;
// Error lines stay short (issue 14: about 200 characters at most): a cell or a list of
// columns echoed in a message is cut to these lengths, with "...".
constexpr size_t kMaxEchoedCellChars = 40;
constexpr size_t kMaxEchoedListChars = 80;
// The separators signals.csv_separator can name, in the order messages list them.
constexpr char kSeparators[] = {',', ';', '\t'};
const std::string kAllSeparators = ",;\t";
constexpr char kUtf8Bom[] = "\xEF\xBB\xBF";
// UTF-16 byte-order marks: Excel's "Unicode text" export. Not UTF-8; refused with a hint
// (read byte by byte, every other character would be a NUL).
constexpr char kUtf16LeBom[] = "\xFF\xFE";
constexpr char kUtf16BeBom[] = "\xFE\xFF";

std::string at_line(const std::string& path, long line) { return path + ":" + std::to_string(line) + ": "; }

// `s` cut to at most `max_chars` bytes (at a UTF-8 character boundary), "..." marking a cut.
std::string shortened(const std::string& s, size_t max_chars) {
    if (s.size() <= max_chars) return s;
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // continuation byte
    return s.substr(0, cut) + "...";
}

void strip_line_end(std::string* line) {
    if (!line->empty() && line->back() == '\r') line->pop_back();
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    const size_t e = s.find_last_not_of(" \t");
    return s.substr(b, e - b + 1);
}

std::string plural(size_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// One record split at any of `separators` outside quotes, fields trimmed of blanks. A field
// whose first non-blank character is '"' is quoted ("" inside is a quote) and may hold
// separators; a quote elsewhere in a field is an ordinary character. `seen` (optional) gets
// each separator that ended a field. Returns "" or what is wrong with the line.
std::string split_record(const std::string& line, const std::string& separators, std::vector<std::string>* fields,
                         std::string* seen = nullptr) {
    fields->clear();
    const auto is_separator = [&](char c) { return separators.find(c) != std::string::npos; };
    const auto skip_blanks = [&](size_t k) {
        while (k < line.size() && is_blank(line[k]) && !is_separator(line[k])) ++k;
        return k;
    };
    size_t i = 0;
    for (;;) {
        size_t k = skip_blanks(i);
        std::string field;
        if (k < line.size() && line[k] == '"') {
            bool closed = false;
            for (++k; k < line.size(); ++k) {
                if (line[k] != '"') {
                    field += line[k];
                } else if (k + 1 < line.size() && line[k + 1] == '"') {
                    field += '"';
                    ++k;
                } else {
                    closed = true;
                    ++k;
                    break;
                }
            }
            if (!closed) return "unterminated quote";
            k = skip_blanks(k);
            if (k < line.size() && !is_separator(line[k]))
                return "text after the closing quote of field " + std::to_string(fields->size() + 1);
        } else {
            const size_t start = k;
            while (k < line.size() && !is_separator(line[k])) ++k;
            field = line.substr(start, k - start);
        }
        fields->push_back(trim(field));
        if (k >= line.size()) return "";
        if (seen && seen->find(line[k]) == std::string::npos) *seen += line[k];
        i = k + 1;
    }
}

// "',' and ';'" / "',', ';' and tab".
std::string listed_separators(const std::string& kinds) {
    std::string out;
    for (size_t i = 0; i < kinds.size(); ++i)
        out += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + csv_separator_name(kinds[i]);
    return out;
}

// The separator of signals.csv_separator = "auto": the one of ',', ';', tab that the header
// holds outside quotes; none: a one-column file; several: refused, as any choice would be a guess.
char detect_separator(const std::string& path, const std::string& header, char decimal) {
    std::vector<std::string> fields;
    std::string seen;
    const std::string problem = split_record(header, kAllSeparators, &fields, &seen);
    if (!problem.empty()) throw InputError(at_line(path, 1) + problem);
    std::string kinds;
    for (char s : kSeparators)
        if (seen.find(s) != std::string::npos) kinds += s;
    if (kinds.empty()) return kCsvNoSeparator;
    if (kinds.size() > 1)
        throw InputError(at_line(path, 1) + "the header has " + (kinds.size() == 2 ? "both " : "") +
                         listed_separators(kinds) + ": set signals.csv_separator");
    if (kinds[0] == ',' && decimal == ',')
        throw InputError(at_line(path, 1) +
                         "the header is ','-separated and signals.csv_decimal = \",\": ambiguous (export with ';' "
                         "as the separator)");
    return kinds[0];
}

// How signals.csv_separator writes a separator.
std::string separator_key_value(char s) { return s == '\t' ? "tab" : std::string(1, s); }

// " (the header is ';'-separated: ...)" when the header, split at another separator than the
// one set, has `column`; else "".
std::string header_separator_hint(const std::string& header_line, const std::string& column, char used) {
    for (char s : kSeparators) {
        if (s == used) continue;
        std::vector<std::string> names;
        if (!split_record(header_line, std::string(1, s), &names).empty()) continue;
        for (const std::string& n : names)
            if (n == column)
                return " (the header is " + csv_separator_name(s) + "-separated: signals.csv_separator = \"" +
                       separator_key_value(s) + "\"?)";
    }
    return "";
}

bool is_integer_text(const std::string& s) {
    size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

bool is_digit_text(const std::string& s) { return !s.empty() && is_integer_text(s) && std::isdigit(static_cast<unsigned char>(s[0])); }

// The most adjacent (integer, digits) field pairs that could each be one number written with a
// decimal comma ("0", "25" = 0,25), not overlapping. Taking the leftmost possible pair first is
// optimal (intervals of two fields on a line), so one pass finds it.
size_t decimal_comma_pairs(const std::vector<std::string>& fields) {
    size_t pairs = 0;
    for (size_t i = 0; i + 1 < fields.size();) {
        if (is_integer_text(fields[i]) && is_digit_text(fields[i + 1])) {
            ++pairs;
            i += 2;
        } else {
            ++i;
        }
    }
    return pairs;
}

// Why a row may have the wrong width: decimal commas in a ','-separated file (the row reads as
// the header's width when some pairs of fields are taken as one number each), or a row written
// with another separator than the header's.
std::string width_hint(const std::string& line, const std::vector<std::string>& fields, size_t width,
                       const CsvFormat& format) {
    if (format.separator == ',' && fields.size() > width && decimal_comma_pairs(fields) >= fields.size() - width)
        return " (decimal commas? export with ';' as the separator, set signals.csv_decimal = \",\")";
    for (char s : kSeparators) {
        if (s == format.separator) continue;
        std::vector<std::string> other;
        if (split_record(line, std::string(1, s), &other).empty() && other.size() == width)
            return " (this row is " + csv_separator_name(s) + "-separated, the header " +
                   csv_separator_name(format.separator) + "-separated)";
    }
    return "";
}

enum class NumberText { kNumber, kMalformed, kOutOfRange, kNotFinite };

NumberText classify_number(const std::string& text, char decimal, double* value) {
    std::string s = text;
    if (decimal == ',') {
        // A '.' is then a thousands separator or a mistake; either way not this number.
        if (s.find('.') != std::string::npos) return NumberText::kMalformed;
        const size_t comma = s.find(',');
        if (comma != std::string::npos) s[comma] = '.';  // a second comma stops from_chars: malformed
    }
    const char* begin = s.data();
    const char* end = s.data() + s.size();
    // from_chars takes no '+'; one is allowed only before the number itself ("+-1" is not one).
    if (end - begin >= 2 && begin[0] == '+' && (std::isdigit(static_cast<unsigned char>(begin[1])) || begin[1] == '.'))
        ++begin;
    const auto result = std::from_chars(begin, end, *value);  // locale-independent
    if (result.ec == std::errc::invalid_argument || result.ptr != end) return NumberText::kMalformed;
    if (result.ec == std::errc::result_out_of_range) return NumberText::kOutOfRange;
    if (result.ec != std::errc()) return NumberText::kMalformed;
    if (!std::isfinite(*value)) return NumberText::kNotFinite;  // "inf", "nan"
    return NumberText::kNumber;
}

// Why `text` did not read as a number, when a setting would read it: "" otherwise.
std::string number_hint(const std::string& text, NumberText why, const CsvFormat& format) {
    if (why == NumberText::kOutOfRange) return " (beyond the range of a double)";
    double other = 0.0;
    if (format.decimal == '.' && classify_number(text, ',', &other) == NumberText::kNumber)
        return format.separator == ','
                   ? " (a decimal comma: export with ';' as the separator, set signals.csv_decimal = \",\")"
                   : " (decimal comma? set signals.csv_decimal = \",\")";
    if (format.decimal == ',' && classify_number(text, '.', &other) == NumberText::kNumber)
        return " (decimal point? set signals.csv_decimal = \".\")";
    if (format.separator == kCsvNoSeparator)
        for (char s : kSeparators)
            if (text.find(s) != std::string::npos)
                return " (the header has no separator, this row has " + csv_separator_name(s) + ")";
    return "";
}

}  // namespace

std::string csv_separator_name(char separator) {
    switch (separator) {
        case '\t': return "tab";
        case kCsvNoSeparator: return "no separator";
        case kCsvDetectSeparator: return "auto";
        default: return std::string("'") + separator + "'";
    }
}

bool parse_csv_number(const std::string& text, char decimal, double* value) {
    return classify_number(text, decimal, value) == NumberText::kNumber;
}

CsvColumns read_csv_columns(const std::string& path, const std::vector<std::string>& columns, const CsvFormat& format) {
    return read_csv_columns(path, columns, {}, format);
}

CsvColumns read_csv_columns(const std::string& path, const std::vector<std::string>& required,
                            const std::vector<std::string>& optional, const CsvFormat& format) {
    std::vector<std::string> columns = required;
    columns.insert(columns.end(), optional.begin(), optional.end());
    if (format.decimal != '.' && format.decimal != ',') throw std::invalid_argument("CsvFormat: decimal must be '.' or ','");
    if (format.separator != kCsvDetectSeparator && format.separator != kCsvNoSeparator &&
        kAllSeparators.find(format.separator) == std::string::npos)
        throw std::invalid_argument("CsvFormat: unknown separator");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": cannot open (a directory)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path + ": cannot open");
    const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
    if (!ec && bytes > kMaxCsvBytes)
        throw InputError(path + ": " + std::to_string(bytes) + " bytes; a CSV signal file may have at most " +
                         std::to_string(kMaxCsvBytes));

    std::string header_line;
    if (!std::getline(in, header_line)) throw InputError(path + ": empty file (no header row)");
    if (header_line.compare(0, 2, kUtf16LeBom) == 0 || header_line.compare(0, 2, kUtf16BeBom) == 0)
        throw InputError(path + ": UTF-16 text (it starts with a UTF-16 byte-order mark): save it as UTF-8 CSV");
    if (header_line.compare(0, 3, kUtf8Bom) == 0) header_line.erase(0, 3);
    strip_line_end(&header_line);
    if (trim(header_line).empty()) throw InputError(at_line(path, 1) + "the header line is empty");

    CsvColumns table;
    table.path = path;
    table.format = format;
    table.names = columns;
    if (format.separator == kCsvDetectSeparator) {
        table.format.separator = detect_separator(path, header_line, format.decimal);
    } else if (format.separator == ',' && format.decimal == ',') {
        throw InputError(path + ": signals.csv_separator = \",\" with signals.csv_decimal = \",\" is ambiguous");
    }
    const std::string separator(1, table.format.separator);
    std::vector<std::string> header;
    const std::string header_problem = split_record(header_line, separator, &header);
    if (!header_problem.empty()) throw InputError(at_line(path, 1) + header_problem);

    std::vector<size_t> index(columns.size(), header.size());
    table.present.assign(columns.size(), true);
    for (size_t c = 0; c < columns.size(); ++c) {
        for (size_t i = 0; i < header.size(); ++i) {
            if (header[i] != columns[c]) continue;
            if (index[c] != header.size())
                throw InputError(at_line(path, 1) + "column '" + columns[c] + "' appears twice (fields " +
                                 std::to_string(index[c] + 1) + " and " + std::to_string(i + 1) + ")");
            index[c] = i;
        }
        if (index[c] == header.size() && c >= required.size()) {
            table.present[c] = false;
        } else if (index[c] == header.size()) {
            std::string names;
            for (size_t i = 0; i < header.size(); ++i) names += (i ? ", " : "") + header[i];
            throw InputError(path + ": no column '" + columns[c] + "' (columns: " + shortened(names, kMaxEchoedListChars) +
                             ")" + header_separator_hint(header_line, columns[c], table.format.separator));
        }
    }

    table.cells.assign(columns.size(), {});
    std::vector<std::string> fields;
    std::string line;
    long line_number = 1;
    long first_pending_blank = 0;  // first of a run of blank lines: a fault only if data follows
    while (std::getline(in, line)) {
        ++line_number;
        strip_line_end(&line);
        if (trim(line).empty()) {
            if (!first_pending_blank) first_pending_blank = line_number;
            continue;
        }
        if (first_pending_blank) {
            if (header.size() == 1)
                throw InputError(at_line(path, first_pending_blank) + "empty value in column '" + header[0] + "'");
            throw InputError(at_line(path, first_pending_blank) + "blank line inside the data (the header has " +
                             plural(header.size(), "field") + ")");
        }
        const std::string problem = split_record(line, separator, &fields);
        if (!problem.empty()) throw InputError(at_line(path, line_number) + problem);
        if (fields.size() != header.size())
            throw InputError(at_line(path, line_number) + plural(fields.size(), "field") + ", the header has " +
                             std::to_string(header.size()) + width_hint(line, fields, header.size(), table.format));
        for (size_t c = 0; c < columns.size(); ++c)
            if (table.present[c]) table.cells[c].push_back(fields[index[c]]);
        table.lines.push_back(line_number);
    }
    if (in.bad()) throw InputError(path + ": cannot read");
    if (table.lines.empty()) throw InputError(path + ": no data rows");
    return table;
}

std::vector<double> csv_numbers(const CsvColumns& table, size_t column) {
    const std::string& name = table.names.at(column);
    const std::vector<std::string>& cells = table.cells.at(column);
    std::vector<double> values(cells.size());
    for (size_t r = 0; r < cells.size(); ++r) {
        const std::string& text = cells[r];
        if (text.empty()) throw InputError(at_line(table.path, table.lines[r]) + "empty value in column '" + name + "'");
        const NumberText why = classify_number(text, table.format.decimal, &values[r]);
        if (why != NumberText::kNumber)
            throw InputError(at_line(table.path, table.lines[r]) + "'" + shortened(text, kMaxEchoedCellChars) +
                             "' in column '" + name + "' is not a number" + number_hint(text, why, table.format));
    }
    return values;
}

std::vector<double> read_csv_column(const std::string& path, const std::string& column, const CsvFormat& format) {
    return csv_numbers(read_csv_columns(path, {column}, format), 0);
}

}  // namespace v2g
