// data_test_helpers.h: what the data-layer tests (test_csv.cpp, test_csv_signals.cpp,
// test_signals.cpp) share: the data files in ../shared/data, temporary files, the one-line
// InputError of a call, and real-world-shaped CSV exports of a price series.
#pragma once
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <numeric>
#include <sstream>
#include <string>
#include <utility>
#include <vector>
#include "config/config.h"
#include "problem/csv_reader.h"
#include "problem/csv_timestamps.h"
#include "common/errors.h"
#include "problem/price_unit.h"
#include "problem/fleet_mix.h"
#include "problem/problem.h"
#include "env/layout.h"
#include "problem/sessions.h"
#include "problem/signals.h"
#include "env/session.h"

namespace v2g::testing {

const std::string kData = V2G_DATA_DIR;
const std::string kPricing = kData + "/citylearn/pricing.csv";
const std::string kBuilding = kData + "/citylearn/Building_1.csv";
const std::string kArrival = kData + "/ev2gym/distribution-of-arrival.csv";
const std::string kConnection = kData + "/ev2gym/distribution-of-connection-time.csv";
const std::string kDemand = kData + "/ev2gym/distribution-of-energy-demand.csv";
const std::string kSpecs = kData + "/ev2gym/ev_specs_v2g_enabled2024.json";
constexpr size_t kHoursPerYear = 8760;


// A file in the temp directory, removed when the test ends.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& name, const std::string& text) {
        path = ::testing::TempDir() + "v2g_" + std::to_string(::getpid()) + "_" + name;
        std::ofstream(path, std::ios::binary) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

// The InputError message of f(), or "" when nothing (or something else) was thrown.
template <typename F>
inline std::string input_error_of(F f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

// read_csv_column's InputError for a file of `text`, the file's path cut from its front, so
// that it reads ":line: ..." ("" when the file reads).
inline std::string csv_error(const std::string& name, const std::string& text, const std::string& column,
                             const CsvFormat& format = {}) {
    TempFile f(name, text);
    const std::string msg = input_error_of([&] { read_csv_column(f.path, column, format); });
    return msg.rfind(f.path, 0) == 0 ? msg.substr(f.path.size()) : msg;
}

inline bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

// ------------------------------------------------------------------ CSV files as exported
// Real-world exports (issue 14, class 4): spreadsheets in European locales write ';' and
// decimal commas, often with a BOM and CRLF line ends; market data comes in EUR/MWh; local
// timestamps skip or repeat an hour at daylight-saving changes. Each must load right or be
// refused with one line naming the file and line, never be read silently wrong.

// The hourly price of row r of the test series ($/kWh): a daily shape and a slow drift.
inline double price_of_row(int r) { return 0.1 + 0.005 * (r % 24) + 0.001 * (r / 24); }

// UTC seconds of a calendar hour.
inline int64_t utc_of(int year, int month, int day, int hour) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    return static_cast<int64_t>(timegm(&tm));
}

// The wall clock at UTC instant `utc` with UTC offset `offset_minutes`, "2023-03-26T03:00",
// followed by the offset ("+02:00") when `with_offset`.
inline std::string iso_text(int64_t utc, int offset_minutes, bool with_offset) {
    const time_t wall = static_cast<time_t>(utc + offset_minutes * 60);
    std::tm tm{};
    gmtime_r(&wall, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M", &tm);
    std::string s = buf;
    if (with_offset) {
        const int a = std::abs(offset_minutes);
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60, a % 60);
        s += buf;
    }
    return s;
}

// Central European Time in 2023: +01:00, and +02:00 from 26 March to 29 October, 01:00 UTC
// (the last Sundays of March and October, Directive 2000/84/EC).
inline int cet_offset_minutes(int64_t utc) {
    return utc >= utc_of(2023, 3, 26, 1) && utc < utc_of(2023, 10, 29, 1) ? 120 : 60;
}

// How a test export is written.
// Hourly Central European times from `start` (UTC), written with or without their offset.
inline std::function<std::string(int)> cet_hours(int64_t start, bool with_offset) {
    return [start, with_offset](int r) {
        const int64_t t = start + 3600 * static_cast<int64_t>(r);
        return iso_text(t, cet_offset_minutes(t), with_offset);
    };
}

struct Export {
    char separator = ',';
    char decimal = '.';
    double scale = 1.0;  // 1000: /MWh, 100: cents
    bool bom = false;
    std::string line_end = "\n";
    std::function<std::string(int)> time;  // row -> its time; default: local hours from 2023-01-01
};

// What a spreadsheet in a European locale writes: ';', decimal commas, a BOM, CRLF line ends.
inline Export european_export() {
    Export e;
    e.separator = ';';
    e.decimal = ',';
    e.bom = true;
    e.line_end = "\r\n";
    return e;
}

// A CSV format that differs from the default in its separator, or in its decimal mark.
inline CsvFormat separated_by(char separator) {
    CsvFormat f;
    f.separator = separator;
    return f;
}
inline CsvFormat decimal_mark(char decimal) {
    CsvFormat f;
    f.decimal = decimal;
    return f;
}

inline std::string number_text(double v, char decimal) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    std::string s = buf;
    for (char& c : s)
        if (c == '.') c = decimal;
    return s;
}

// A file with a header "time<sep>price" and `hours` rows of the test series.
inline std::string price_export(int hours, const Export& e) {
    std::string out = e.bom ? "\xEF\xBB\xBF" : "";
    out += std::string("time") + e.separator + "price" + e.line_end;
    for (int r = 0; r < hours; ++r) {
        const std::string t = e.time ? e.time(r) : iso_text(utc_of(2023, 1, 1, 0) + 3600 * r, 0, false);
        out += t + e.separator + number_text(price_of_row(r) * e.scale, e.decimal) + e.line_end;
    }
    return out;
}

// signals.source = csv on one price file, windows from midnight.
inline Config csv_config(const std::string& price_csv) {
    Config cfg;
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = price_csv;
    cfg.signals.price_column = "price";
    cfg.time.day_start_hour = 0;
    return cfg;
}


inline Config synthetic_config(uint64_t seed, int days) {
    Config cfg;
    cfg.run.seed = seed;
    cfg.signals.days = days;
    return cfg;
}

}  // namespace v2g::testing
