// text_format.h: numbers for people in progress lines and summaries: printf into a string,
// rates with k/M/G suffixes, byte counts, durations as 1.23s / 4m05s / 2h03m, a table's
// numbers, and tables printed with aligned columns.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

namespace v2g {

constexpr double kSecondsPerMinute = 60.0;
constexpr double kSecondsPerHour = 3600.0;

inline std::string strprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
inline std::string strprintf(const char* fmt, ...) {
    char buf[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    return buf;
}

// 1234567 -> "1.23M": rates span many orders of magnitude (one core to a whole GPU).
inline std::string human_rate(double v) {
    const char* suffix[] = {"", "k", "M", "G", "T"};
    constexpr double kStep = 1000.0;
    int i = 0;
    while (std::fabs(v) >= kStep && i < 4) {
        v /= kStep;
        ++i;
    }
    return strprintf("%.3g%s", v, suffix[i]);
}

// 1.5e9 -> "1.5 GB" (decimal units, as disks and GPU specs state them).
inline std::string human_bytes(double bytes) {
    const char* suffix[] = {"B", "kB", "MB", "GB", "TB"};
    constexpr double kStep = 1000.0;
    int i = 0;
    while (bytes >= kStep && i < 4) {
        bytes /= kStep;
        ++i;
    }
    return strprintf(i == 0 ? "%.0f %s" : "%.3g %s", bytes, suffix[i]);
}

// A configured value echoed in a one-line message is cut to this many characters ("..." marks
// the cut), so that the line stays readable.
constexpr size_t kMaxEchoedValueChars = 40;
inline std::string shortened(const std::string& s, size_t max_chars = kMaxEchoedValueChars) {
    return s.size() <= max_chars ? s : s.substr(0, max_chars) + "...";
}


inline std::string human_duration(double s) {
    if (!std::isfinite(s) || s < 0) return "?";
    if (s < kSecondsPerMinute) return strprintf("%.2fs", s);
    const long total = std::lround(s);
    if (s < kSecondsPerHour) return strprintf("%ldm%02lds", total / 60, total % 60);
    return strprintf("%ldh%02ldm", total / 3600, total / 60 % 60);
}

// A number in a table: an exact zero is "0", NaN "n/a", four significant digits in plain
// notation from 1e-3 to 1e6, and the exponent only outside that range, where plain digits
// would be all zeros or too wide to read.
constexpr double kPlainNotationMin = 1e-3;
constexpr double kPlainNotationMax = 1e6;
inline std::string table_number(double x) {
    if (std::isnan(x)) return "n/a";
    if (x == 0.0) return "0";
    const double a = std::fabs(x);
    if (a >= kPlainNotationMin && a < kPlainNotationMax) {
        // %.4g, without its switch to the exponent below 1e-4: digits after the point for four
        // significant ones.
        const int digits = std::max(0, 3 - static_cast<int>(std::floor(std::log10(a))));
        std::string s = strprintf("%.*f", digits, x);
        if (s.find('.') != std::string::npos) {  // trailing zeros say nothing
            s.erase(s.find_last_not_of('0') + 1);
            if (s.back() == '.') s.pop_back();
        }
        return s;
    }
    return strprintf("%.3g", x);
}

// Rows of cells printed with every column as wide as its widest cell, two spaces apart, each
// row indented by `indent` spaces: the columns `left` marks left-aligned (names), the others
// right-aligned (numbers); by default only the first.
inline void print_table(std::FILE* out, const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& left = {true}, int indent = 0) {
    std::vector<size_t> width;
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size(); ++c) {
            if (width.size() <= c) width.push_back(0);
            width[c] = std::max(width[c], row[c].size());
        }
    for (const auto& row : rows) {
        std::string line(static_cast<size_t>(indent), ' ');
        for (size_t c = 0; c < row.size(); ++c) {
            const std::string pad(width[c] - row[c].size(), ' ');
            line += c < left.size() && left[c] ? row[c] + pad : pad + row[c];
            if (c + 1 < row.size()) line += "  ";
        }
        line.erase(line.find_last_not_of(' ') + 1);
        std::fprintf(out, "%s\n", line.c_str());
    }
}

}  // namespace v2g
