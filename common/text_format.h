// text_format.h: numbers for people in progress lines and summaries: printf into a string,
// rates with k/M/G suffixes, byte counts, durations as 1.23s / 4m05s / 2h03m.
#pragma once
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <string>

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

}  // namespace v2g
