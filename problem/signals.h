// signals.h: owns the per-step exogenous signals of every episode day (retail and feed-in
// price, grid load, PV output per kWp): built-in synthetic generators fitted to the CityLearn
// data (the default), or hourly series read from CSV files (csv_signals.h, with the strict
// reader of csv_reader.h, which this header also gives its callers).
#pragma once
#include <string>
#include <vector>
#include "config/config.h"
#include "problem/csv_reader.h"

namespace v2g {

// Each vector holds days * steps_per_day values, [day * steps_per_day + step]; day d's window
// starts at clock hour cfg.time.day_start_hour of day d and lasts 24 h.
struct SignalSeries {
    int days = 0;
    int steps_per_day = 0;
    std::vector<float> retail_price_per_kwh;   // currency/kWh (currency_label, price_unit.h)
    std::vector<float> feed_in_price_per_kwh;  // currency/kWh, retail * signals.feed_in_ratio
    std::vector<float> grid_load_kw;           // building/system load (kW)
    std::vector<float> grid_stress_kw;         // the load's mean daily shape x the day's mean load (kW):
                                               //   what a feeder of many such loads sees; calls DR events
    std::vector<float> pv_kw_per_kwp;          // PV output per kW peak installed (kW/kWp)
};

// cfg.signals.source: "synthetic" (cfg.signals.days days, all randomness from Philox with
// cfg.run.seed) or "csv" (hourly files; an empty load_csv / pv_csv falls back to the synthetic
// series for that signal). Throws InputError naming the file or key at fault.
SignalSeries make_signals(const Config& cfg);

}  // namespace v2g
