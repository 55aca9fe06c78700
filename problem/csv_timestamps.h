// csv_timestamps.h: the optional timestamp column of the CSV signal files
// (signals.timestamp_column). Row t of a signal file is taken as hour t of the series, so a
// missing, repeated or out-of-order hour (a daylight-saving change written in local time, a gap
// in an export) would shift every later row; with timestamps such a file is refused instead.
// Nothing is filled in. The rules: docs/DATA.md, "Timestamps".
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace v2g {

// One ISO 8601 date-time: "YYYY-MM-DD HH:MM[:SS]" or with 'T' between date and time,
// optionally followed by "Z" or a UTC offset "+HH:MM" / "-HH:MM".
struct IsoTime {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    bool has_offset = false;  // "Z" or an offset was written
    int offset_minutes = 0;   // local time minus UTC
};

// Parses the whole of `text`; false when it is not such a time or names no real date or time.
bool parse_iso_time(const std::string& text, IsoTime* time);

// Seconds from 1970-01-01 00:00 to the time as written on the wall clock (the offset ignored).
int64_t wall_clock_seconds(const IsoTime& t);
// Seconds from 1970-01-01 00:00 UTC to the instant it names: the wall clock minus the offset.
int64_t utc_seconds(const IsoTime& t);

// What check_hourly_times found.
struct HourlyTimes {
    std::string first_text;  // the first row's time as written
    IsoTime first;
    bool utc_offsets = false;  // every row carries "Z" or an offset
};

// Checks the timestamp column `column` of `path` (`texts` one per row, `lines` the rows' lines
// in the file): every cell a time (parse_iso_time); all with a UTC offset or none; the first
// row at 00:00 (row t is clock hour t mod 24); each row exactly one hour after the one before,
// compared as UTC instants when the times carry offsets (so a daylight-saving change written
// with offsets is fine) and on the wall clock otherwise. Throws InputError with one line
// naming the line and both times; a 1 h gap or repeat at night in a month with daylight-saving
// changes says that it looks like one and how to write the times instead.
HourlyTimes check_hourly_times(const std::string& path, const std::string& column,
                               const std::vector<std::string>& texts, const std::vector<long>& lines);

}  // namespace v2g
