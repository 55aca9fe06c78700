// csv_signals.cpp: the CSV source of the price, load and PV series (see csv_signals.h). Each
// value is checked against a physical range after its unit conversion, so that a file in
// another unit than declared (EUR/MWh read as $/kWh), or garbage (1e300), is refused with its
// line instead of training on it (issue 14, class 4).
#include "problem/csv_signals.h"

#include <string>
#include <utility>

#include "problem/csv_timestamps.h"
#include "common/errors.h"
#include "problem/price_unit.h"
#include "common/text_format.h"

namespace v2g {
namespace {

// Price per kWh, in the price unit's currency: the EU day-ahead market clears between -500 and
// +4,000 EUR/MWh (the SDAC harmonised minimum and maximum clearing prices, ACER Decision
// 01/2023), -0.5 to 4 per kWh; ERCOT's system-wide offer cap is $5,000/MWh (PUCT, 2022);
// retail tariffs are below 1 per kWh. A wide margin on both, and still a price in /MWh read as
// /kWh (tens to hundreds) is refused.
constexpr double kMinPricePerKwh = -5.0;
constexpr double kMaxPricePerKwh = 10.0;
// Load (kWh per hour = kW): consumption, not negative (a net load with PV subtracted is not
// this series); at most 10 TW, more than the world's installed generating capacity (about
// 9 TW in 2023).
constexpr double kMinLoadKw = 0.0;
constexpr double kMaxLoadKw = 1e10;
// PV output (W per kW peak): 1 kWp is rated at 1,000 W/m2 (standard test conditions,
// IEC 61215), and hourly irradiance on the ground stays below ~1,200 W/m2 (the solar constant
// above the atmosphere is 1,361 W/m2), so no hour yields 1.5 kW per kWp. CityLearn's
// Building_1 peaks at 976 W/kW.
constexpr double kMinPvWPerKwp = 0.0;
constexpr double kMaxPvWPerKwp = 1500.0;
// One signal's column: what it is called in messages, its file and column, its range.
struct SignalColumn {
    const char* what;  // "price"
    const std::string& path;
    const std::string& column;
    double to_base = 1.0;       // file unit -> base unit
    std::string unit;           // the file's unit: "EUR/MWh"
    std::string base_unit;      // the unit the range is in: "EUR/kWh"
    double lo = 0.0, hi = 0.0;  // the range, in base_unit
    const char* hint;           // appended to an out-of-range message
};

// The first file read with timestamps, to which the others must be aligned.
struct FirstTimes {
    std::string path;
    HourlyTimes times;
};

std::vector<double> read_signal(const Config& cfg, const CsvFormat& format, const SignalColumn& s,
                                FirstTimes* first) {
    std::vector<std::string> columns = {s.column};
    const bool timed = !cfg.signals.timestamp_column.empty();
    if (timed) columns.push_back(cfg.signals.timestamp_column);
    const CsvColumns table = read_csv_columns(s.path, columns, format);
    std::vector<double> values = csv_numbers(table, 0);
    for (size_t r = 0; r < values.size(); ++r) {
        const double v = values[r] * s.to_base;
        if (v >= s.lo && v <= s.hi) {
            values[r] = v;
            continue;
        }
        const std::string converted = s.to_base == 1.0 ? "" : " (" + strprintf("%g", v) + " " + s.base_unit + ")";
        throw InputError(s.path + ":" + std::to_string(table.lines[r]) + ": " + s.what + " " +
                         strprintf("%g", values[r]) + " " + s.unit + converted + " is outside [" +
                         strprintf("%g", s.lo) + ", " + strprintf("%g", s.hi) + "] " + s.base_unit + s.hint);
    }
    if (timed) {
        const HourlyTimes times = check_hourly_times(s.path, cfg.signals.timestamp_column, table.cells[1], table.lines);
        if (first->path.empty()) {
            *first = {s.path, times};
        } else {
            // Both with offsets: the same instant; otherwise the same wall-clock hour.
            const bool utc = times.utc_offsets && first->times.utc_offsets;
            const bool same = utc ? utc_seconds(times.first) == utc_seconds(first->times.first)
                                  : wall_clock_seconds(times.first) == wall_clock_seconds(first->times.first);
            if (!same)
                throw InputError(s.path + ": starts at " + times.first_text + ", " + first->path + " at " +
                                 first->times.first_text + ": the CSV files must start at the same hour");
        }
    }
    return values;
}

}  // namespace

CsvHourly read_csv_signals(const Config& cfg) {
    if (cfg.signals.price_csv.empty())
        throw InputError("signals.price_csv is empty: signals.source = csv needs a file");
    const CsvFormat format = csv_format(cfg);
    const PriceUnit unit = price_unit(cfg.signals.price_unit);
    const std::string per_kwh = std::string(unit.currency) + "/kWh";
    FirstTimes first;
    CsvHourly out;
    out.price_per_kwh =
        read_signal(cfg, format,
                    {"price", cfg.signals.price_csv, cfg.signals.price_column, unit.to_per_kwh,
                     choice_name(cfg.signals.price_unit), per_kwh, kMinPricePerKwh, kMaxPricePerKwh, " (wrong signals.price_unit?)"},
                    &first);
    if (!cfg.signals.load_csv.empty())
        out.load_kw = read_signal(cfg, format,
                                  {"load", cfg.signals.load_csv, cfg.signals.load_column, 1.0, "kW", "kW", kMinLoadKw,
                                   kMaxLoadKw, " (the column must be kWh per hour, i.e. kW)"},
                                  &first);
    if (!cfg.signals.pv_csv.empty())
        out.pv_w_per_kwp = read_signal(cfg, format,
                                       {"PV", cfg.signals.pv_csv, cfg.signals.pv_column, 1.0, "W per kWp", "W per kWp",
                                        kMinPvWPerKwp, kMaxPvWPerKwp, " (the column must be W per kW peak)"},
                                       &first);
    return out;
}

}  // namespace v2g
