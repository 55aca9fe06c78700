// csv_timestamps.cpp: ISO 8601 times and the one-hour step check of a CSV signal file's
// timestamp column (see csv_timestamps.h; docs/DATA.md, "Timestamps").
#include "problem/csv_timestamps.h"

#include <cctype>

#include "common/errors.h"
#include "common/text_format.h"

namespace v2g {
namespace {

constexpr int kMonthsPerYear = 12;
constexpr int kHoursPerDay = 24;
constexpr int kMinutesPerHour = 60;
constexpr int kWholeSecondsPerMinute = 60;
constexpr int64_t kWholeSecondsPerHour = 3600;
constexpr int64_t kSecondsPerDay = 86400;
// UTC offsets in use run from -12:00 (Baker Island) to +14:00 (Line Islands, Kiribati): IANA
// time zone database.
constexpr int kMaxOffsetHours = 14;
// A time echoed in a message is cut to this many characters (error lines stay short).
constexpr size_t kMaxEchoedTimeChars = 40;

// Months in which daylight saving starts or ends somewhere: March and October (the EU: last
// Sundays, Directive 2000/84/EC), March and November (the US: second Sunday of March, first of
// November, Energy Policy Act 2005), April, September and October (Australia, New Zealand,
// Chile). A 1 h gap or repeat at night in one of these is most likely such a change.
constexpr int kDstMonths[] = {3, 4, 9, 10, 11};
// Clocks change at night: 01:00-03:00 local in Europe (01:00 UTC), 02:00 in North America and
// Oceania, midnight in Chile; the hour before the skipped or repeated one is then between 23:00
// and 03:00.
constexpr int kDstNightFirstHour = 23;
constexpr int kDstNightLastHour = 3;

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int year, int month) {
    constexpr int kDays[kMonthsPerYear] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar (H. Hinnant,
// "chrono-Compatible Low-Level Date Algorithms", days_from_civil).
int64_t days_from_civil(int year, int month, int day) {
    const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// Reads exactly `digits` decimal digits at text[*at]; false if they are not there.
bool read_digits(const std::string& text, size_t* at, int digits, int* value) {
    if (*at + digits > text.size()) return false;
    int v = 0;
    for (int i = 0; i < digits; ++i) {
        const char c = text[*at + i];
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        v = v * 10 + (c - '0');
    }
    *at += digits;
    *value = v;
    return true;
}

bool read_char(const std::string& text, size_t* at, char c) {
    if (*at >= text.size() || text[*at] != c) return false;
    ++*at;
    return true;
}

std::string at_line(const std::string& path, long line) { return path + ":" + std::to_string(line) + ": "; }

std::string echoed(const std::string& s) { return shortened(s, kMaxEchoedTimeChars); }

// "2 h", "30 min", "-1 h", "90 s".
std::string duration_text(int64_t seconds) {
    if (seconds % kWholeSecondsPerHour == 0) return std::to_string(seconds / kWholeSecondsPerHour) + " h";
    if (seconds % kWholeSecondsPerMinute == 0) return std::to_string(seconds / kWholeSecondsPerMinute) + " min";
    return std::to_string(seconds) + " s";
}

bool in_dst_month(int month) {
    for (int m : kDstMonths)
        if (m == month) return true;
    return false;
}

// Whether a wall-clock step from `prev` of `step` seconds looks like a daylight-saving change
// written in local time: one hour skipped (a 2 h step) or repeated (a 0 h step), at night, in
// a month with such changes.
bool looks_like_dst(const IsoTime& prev, int64_t step) {
    const bool night = prev.hour >= kDstNightFirstHour || prev.hour <= kDstNightLastHour;
    return (step == 0 || step == 2 * kWholeSecondsPerHour) && night && in_dst_month(prev.month);
}

}  // namespace

bool parse_iso_time(const std::string& text, IsoTime* time) {
    IsoTime t;
    size_t at = 0;
    if (!read_digits(text, &at, 4, &t.year) || !read_char(text, &at, '-') || !read_digits(text, &at, 2, &t.month) ||
        !read_char(text, &at, '-') || !read_digits(text, &at, 2, &t.day))
        return false;
    if (!(read_char(text, &at, 'T') || read_char(text, &at, ' '))) return false;
    if (!read_digits(text, &at, 2, &t.hour) || !read_char(text, &at, ':') || !read_digits(text, &at, 2, &t.minute))
        return false;
    if (read_char(text, &at, ':') && !read_digits(text, &at, 2, &t.second)) return false;
    if (read_char(text, &at, 'Z')) {
        t.has_offset = true;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        const int sign = text[at] == '+' ? 1 : -1;
        ++at;
        int hours = 0, minutes = 0;
        if (!read_digits(text, &at, 2, &hours) || !read_char(text, &at, ':') || !read_digits(text, &at, 2, &minutes))
            return false;
        if (hours > kMaxOffsetHours || minutes >= kMinutesPerHour) return false;
        t.has_offset = true;
        t.offset_minutes = sign * (hours * kMinutesPerHour + minutes);
    }
    if (at != text.size()) return false;
    if (t.month < 1 || t.month > kMonthsPerYear || t.day < 1 || t.day > days_in_month(t.year, t.month)) return false;
    if (t.hour >= kHoursPerDay || t.minute >= kMinutesPerHour || t.second >= kWholeSecondsPerMinute) return false;
    *time = t;
    return true;
}

int64_t wall_clock_seconds(const IsoTime& t) {
    return days_from_civil(t.year, t.month, t.day) * kSecondsPerDay + t.hour * kWholeSecondsPerHour +
           t.minute * kWholeSecondsPerMinute + t.second;
}

int64_t utc_seconds(const IsoTime& t) {
    return wall_clock_seconds(t) - static_cast<int64_t>(t.offset_minutes) * kWholeSecondsPerMinute;
}

HourlyTimes check_hourly_times(const std::string& path, const std::string& column,
                               const std::vector<std::string>& texts, const std::vector<long>& lines) {
    HourlyTimes out;
    IsoTime prev;
    for (size_t r = 0; r < texts.size(); ++r) {
        const std::string& text = texts[r];
        const std::string where = at_line(path, lines[r]);
        IsoTime t;
        if (text.empty()) throw InputError(where + "empty value in column '" + column + "'");
        if (!parse_iso_time(text, &t))
            throw InputError(where + "'" + echoed(text) + "' in column '" + column +
                             "' is not a time (expected ISO 8601 YYYY-MM-DD HH:MM[:SS], optionally with Z or +HH:MM)");
        if (r == 0) {
            if (t.hour != 0 || t.minute != 0 || t.second != 0)
                throw InputError(where + "the first row is at " + echoed(text) +
                                 ": the rows must start at 00:00 (row t is clock hour t mod 24)");
            out.first_text = text;
            out.first = t;
            out.utc_offsets = t.has_offset;
            prev = t;
            continue;
        }
        // The row before is on the line before: blank lines inside the data are refused.
        const std::string before = echoed(texts[r - 1]);
        if (t.has_offset != out.utc_offsets)
            throw InputError(where + echoed(text) + (t.has_offset ? " has a" : " has no") + " UTC offset, " + before +
                             (out.utc_offsets ? " has one" : " has none") + ": give every time with one, or none");
        const int64_t step = out.utc_offsets ? utc_seconds(t) - utc_seconds(prev)
                                             : wall_clock_seconds(t) - wall_clock_seconds(prev);
        if (step != kWholeSecondsPerHour) {
            std::string problem;
            if (step == 0) problem = echoed(text) + " repeats " + before;
            else if (step < 0) problem = echoed(text) + " comes " + duration_text(-step) + " before " + before;
            else problem = echoed(text) + " follows " + before + ": a " + duration_text(step) + " step";
            problem += ", rows must be 1 h apart";
            if (!out.utc_offsets && looks_like_dst(prev, step))
                problem += " (looks like a daylight-saving change: give UTC offsets or UTC times)";
            throw InputError(where + problem);
        }
        prev = t;
    }
    return out;
}

}  // namespace v2g
