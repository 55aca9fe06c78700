// signals.cpp: the per-step price, load and PV series (see signals.h). The synthetic
// generators use constants fitted offline by scripts/fit_defaults.py to
// ../shared/data/citylearn/{pricing.csv, Building_1.csv} (docs/DATA.md); nothing is read at run
// time unless signals.source = csv.
//
// Both sources go through one pipeline: an hourly calendar series (row t = clock hour t % 24 of
// calendar day t / 24, like the CityLearn files) is cut into 24 h windows starting at
// time.day_start_hour and resampled to steps by averaging the hours each step overlaps (a
// step shorter than an hour repeats that hour's value).
#include "problem/signals.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include "problem/csv_signals.h"
#include "common/errors.h"
#include "common/philox.h"
#include "env/session.h"
#include "problem/sessions.h"

namespace v2g {
namespace {

constexpr int kHoursPerDay = 24;
constexpr int kMonths = 12;
constexpr int kDaysPerYear = 365;
constexpr int kDaysPerMonth[kMonths] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
constexpr double kTwoPi = 6.283185307179586;
constexpr double kWattsPerKw = 1000.0;  // solar_generation is W per kW peak

// pricing.csv electricity_pricing: mean by clock hour ($/kWh).
constexpr float kPriceHourPerKwh[kHoursPerDay] = {
    0.18502f, 0.17763f, 0.16947f, 0.15937f, 0.15345f, 0.15044f, 0.15226f, 0.16116f,
    0.17526f, 0.18376f, 0.18047f, 0.17056f, 0.16064f, 0.15498f, 0.15212f, 0.1467f,
    0.14183f, 0.14077f, 0.14758f, 0.1637f, 0.18613f, 0.20767f, 0.21353f, 0.20223f,
};
// pricing.csv: sd of log(daily mean price) over its 365 days; used when signals.price_noise < 0.
constexpr double kPriceDayLogSd = 0.4319;
// pricing.csv: lag-1 autocorrelation of log(daily mean price). Prices run in spells (winter
// months cost twice the autumn ones), so the log day factor is an AR(1) process with this
// coefficient and a stationary sd of price_noise; independent days would also smooth the
// noon-to-noon windows to a log-sd of ~0.31 instead of the data's 0.40.
constexpr double kPriceDayLogAutocorr = 0.8002;

// Building_1.csv non_shiftable_load (kWh per hour = kW): mean by clock hour ...
constexpr float kLoadHourKw[kHoursPerDay] = {
    1.1198f, 0.76816f, 0.87315f, 0.83055f, 0.86021f, 0.95715f, 1.1061f, 0.81952f,
    0.88965f, 1.0915f, 1.4353f, 1.384f, 1.4802f, 1.0265f, 0.97702f, 0.97477f,
    1.2076f, 1.5644f, 1.7696f, 2.0671f, 1.8699f, 1.5113f, 1.283f, 1.129f,
};
// ... times the month's mean over the year's mean (January first) ...
constexpr float kLoadMonthFactor[kMonths] = {
    0.99063f, 0.90771f, 0.81825f, 0.75941f, 0.90156f, 1.0737f,
    1.2482f, 1.3426f, 1.1774f, 0.95327f, 0.8943f, 0.92075f,
};
// ... times lognormal day and hour factors (mean 1) with these log-sds, fitted as the residual
// of log(daily mean / profile) and log(hour / (profile * day factor)).
constexpr double kLoadDayLogSd = 0.2176;
constexpr double kLoadHourLogSd = 0.6126;

// Building_1.csv solar_generation / 1000: mean kW per kWp by month (January first) and clock hour.
constexpr float kPvKwPerKwp[kMonths][kHoursPerDay] = {
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.02305f, 0.2457f, 0.377f, 0.475f, 0.5092f, 0.4787f, 0.4091f, 0.3419f, 0.1992f, 0.06304f, 0.000957f, 1.505e-05f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.092f, 0.262f, 0.3854f, 0.4852f, 0.5213f, 0.4767f, 0.4484f, 0.3906f, 0.2527f, 0.1023f, 0.005921f, 1.369e-05f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 4.973e-05f, 0.1214f, 0.3272f, 0.5416f, 0.6958f, 0.7709f, 0.8017f, 0.7734f, 0.6954f, 0.527f, 0.3406f, 0.1532f, 0.02792f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.009179f, 0.1258f, 0.3239f, 0.5162f, 0.6676f, 0.7648f, 0.819f, 0.8432f, 0.7643f, 0.6331f, 0.4448f, 0.2414f, 0.0685f, 0.0007043f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.02514f, 0.1532f, 0.334f, 0.4887f, 0.6365f, 0.7151f, 0.7709f, 0.7438f, 0.6888f, 0.6025f, 0.4481f, 0.2699f, 0.08508f, 0.005644f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.02665f, 0.1443f, 0.376f, 0.4889f, 0.6127f, 0.7684f, 0.8459f, 0.8352f, 0.7813f, 0.572f, 0.4129f, 0.2587f, 0.0918f, 0.009375f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.02121f, 0.1424f, 0.3271f, 0.5003f, 0.6307f, 0.719f, 0.7729f, 0.7682f, 0.7256f, 0.6101f, 0.4838f, 0.2853f, 0.1059f, 0.002565f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.007432f, 0.09838f, 0.2571f, 0.4358f, 0.5932f, 0.691f, 0.7332f, 0.7353f, 0.6664f, 0.5596f, 0.3999f, 0.2179f, 0.06228f, 0.001489f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0009467f, 0.07474f, 0.2291f, 0.4057f, 0.5702f, 0.664f, 0.7014f, 0.6752f, 0.596f, 0.4937f, 0.3233f, 0.1535f, 0.02212f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.734e-05f, 0.05723f, 0.2248f, 0.4081f, 0.552f, 0.6219f, 0.6646f, 0.6139f, 0.5433f, 0.4194f, 0.2474f, 0.08037f, 0.001404f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.1829f, 0.3911f, 0.5376f, 0.6275f, 0.66f, 0.6381f, 0.5479f, 0.4217f, 0.2415f, 0.07304f, 0.01029f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.06561f, 0.2467f, 0.3847f, 0.4921f, 0.4967f, 0.5204f, 0.4723f, 0.3477f, 0.1796f, 0.02478f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
};
// Cloudiness: a day's PV energy over its month's mean daily energy, quantiles at p = 0, 5%, ...,
// 100% (mean 1.00, sd 0.34). A synthetic day draws one factor by inverse CDF.
constexpr float kPvDayFactorQ[kQuantileCount] = {
    0.06317f, 0.2468f, 0.437f, 0.648f, 0.8144f, 0.8954f, 0.9544f,
    0.9915f, 1.018f, 1.042f, 1.06f, 1.077f, 1.097f, 1.121f,
    1.141f, 1.161f, 1.198f, 1.234f, 1.335f, 1.573f, 1.854f,
};
// Building_1.csv: the largest solar_generation (976.25 W/kW); a sunny day's factor times the
// monthly mean may not exceed it.
constexpr float kPvMaxKwPerKwp = 0.97625f;

// Philox streams of the synthetic signals (the counter's "vehicle" word).
enum SignalStream : uint32_t {
    kStreamPriceDay = 0,
    kStreamLoadDay = 1,
    kStreamLoadHour = 2,
    kStreamPvDay = 3,
};

// A standard normal variate for (seed, stream, calendar day, hour), by Box-Muller.
double normal01(uint64_t seed, SignalStream stream, int day, int hour) {
    const Philox4 r = random4(seed, stream, static_cast<uint32_t>(day), static_cast<uint32_t>(hour),
                              RngPurpose::kSignals);
    const double u1 = 1.0 - static_cast<double>(uniform01(r.v[0]));  // (0, 1]: log is finite
    const double u2 = static_cast<double>(uniform01(r.v[1]));
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// exp(sigma z - sigma^2 / 2): lognormal with mean 1, exactly 1 when sigma = 0.
double lognormal_factor(double sigma, double z) { return std::exp(sigma * z - 0.5 * sigma * sigma); }

int month_of_calendar_day(int day) {
    int d = day % kDaysPerYear;
    for (int m = 0; m < kMonths; ++m) {
        if (d < kDaysPerMonth[m]) return m;
        d -= kDaysPerMonth[m];
    }
    return kMonths - 1;
}

// Hourly calendar series of `calendar_days` days, [day * 24 + clock hour].
std::vector<double> synthetic_price_hourly(const Config& cfg, int calendar_days) {
    const double sigma = cfg.signals.price_noise >= 0.0 ? cfg.signals.price_noise : kPriceDayLogSd;
    const double rho = kPriceDayLogAutocorr;
    const double innovation_scale = std::sqrt(1.0 - rho * rho);  // keeps the sd of z at 1
    std::vector<double> v(static_cast<size_t>(calendar_days) * kHoursPerDay);
    double z = 0.0;  // standard normal, AR(1) across days; day 0 from the stationary law
    for (int d = 0; d < calendar_days; ++d) {
        const double e = normal01(cfg.run.seed, kStreamPriceDay, d, 0);
        z = d == 0 ? e : rho * z + innovation_scale * e;
        const double factor = sigma > 0.0 ? lognormal_factor(sigma, z) : 1.0;
        for (int h = 0; h < kHoursPerDay; ++h) v[d * kHoursPerDay + h] = kPriceHourPerKwh[h] * factor;
    }
    return v;
}

std::vector<double> synthetic_load_hourly(const Config& cfg, int calendar_days) {
    std::vector<double> v(static_cast<size_t>(calendar_days) * kHoursPerDay);
    for (int d = 0; d < calendar_days; ++d) {
        const double day_factor = lognormal_factor(kLoadDayLogSd, normal01(cfg.run.seed, kStreamLoadDay, d, 0));
        const double month_factor = kLoadMonthFactor[month_of_calendar_day(d)];
        for (int h = 0; h < kHoursPerDay; ++h) {
            const double hour_factor = lognormal_factor(kLoadHourLogSd, normal01(cfg.run.seed, kStreamLoadHour, d, h));
            v[d * kHoursPerDay + h] = kLoadHourKw[h] * month_factor * day_factor * hour_factor;
        }
    }
    return v;
}

std::vector<double> synthetic_pv_hourly(const Config& cfg, int calendar_days) {
    std::vector<double> v(static_cast<size_t>(calendar_days) * kHoursPerDay);
    for (int d = 0; d < calendar_days; ++d) {
        const Philox4 r = random4(cfg.run.seed, kStreamPvDay, static_cast<uint32_t>(d), 0, RngPurpose::kSignals);
        const double cloud = quantile_lookup(kPvDayFactorQ, uniform01(r.v[0]));
        const int m = month_of_calendar_day(d);
        for (int h = 0; h < kHoursPerDay; ++h)
            v[d * kHoursPerDay + h] = std::min<double>(kPvMaxKwPerKwp, kPvKwPerKwp[m][h] * cloud);
    }
    return v;
}

// The grid-stress signal that calls demand-response events: the load a feeder of many such
// households would see. Their individual hour-to-hour noise averages out, leaving the series'
// mean daily shape (its mean by clock hour, relative to the overall mean) times each calendar
// day's mean load (the season and the day's level). Hourly, like the load.
std::vector<double> grid_stress_hourly(const std::vector<double>& load) {
    const size_t days = load.size() / kHoursPerDay;
    std::vector<double> shape(kHoursPerDay, 0.0);
    double total = 0.0;
    for (size_t d = 0; d < days; ++d)
        for (int h = 0; h < kHoursPerDay; ++h) {
            shape[h] += load[d * kHoursPerDay + h];
            total += load[d * kHoursPerDay + h];
        }
    const double mean = days > 0 ? total / static_cast<double>(days * kHoursPerDay) : 0.0;
    for (double& x : shape) x = days > 0 && mean > 0.0 ? x / static_cast<double>(days) / mean : 1.0;
    std::vector<double> stress(load.size());
    for (size_t i = 0; i < load.size(); ++i) {
        const size_t d = std::min(i / kHoursPerDay, days > 0 ? days - 1 : 0);
        double level = 0.0;
        for (int h = 0; h < kHoursPerDay && d * kHoursPerDay + h < load.size(); ++h) level += load[d * kHoursPerDay + h];
        stress[i] = shape[i % kHoursPerDay] * level / kHoursPerDay;
    }
    return stress;
}

// Whole 24 h windows starting at day_start_hour that an hourly series of n rows holds.
int whole_windows(size_t rows, int day_start_hour) {
    const long usable = static_cast<long>(rows) - day_start_hour;
    return usable < kHoursPerDay ? 0 : static_cast<int>(usable / kHoursPerDay);
}

// Window d, step k covers absolute hours [d*24 + start + k*step_hours, + step_hours): the mean
// of the hourly rows it overlaps, weighted by overlap.
std::vector<float> to_steps(const std::vector<double>& hourly, int days, const Config& cfg, double scale) {
    const int steps = cfg.steps_per_day();
    std::vector<float> out(static_cast<size_t>(days) * steps);
    for (int d = 0; d < days; ++d) {
        for (int k = 0; k < steps; ++k) {
            const double t0 = static_cast<double>(d) * kHoursPerDay + cfg.time.day_start_hour + k * cfg.time.step_hours;
            const double t1 = t0 + cfg.time.step_hours;
            double sum = 0.0;
            for (long r = static_cast<long>(std::floor(t0)); static_cast<double>(r) < t1; ++r) {
                const double overlap = std::min(t1, static_cast<double>(r + 1)) - std::max(t0, static_cast<double>(r));
                const size_t row = std::min(static_cast<size_t>(r), hourly.size() - 1);
                if (overlap > 0.0) sum += overlap * hourly[row];
            }
            out[static_cast<size_t>(d) * steps + k] = static_cast<float>(sum / cfg.time.step_hours * scale);
        }
    }
    return out;
}

}  // namespace

SignalSeries make_signals(const Config& cfg) {
    checked_steps_per_day(cfg);
    SignalSeries s;
    s.steps_per_day = cfg.steps_per_day();
    std::vector<double> price, load, pv;
    double pv_scale = 1.0;  // synthetic PV is already kW/kWp
    if (cfg.signals.source == SignalSource::synthetic) {
        if (cfg.signals.days < 1)
            throw InputError("signals.days = " + std::to_string(cfg.signals.days) + ": must be >= 1");
        s.days = cfg.signals.days;
    } else {  // SignalSource::csv
        CsvHourly csv = read_csv_signals(cfg);  // checked, converted to currency per kWh
        price = std::move(csv.price_per_kwh);
        load = std::move(csv.load_kw);
        pv = std::move(csv.pv_w_per_kwp);
        if (!pv.empty()) pv_scale = 1.0 / kWattsPerKw;
        // Days = whole windows in the shortest file.
        s.days = whole_windows(price.size(), cfg.time.day_start_hour);
        const char* shortest = cfg.signals.price_csv.c_str();
        size_t shortest_rows = price.size();
        for (const auto& [rows, file] : {std::pair<size_t, const std::string*>{load.size(), &cfg.signals.load_csv},
                                         std::pair<size_t, const std::string*>{pv.size(), &cfg.signals.pv_csv}}) {
            if (rows == 0) continue;
            if (rows < shortest_rows) { shortest_rows = rows; shortest = file->c_str(); }
            s.days = std::min(s.days, whole_windows(rows, cfg.time.day_start_hour));
        }
        if (s.days < 1)
            throw InputError(
                std::string(shortest) + ": " + std::to_string(shortest_rows) + " hourly rows, need at least " +
                std::to_string(kHoursPerDay + cfg.time.day_start_hour) +
                " for one 24 h window from time.day_start_hour = " + std::to_string(cfg.time.day_start_hour));
    }
    if (!(cfg.signals.feed_in_ratio >= 0.0) || !std::isfinite(cfg.signals.feed_in_ratio))
        throw InputError("signals.feed_in_ratio = " + std::to_string(cfg.signals.feed_in_ratio) + ": must be >= 0");

    // One extra calendar day: the last window runs past midnight into it.
    const int calendar_days = s.days + 1;
    if (price.empty()) price = synthetic_price_hourly(cfg, calendar_days);
    if (load.empty()) load = synthetic_load_hourly(cfg, calendar_days);
    if (pv.empty()) pv = synthetic_pv_hourly(cfg, calendar_days);

    s.retail_price_per_kwh = to_steps(price, s.days, cfg, 1.0);
    s.grid_load_kw = to_steps(load, s.days, cfg, 1.0);  // kWh in an hour = mean kW
    s.grid_stress_kw = to_steps(grid_stress_hourly(load), s.days, cfg, 1.0);
    s.pv_kw_per_kwp = to_steps(pv, s.days, cfg, pv_scale);
    s.feed_in_price_per_kwh.resize(s.retail_price_per_kwh.size());
    for (size_t i = 0; i < s.retail_price_per_kwh.size(); ++i)
        s.feed_in_price_per_kwh[i] = static_cast<float>(s.retail_price_per_kwh[i] * cfg.signals.feed_in_ratio);
    return s;
}

}  // namespace v2g
