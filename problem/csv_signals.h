// csv_signals.h: the hourly price, load and PV series of signals.source = "csv": read from
// their files in the declared format (signals.csv_separator, csv_decimal), checked against
// their timestamps (signals.timestamp_column), converted to the engine's units
// (signals.price_unit) and checked against physical ranges. make_signals (signals.h) cuts them
// into episode windows. The rules: docs/DATA.md, "CSV files".
#pragma once
#include <vector>
#include "config/config.h"
#include "problem/csv_reader.h"

namespace v2g {


// Hourly calendar series, row t = clock hour t mod 24 of day t / 24; empty when the config
// names no file for it (make_signals then uses the synthetic series).
struct CsvHourly {
    std::vector<double> price_per_kwh;  // in the price unit's currency (currency_label)
    std::vector<double> load_kw;        // kWh per hour = mean kW
    std::vector<double> pv_w_per_kwp;   // W per kW peak, as the files (CityLearn) give it
};

// Reads signals.price_csv (required), load_csv and pv_csv. Throws InputError with one line
// naming the file and line, or the key.
CsvHourly read_csv_signals(const Config& cfg);

}  // namespace v2g
