// test_signals.cpp: the synthetic signal generators, the session model and the fleet mix,
// checked against the data files in ../shared/data (V2G_DATA_DIR) where a fitted constant
// stands in for them.
#include "tests/data_test_helpers.h"

namespace v2g {
namespace {

using namespace v2g::testing;

// ------------------------------------------------------------------------ synthetic signals


TEST(SyntheticSignals, ShapesAndRanges) {
    for (double step_hours : {1.0, 0.5, 0.25}) {
        Config cfg = synthetic_config(1, 30);
        cfg.time.step_hours = step_hours;
        const SignalSeries s = make_signals(cfg);
        const size_t n = static_cast<size_t>(30 * cfg.steps_per_day());
        EXPECT_EQ(s.days, 30);
        EXPECT_EQ(s.steps_per_day, cfg.steps_per_day());
        ASSERT_EQ(s.retail_price_per_kwh.size(), n);
        ASSERT_EQ(s.feed_in_price_per_kwh.size(), n);
        ASSERT_EQ(s.grid_load_kw.size(), n);
        ASSERT_EQ(s.pv_kw_per_kwp.size(), n);
        for (size_t i = 0; i < n; ++i) {
            EXPECT_GT(s.retail_price_per_kwh[i], 0.0f);
            EXPECT_FLOAT_EQ(s.feed_in_price_per_kwh[i], s.retail_price_per_kwh[i] * 0.5f);
            EXPECT_GT(s.grid_load_kw[i], 0.0f);
            EXPECT_GE(s.pv_kw_per_kwp[i], 0.0f);
            EXPECT_LE(s.pv_kw_per_kwp[i], 1.0f);
        }
    }
}

TEST(SyntheticSignals, DeterministicPerSeedDifferentAcrossSeeds) {
    const SignalSeries a = make_signals(synthetic_config(5, 20));
    const SignalSeries b = make_signals(synthetic_config(5, 20));
    const SignalSeries c = make_signals(synthetic_config(6, 20));
    EXPECT_EQ(a.retail_price_per_kwh, b.retail_price_per_kwh);
    EXPECT_EQ(a.grid_load_kw, b.grid_load_kw);
    EXPECT_EQ(a.pv_kw_per_kwp, b.pv_kw_per_kwp);
    EXPECT_NE(a.retail_price_per_kwh, c.retail_price_per_kwh);
    EXPECT_NE(a.grid_load_kw, c.grid_load_kw);
    EXPECT_NE(a.pv_kw_per_kwp, c.pv_kw_per_kwp);
}

TEST(SyntheticSignals, ZeroPriceNoiseGivesIdenticalDays) {
    Config cfg = synthetic_config(9, 10);
    cfg.signals.price_noise = 0.0;
    const SignalSeries s = make_signals(cfg);
    const int steps = s.steps_per_day;
    for (int d = 1; d < s.days; ++d)
        for (int k = 0; k < steps; ++k)
            ASSERT_EQ(s.retail_price_per_kwh[d * steps + k], s.retail_price_per_kwh[k]) << "day " << d << " step " << k;
    // ... while the default noise makes the days differ.
    const SignalSeries noisy = make_signals(synthetic_config(9, 10));
    EXPECT_NE(noisy.retail_price_per_kwh[0], noisy.retail_price_per_kwh[steps]);
}

TEST(SyntheticSignals, QuarterHourStepsRepeatTheHour) {
    Config hourly = synthetic_config(3, 5);
    Config quarter = hourly;
    quarter.time.step_hours = 0.25;
    const SignalSeries h = make_signals(hourly);
    const SignalSeries q = make_signals(quarter);
    for (size_t i = 0; i < h.retail_price_per_kwh.size(); ++i)
        for (int j = 0; j < 4; ++j) {
            ASSERT_FLOAT_EQ(q.retail_price_per_kwh[4 * i + j], h.retail_price_per_kwh[i]);
            ASSERT_FLOAT_EQ(q.grid_load_kw[4 * i + j], h.grid_load_kw[i]);
            ASSERT_FLOAT_EQ(q.pv_kw_per_kwp[4 * i + j], h.pv_kw_per_kwp[i]);
        }
}

// Mean by clock hour of an hourly CityLearn column (row i = clock hour i % 24).
std::vector<double> data_hour_means(const std::vector<double>& v) {
    std::vector<double> sum(24, 0.0), count(24, 0.0);
    for (size_t i = 0; i < v.size(); ++i) {
        sum[i % 24] += v[i];
        count[i % 24] += 1.0;
    }
    for (int h = 0; h < 24; ++h) sum[h] /= count[h];
    return sum;
}

// Mean by clock hour of a generated series whose windows start at cfg.time.day_start_hour.
std::vector<double> series_hour_means(const std::vector<float>& v, const Config& cfg, int days) {
    std::vector<double> sum(24, 0.0);
    const int steps = cfg.steps_per_day();
    for (int d = 0; d < days; ++d)
        for (int k = 0; k < steps; ++k) {
            const int clock = (cfg.time.day_start_hour + static_cast<int>(k * cfg.time.step_hours)) % 24;
            sum[clock] += v[static_cast<size_t>(d) * steps + k] * cfg.time.step_hours / days;
        }
    return sum;
}

TEST(SyntheticSignals, PriceHourProfileMatchesCityLearn) {
    constexpr int kDays = 3650;  // ten years
    const Config cfg = synthetic_config(1, kDays);
    const SignalSeries s = make_signals(cfg);
    const std::vector<double> data = data_hour_means(read_csv_column(kPricing, "electricity_pricing"));
    const std::vector<double> synth = series_hour_means(s.retail_price_per_kwh, cfg, kDays);
    // The level: the autocorrelated day factor leaves ~2-3 % sampling error in ten years.
    const double data_mean = std::accumulate(data.begin(), data.end(), 0.0) / 24.0;
    const double synth_mean = std::accumulate(synth.begin(), synth.end(), 0.0) / 24.0;
    EXPECT_NEAR(synth_mean, data_mean, 0.08 * data_mean);
    // The shape: each hour relative to the daily mean, which the day factor does not touch.
    for (int h = 0; h < 24; ++h)
        EXPECT_NEAR(synth[h] / synth_mean, data[h] / data_mean, 0.02 * data[h] / data_mean) << "clock hour " << h;
}

// Log-sd and lag-1 autocorrelation of the log of window (24 h) mean prices.
std::pair<double, double> window_log_stats(const std::vector<double>& window_means) {
    std::vector<double> l;
    for (double m : window_means) l.push_back(std::log(m));
    const double mean = std::accumulate(l.begin(), l.end(), 0.0) / l.size();
    double var = 0.0, cov = 0.0;
    for (size_t i = 0; i < l.size(); ++i) {
        var += (l[i] - mean) * (l[i] - mean);
        if (i + 1 < l.size()) cov += (l[i] - mean) * (l[i + 1] - mean);
    }
    return {std::sqrt(var / (l.size() - 1)), cov / var};
}

TEST(SyntheticSignals, PriceDayToDayVariationMatchesCityLearn) {
    // The same statistic on noon-to-noon windows of the data and of ten synthetic years.
    const std::vector<double> price = read_csv_column(kPricing, "electricity_pricing");
    std::vector<double> data_windows;
    for (size_t t0 = 12; t0 + 24 <= price.size(); t0 += 24)
        data_windows.push_back(std::accumulate(price.begin() + t0, price.begin() + t0 + 24, 0.0) / 24.0);
    constexpr int kDays = 3650;
    const SignalSeries s = make_signals(synthetic_config(4, kDays));
    std::vector<double> synth_windows;
    for (int d = 0; d < kDays; ++d)
        synth_windows.push_back(std::accumulate(s.retail_price_per_kwh.begin() + d * 24,
                                                s.retail_price_per_kwh.begin() + d * 24 + 24, 0.0) / 24.0);
    const auto [data_sd, data_ac] = window_log_stats(data_windows);
    const auto [synth_sd, synth_ac] = window_log_stats(synth_windows);
    EXPECT_NEAR(synth_sd, data_sd, 0.15 * data_sd);
    EXPECT_NEAR(synth_ac, data_ac, 0.1);
    // price_noise scales it: half the noise, about half the log-sd.
    Config half = synthetic_config(4, kDays);
    half.signals.price_noise = 0.2;
    const SignalSeries h = make_signals(half);
    std::vector<double> half_windows;
    for (int d = 0; d < kDays; ++d)
        half_windows.push_back(std::accumulate(h.retail_price_per_kwh.begin() + d * 24,
                                               h.retail_price_per_kwh.begin() + d * 24 + 24, 0.0) / 24.0);
    EXPECT_NEAR(window_log_stats(half_windows).first, 0.2, 0.03);
}

TEST(SyntheticSignals, LoadAndPvMatchCityLearnMeans) {
    constexpr int kDays = 3650;
    const Config cfg = synthetic_config(2, kDays);
    const SignalSeries s = make_signals(cfg);
    const std::vector<double> load = read_csv_column(kBuilding, "non_shiftable_load");
    const std::vector<double> pv_w = read_csv_column(kBuilding, "solar_generation");
    const double load_data = std::accumulate(load.begin(), load.end(), 0.0) / load.size();
    const double pv_data = std::accumulate(pv_w.begin(), pv_w.end(), 0.0) / pv_w.size() / 1000.0;
    const double load_synth =
        std::accumulate(s.grid_load_kw.begin(), s.grid_load_kw.end(), 0.0) / s.grid_load_kw.size();
    const double pv_synth =
        std::accumulate(s.pv_kw_per_kwp.begin(), s.pv_kw_per_kwp.end(), 0.0) / s.pv_kw_per_kwp.size();
    EXPECT_NEAR(load_synth, load_data, 0.05 * load_data);
    EXPECT_NEAR(pv_synth, pv_data, 0.05 * pv_data);
    // PV by clock hour: dark at night, peak near midday as in the data.
    const std::vector<double> pv_hour = series_hour_means(s.pv_kw_per_kwp, cfg, kDays);
    const std::vector<double> pv_hour_data = data_hour_means(pv_w);
    for (int h = 0; h < 24; ++h) EXPECT_NEAR(pv_hour[h], pv_hour_data[h] / 1000.0, 0.05) << "clock hour " << h;
    EXPECT_EQ(pv_hour[2], 0.0);
    EXPECT_GT(pv_hour[12], 0.5);
}

TEST(SyntheticSignals, BadSettings) {
    // An unknown signals.source cannot reach make_signals: it is an enum (test_config.cpp).
    Config cfg;
    cfg.signals.days = 0;
    EXPECT_NE(input_error_of([&] { make_signals(cfg); }).find("signals.days"), std::string::npos);
}

// ---------------------------------------------------------------------------- session model

// The parameters draw_session reads, for the session model of `cfg`: its steps, the seed of
// the draws and the days of the series (whose weekdays the sessions follow).
EnvParams session_params(const Config& cfg, uint64_t seed, int signal_days) {
    EnvParams p{};
    p.steps_per_day = cfg.steps_per_day();
    p.step_hours = static_cast<float>(cfg.time.step_hours);
    p.seed = seed;
    p.signal_days = signal_days;
    p.sessions = build_session_model(cfg);
    return p;
}

// Rows of a two-dimensional EV2Gym table: first column -> the charger column.
std::vector<std::pair<double, double>> table_rows(const std::string& path, const std::string& charger) {
    std::vector<double> x;
    {
        // The first column's header differs between files; read it by name from the header.
        std::ifstream in(path);
        std::string header;
        std::getline(in, header);
        const size_t q1 = header.find('"'), q2 = header.find('"', q1 + 1);
        x = read_csv_column(path, header.substr(q1 + 1, q2 - q1 - 1));
    }
    const std::vector<double> y = read_csv_column(path, charger);
    std::vector<std::pair<double, double>> rows;
    for (size_t i = 0; i < x.size(); ++i) rows.push_back({x[i], y[i]});
    return rows;
}

TEST(SessionModel, ArrivalCdfMatchesEv2GymData) {
    for (ChargerType type : every_choice<ChargerType>()) {
        const char* charger = choice_name(type);  // the data files' column
        for (double step_hours : {1.0, 0.5, 0.25}) {
            for (int start : {12, 0, 7}) {
                Config cfg;
                cfg.sessions.charger = type;
                cfg.time.step_hours = step_hours;
                cfg.time.day_start_hour = start;
                const SessionModel m = build_session_model(cfg);
                const int steps = cfg.steps_per_day();
                EXPECT_EQ(m.fixed, 0);
                EXPECT_EQ(m.arrival_cdf[steps - 1], 1.0f);
                for (int k = 1; k < steps; ++k) ASSERT_GE(m.arrival_cdf[k], m.arrival_cdf[k - 1]);
                // Independent recomputation from the file: share of arrivals within the first
                // k+1 steps of the window.
                const std::vector<double> pct = read_csv_column(kArrival, charger);
                const int slots_per_step = static_cast<int>(step_hours * 4 + 0.5);
                double acc = 0.0;
                for (int k = 0; k < steps; ++k) {
                    for (int j = 0; j < slots_per_step; ++j) acc += pct[(start * 4 + k * slots_per_step + j) % 96];
                    EXPECT_NEAR(m.arrival_cdf[k], acc / 100.0, 1e-5) << charger << " step " << k;
                }
            }
        }
    }
}

TEST(SessionModel, QuantilesMatchEv2GymData) {
    for (ChargerType type : every_choice<ChargerType>()) {
        const char* charger = choice_name(type);  // the data files' column
        Config cfg;
        cfg.sessions.charger = type;
        const SessionModel m = build_session_model(cfg);
        for (int q = 1; q < kQuantileCount; ++q) {
            EXPECT_GE(m.duration_hours_q[q], m.duration_hours_q[q - 1]);
            EXPECT_GE(m.trip_kwh_q[q], m.trip_kwh_q[q - 1]);
        }
        // Row x of the tables = value exceeded by x % of the events, so quantile p = row 100(1-p).
        for (const auto& [x, hours] : table_rows(kConnection, charger)) {
            const int pct = static_cast<int>(x + 0.5);
            if (pct % 5 != 0) continue;
            EXPECT_FLOAT_EQ(m.duration_hours_q[(100 - pct) / 5], std::min(hours, 24.0)) << charger << " row " << pct;
        }
        // The trip table is the session-energy table (capped at 77 kWh, the largest pack) scaled
        // to the mean daily distance x consumption: its shape is the data's, its mean the driving.
        std::vector<double> energy(kQuantileCount);
        for (const auto& [x, kwh] : table_rows(kDemand, charger)) {
            const int pct = static_cast<int>(x + 0.5);
            if (pct % 5 == 0) energy[(100 - pct) / 5] = std::min(kwh, 77.0);
        }
        double table_mean = 0.0, energy_mean = 0.0;
        for (int q = 0; q + 1 < kQuantileCount; ++q) {
            table_mean += 0.5 * (m.trip_kwh_q[q] + m.trip_kwh_q[q + 1]) / (kQuantileCount - 1);
            energy_mean += 0.5 * (energy[q] + energy[q + 1]) / (kQuantileCount - 1);
        }
        EXPECT_NEAR(table_mean, cfg.sessions.daily_km * cfg.fleet.consumption_kwh_per_km, 1e-4) << charger;
        for (int q = 0; q < kQuantileCount; ++q)
            EXPECT_NEAR(m.trip_kwh_q[q], energy[q] * table_mean / energy_mean, 1e-4) << charger << " q " << q;
        EXPECT_EQ(m.min_duration_steps, 1.0f);
        EXPECT_FLOAT_EQ(m.reserve_kwh, static_cast<float>(cfg.sessions.reserve_km * cfg.fleet.consumption_kwh_per_km));
    }
}

// The by-arrival means of mean-session-length-per.csv or mean-demand-per-arrival.csv for one
// charger ("home"/"public"/"work" columns), [half-hour of the day], -1 where the file has none.
std::vector<double> by_arrival(const std::string& file, int column) {
    std::ifstream in(kData + "/ev2gym/" + file);
    std::string line;
    std::getline(in, line);
    std::vector<double> out(48, -1.0);
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> cells;
        std::stringstream ss(line);
        std::string cell;
        while (std::getline(ss, cell, ',')) cells.push_back(cell);
        const std::string t = cells[0].substr(1, 5);  // "HH:MM"
        const int slot = std::stoi(t.substr(0, 2)) * 2 + std::stoi(t.substr(3, 2)) / 30;
        if (static_cast<int>(cells.size()) > column + 1 && !cells[column + 1].empty())
            out[slot] = std::stod(cells[column + 1]);
    }
    return out;
}

// Item 3 of the model: stay and trip are conditional on the arrival time. Sessions drawn from a
// window that starts at their arrival hour (so that nothing is cut at its end) reproduce the
// data's mean stay by arrival hour, and the trip energy by arrival hour follows the data's
// session energy by arrival hour (relative to its mean: the level is the mileage's).
TEST(SessionModel, ConditionalSessionsReproduceTheDataByArrivalHour) {
    const std::vector<double> stay = by_arrival("mean-session-length-per.csv", 0);  // home
    const std::vector<double> energy = by_arrival("mean-demand-per-arrival.csv", 0);
    const std::vector<double> weekday_pct = read_csv_column(kArrival, "private");
    double energy_weighted = 0.0, weights = 0.0;
    for (int j = 0; j < 96; ++j) {
        energy_weighted += weekday_pct[j] * energy[j / 2];
        weights += weekday_pct[j];
    }
    const double energy_mean = energy_weighted / weights;
    int stay_hours_checked = 0, hours_checked = 0;
    for (int hour = 0; hour < 24; ++hour) {
        // Hours with at least 1 % of the arrivals (the night's few sessions make noisy means).
        if (weekday_pct[hour * 4] + weekday_pct[hour * 4 + 1] + weekday_pct[hour * 4 + 2] + weekday_pct[hour * 4 + 3] < 1.0)
            continue;
        ++hours_checked;
        Config cfg;
        cfg.time.step_hours = 0.25;
        cfg.time.day_start_hour = hour;
        const EnvParams p = session_params(cfg, 5, 5);  // days 0-4 from a Monday: weekdays only
        // Expected: the data's half-hour means of this hour, weighted by its arrivals.
        const double w0 = weekday_pct[hour * 4] + weekday_pct[hour * 4 + 1];
        const double w1 = weekday_pct[hour * 4 + 2] + weekday_pct[hour * 4 + 3];
        const double want_stay = (w0 * stay[hour * 2] + w1 * stay[hour * 2 + 1]) / (w0 + w1);
        const double want_energy = (w0 * energy[hour * 2] + w1 * energy[hour * 2 + 1]) / (w0 + w1) / energy_mean;
        // Draw until this hour has enough arrivals (those in the window's first hour, steps 0-3).
        double stay_sum = 0.0, trip_sum = 0.0, trip_all = 0.0;
        int n = 0, all = 0;
        for (int v = 0; n < 4000 && v < 1000000; ++v) {
            const Session s = draw_session(p, SignalsView{}, v, v % 5);
            trip_all += s.trip_kwh;
            ++all;
            if (s.arrival_step >= 4) continue;
            stay_sum += (s.departure_step - s.arrival_step) * 0.25;
            trip_sum += s.trip_kwh;
            ++n;
        }
        ASSERT_GE(n, 2000) << "hour " << hour;
        const double trip_mean = cfg.sessions.daily_km * cfg.fleet.consumption_kwh_per_km;
        EXPECT_NEAR(trip_sum / n / trip_mean, want_energy, 0.06 * want_energy) << "arrivals at " << hour << ":00";
        // Stays whose scaled tail fits the day (the connection-time table ends at 24 h): a
        // longer scale would have its tail cut at the window's end.
        const double table_mean = [&] {
            double t = 0.0;
            for (int q = 0; q + 1 < kQuantileCount; ++q)
                t += 0.5 * (p.sessions.duration_hours_q[q] + p.sessions.duration_hours_q[q + 1]) / (kQuantileCount - 1);
            return t;
        }();
        if (want_stay / table_mean <= 0.95) {
            EXPECT_NEAR(stay_sum / n, want_stay, 0.06 * want_stay + 0.15) << "arrivals at " << hour << ":00";
            ++stay_hours_checked;
        }
    }
    EXPECT_GE(hours_checked, 16);
    EXPECT_GE(stay_hours_checked, 6);
}

// Weekend days draw their arrivals from distribution-of-arrival-weekend.csv.
TEST(SessionModel, WeekendDaysUseTheWeekendArrivals) {
    Config cfg;
    cfg.time.day_start_hour = 0;
    cfg.signals.first_weekday = 0;  // day 0 a Monday: days 5 and 6 are the weekend
    const EnvParams p = session_params(cfg, 9, 7);
    const std::vector<double> weekend = read_csv_column(kData + "/ev2gym/distribution-of-arrival-weekend.csv", "private");
    const std::vector<double> weekday = read_csv_column(kArrival, "private");
    for (const auto& [day, pct] : {std::pair<int, const std::vector<double>*>{5, &weekend}, {6, &weekend}, {2, &weekday}}) {
        EXPECT_EQ(is_weekend(p, day), day >= 5);
        std::vector<double> drawn(24, 0.0);
        const int n = 100000;
        for (int v = 0; v < n; ++v) drawn[draw_session(p, SignalsView{}, v, day).arrival_step] += 1.0 / n;
        for (int h = 0; h < 24; ++h) {
            const double want = ((*pct)[4 * h] + (*pct)[4 * h + 1] + (*pct)[4 * h + 2] + (*pct)[4 * h + 3]) / 100.0;
            EXPECT_NEAR(drawn[h], want, 0.004) << "day " << day << " hour " << h;
        }
    }
    // Weekends differ from weekdays: more arrivals before 10:00 on the weekend.
    double weekend_morning = 0.0, weekday_morning = 0.0;
    for (int j = 0; j < 40; ++j) {
        weekend_morning += weekend[j];
        weekday_morning += weekday[j];
    }
    EXPECT_GT(weekend_morning, weekday_morning + 3.0);
}

// Item 2 of the model: a year of daily trips adds up to the mean daily distance (CBS: 13,300 km
// a year) at the configured consumption, not to one ElaadNL session a day (~46,000 km).
TEST(SessionModel, AYearOfTripsGivesTheNationalMileage) {
    Config cfg;
    const EnvParams p = session_params(cfg, 3, 365);
    double kwh = 0.0;
    const int vehicles = 200, days = 365;
    for (int v = 0; v < vehicles; ++v)
        for (int e = 0; e < days; ++e) kwh += draw_session(p, SignalsView{}, v, e).trip_kwh;
    const double km_per_year = kwh / vehicles / cfg.fleet.consumption_kwh_per_km;
    EXPECT_NEAR(km_per_year, 365.0 * cfg.sessions.daily_km, 0.03 * 365.0 * cfg.sessions.daily_km);
    EXPECT_NEAR(365.0 * cfg.sessions.daily_km, 13300.0, 20.0);  // the default is CBS's figure
}

TEST(SessionModel, DrawnSessionsFitTheWindow) {
    for (double step_hours : {1.0, 0.25}) {
        Config cfg;
        cfg.time.step_hours = step_hours;
        const EnvParams p = session_params(cfg, 11, 7);
        const float max_trip = p.sessions.trip_kwh_q[kQuantileCount - 1] * 2.0f;  // scales stay below 2
        int evening_arrivals = 0, total = 0;
        for (int v = 0; v < 200; ++v)
            for (int e = 0; e < 50; ++e) {
                const Session s = draw_session(p, SignalsView{}, v, e);
                ASSERT_GE(s.arrival_step, 0);
                ASSERT_LT(s.arrival_step, s.departure_step);
                ASSERT_LE(s.departure_step, p.steps_per_day);
                ASSERT_GE(s.trip_kwh, 0.0f);
                ASSERT_LE(s.trip_kwh, max_trip);
                const double clock = std::fmod(12.0 + s.arrival_step * step_hours, 24.0);
                evening_arrivals += (clock >= 16.0 && clock < 24.0);
                ++total;
            }
        // Private chargers: about 3/4 of arrivals are between 16:00 and midnight in the data.
        EXPECT_GT(evening_arrivals, total * 0.6);
        EXPECT_LT(evening_arrivals, total * 0.85);
    }
}

TEST(SessionModel, FixedSessionMapsClockHours) {
    Config cfg;
    cfg.sessions.model = SessionSource::fixed;
    cfg.sessions.fixed_arrival_hour = 18;
    cfg.sessions.fixed_departure_hour = 7;
    cfg.sessions.fixed_trip_kwh = 12;
    SessionModel m = build_session_model(cfg);
    EXPECT_EQ(m.fixed, 1);
    EXPECT_EQ(m.fixed_arrival_step, 6);     // 18:00 is 6 h after noon
    EXPECT_EQ(m.fixed_departure_step, 19);  // 07:00 is 19 h after noon
    EXPECT_FLOAT_EQ(m.fixed_trip_kwh, 12.0f);
    cfg.time.step_hours = 0.25;
    cfg.sessions.fixed_arrival_hour = 18.5;
    m = build_session_model(cfg);
    EXPECT_EQ(m.fixed_arrival_step, 26);
    EXPECT_EQ(m.fixed_departure_step, 76);
    cfg.time.step_hours = 1.0;
    cfg.sessions.fixed_departure_hour = 12;  // leaving at the window's start = at its end
    m = build_session_model(cfg);
    EXPECT_EQ(m.fixed_departure_step, 24);
}

TEST(SessionModel, BadSettingsNameTheKey) {
    Config cfg;
    cfg.sessions.model = SessionSource::fixed;
    cfg.sessions.fixed_arrival_hour = 8;
    cfg.sessions.fixed_departure_hour = 7;  // 20 h and 19 h after noon: departs before arriving
    std::string msg = input_error_of([&] { build_session_model(cfg); });
    EXPECT_TRUE(one_line(msg));
    EXPECT_EQ(msg.rfind("sessions.fixed_departure_hour", 0), 0u) << msg;
    cfg.sessions.fixed_arrival_hour = 25;
    EXPECT_EQ(input_error_of([&] { build_session_model(cfg); }).rfind("sessions.fixed_arrival_hour", 0), 0u);
}

// -------------------------------------------------------------------------------- fleet mix

// The number after `"key":` in the JSON object that follows `"name":`.
double json_field(const std::string& json, const std::string& name, const std::string& key) {
    const size_t at = json.find("\"" + name + "\"");
    EXPECT_NE(at, std::string::npos) << name;
    const size_t k = json.find("\"" + key + "\"", at);
    const size_t colon = json.find(':', k);
    return std::stod(json.substr(colon + 1));
}

TEST(FleetMix, Ev2GymModelsMatchJson) {
    std::stringstream buf;
    buf << std::ifstream(kSpecs).rdbuf();
    const std::string json = buf.str();
    ASSERT_FALSE(json.empty());
    const std::vector<EvModel> models = fleet_mix(Config{});
    ASSERT_EQ(models.size(), 8u);
    for (const EvModel& m : models) {
        EXPECT_GT(m.weight, 0.0);
        EXPECT_DOUBLE_EQ(m.weight, json_field(json, m.name, "number_of_registrations")) << m.name;
        EXPECT_FLOAT_EQ(m.capacity_kwh, static_cast<float>(json_field(json, m.name, "battery_capacity"))) << m.name;
        EXPECT_FLOAT_EQ(m.charge_kw, static_cast<float>(json_field(json, m.name, "max_ac_charge_power"))) << m.name;
        EXPECT_FLOAT_EQ(m.discharge_kw, static_cast<float>(json_field(json, m.name, "max_ac_discharge_power")))
            << m.name;
        EXPECT_GT(m.eta_charge, 0.8f);
        EXPECT_LT(m.eta_charge, 1.0f);
        EXPECT_EQ(m.eta_discharge, m.eta_charge);
    }
}

TEST(FleetMix, SingleAndUnknown) {
    Config cfg;
    cfg.fleet.mix = FleetMix::single;
    cfg.fleet.single_capacity_kwh = 40;
    cfg.fleet.single_charge_kw = 7;
    cfg.fleet.single_discharge_kw = 5;
    cfg.fleet.single_efficiency = 0.95;
    const std::vector<EvModel> models = fleet_mix(cfg);
    ASSERT_EQ(models.size(), 1u);
    EXPECT_GT(models[0].weight, 0.0);
    EXPECT_FLOAT_EQ(models[0].capacity_kwh, 40.0f);
    EXPECT_FLOAT_EQ(models[0].charge_kw, 7.0f);
    EXPECT_FLOAT_EQ(models[0].discharge_kw, 5.0f);
    EXPECT_FLOAT_EQ(models[0].eta_charge, 0.95f);
    EXPECT_FLOAT_EQ(models[0].eta_discharge, 0.95f);
}


}  // namespace
}  // namespace v2g
