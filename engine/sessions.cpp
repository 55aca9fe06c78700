// sessions.cpp: builds the SessionModel from constants fitted offline by
// scripts/fit_defaults.py to ../shared/data/ev2gym/ (docs/DATA.md); nothing is read at run time.
#include "sessions.h"

#include <cmath>
#include <string>
#include "errors.h"

namespace v2g {
namespace {

constexpr int kChargerCount = 3;               // private, public, workplace
constexpr const char* kChargerNames[kChargerCount] = {"private", "public", "workplace"};
constexpr int kSlotsPerDay = 96;               // quarter-hour slots of distribution-of-arrival.csv
constexpr double kSlotHours = 0.25;
constexpr double kHoursPerDay = 24.0;

// distribution-of-arrival.csv (weekday): % of arrivals per quarter-hour slot, slot 0 = 00:00,
// columns private, public, workplace; each row sums to 100 %.
constexpr float kArrivalPercent[kChargerCount][kSlotsPerDay] = {
  // private: sum 100.0000 %
  {
    0.868451f, 0.590568f, 0.402852f, 0.265756f, 0.196153f, 0.147115f, 0.111786f, 0.0717118f,
    0.0785666f, 0.0495655f, 0.0358559f, 0.043238f, 0.0316376f, 0.0316376f, 0.0279465f, 0.0284738f,
    0.0237282f, 0.0290011f, 0.0242555f, 0.0358559f, 0.0205644f, 0.0142369f, 0.017928f, 0.0242555f,
    0.0453472f, 0.0274192f, 0.034274f, 0.0674935f, 0.0838395f, 0.115477f, 0.203535f, 0.169788f,
    0.228845f, 0.238336f, 0.419725f, 0.497237f, 0.339049f, 0.283156f, 0.259428f, 0.245718f,
    0.248355f, 0.282102f, 0.291593f, 0.310575f, 0.342213f, 0.349595f, 0.410761f, 0.439235f,
    0.477727f, 0.545221f, 0.59004f, 0.564203f, 0.556294f, 0.571058f, 0.554185f, 0.545748f,
    0.607968f, 0.61746f, 0.689699f, 0.761411f, 0.757192f, 0.883743f, 0.980764f, 1.03297f,
    1.10573f, 1.32192f, 1.48064f, 1.77276f, 2.24996f, 2.71714f, 3.26394f, 3.91778f,
    4.55054f, 4.55739f, 4.19672f, 3.71847f, 3.36465f, 3.09943f, 2.64859f, 2.43135f,
    2.35858f, 2.30111f, 2.24363f, 2.19354f, 2.17825f, 2.31745f, 2.20725f, 2.22992f,
    2.26578f, 2.29583f, 2.3338f, 2.22043f, 2.13395f, 1.79965f, 1.44953f, 1.23439f,
  },
  // public: sum 100.0000 %
  {
    0.347536f, 0.250635f, 0.219555f, 0.16339f, 0.138859f, 0.127537f, 0.104783f, 0.0801409f,
    0.073925f, 0.0647121f, 0.0550553f, 0.0499493f, 0.0440664f, 0.0414024f, 0.0399595f, 0.0386275f,
    0.0380725f, 0.0374065f, 0.0437334f, 0.0438444f, 0.0506153f, 0.0506153f, 0.0538343f, 0.0611602f,
    0.0849139f, 0.118213f, 0.195024f, 0.329777f, 0.564871f, 0.589735f, 0.853579f, 1.22265f,
    1.57107f, 1.71282f, 2.15726f, 2.42021f, 2.46905f, 1.96201f, 1.71393f, 1.57307f,
    1.52024f, 1.21011f, 1.18724f, 1.19479f, 1.2696f, 1.11298f, 1.11221f, 1.16104f,
    1.32077f, 1.28336f, 1.34752f, 1.39736f, 1.46929f, 1.30634f, 1.28947f, 1.28303f,
    1.34097f, 1.17847f, 1.22254f, 1.27904f, 1.31855f, 1.24152f, 1.26982f, 1.29458f,
    1.35973f, 1.34197f, 1.42023f, 1.53677f, 1.72492f, 1.91572f, 2.21453f, 2.48415f,
    2.75387f, 2.80815f, 2.76952f, 2.57372f, 2.44263f, 2.08899f, 1.87199f, 1.66087f,
    1.51513f, 1.28514f, 1.16704f, 1.08479f, 1.05482f, 0.993659f, 0.969683f, 0.943154f,
    0.92151f, 0.858906f, 0.82816f, 0.759563f, 0.683196f, 0.619483f, 0.533903f, 0.445659f,
  },
  // workplace: sum 100.0000 %
  {
    0.00942114f, 0.00672938f, 0.00807526f, 0.00538351f, 0.0f, 0.0f, 0.0f, 0.00134588f,
    0.0f, 0.00134588f, 0.0f, 0.0f, 0.00269175f, 0.0f, 0.00134588f, 0.00942114f,
    0.00538351f, 0.00672938f, 0.0188423f, 0.0969031f, 0.301476f, 0.364733f, 0.347236f, 0.411838f,
    0.878858f, 0.942114f, 0.986528f, 1.51815f, 2.80615f, 3.69039f, 3.67694f, 4.08204f,
    5.2893f, 6.34446f, 7.27985f, 7.74552f, 6.82629f, 4.62712f, 3.50332f, 3.10898f,
    2.70117f, 1.84654f, 1.68773f, 1.49662f, 1.40375f, 1.09689f, 1.15072f, 1.28666f,
    1.39702f, 1.2732f, 1.18706f, 1.54103f, 1.52219f, 1.22744f, 1.31896f, 1.21264f,
    1.20321f, 0.967685f, 0.901738f, 0.915196f, 0.869436f, 0.695818f, 0.74427f, 0.734849f,
    0.620449f, 0.582765f, 0.503358f, 0.336469f, 0.36877f, 0.294747f, 0.187077f, 0.165543f,
    0.197844f, 0.160159f, 0.0995949f, 0.123821f, 0.144009f, 0.134588f, 0.122475f, 0.103633f,
    0.0942114f, 0.0847902f, 0.0726774f, 0.0524892f, 0.0471057f, 0.0282634f, 0.032301f, 0.0349928f,
    0.0201882f, 0.0201882f, 0.0228799f, 0.0134588f, 0.0134588f, 0.0121129f, 0.0134588f, 0.00538351f,
  },
};

// distribution-of-connection-time.csv: its row x is the connection time exceeded by x % of the
// charging events (a survival function), so the p-quantile is row 100 (1 - p). Quantiles at
// p = 0, 5%, ..., 100% in hours, capped at 24 h (raw maximum 72 h): an episode is one day and
// draw_session() cuts the departure at the window's end anyway; 5-10 % of the events are
// affected (private: p >= 95 %).
constexpr float kDurationHoursQ[kChargerCount][kQuantileCount] = {
  // private: raw p0..p100 0..72, median 11, mean (capped) 10.68
  {0.0f, 1.0f, 1.5f, 2.2f, 3.1f, 4.2f, 6.5f, 8.5f, 9.5f, 10.3f, 11.0f, 11.8f, 12.5f, 13.2f, 13.8f, 14.6f, 15.7f, 17.4f, 20.3f, 24.0f, 24.0f},
  // public: raw p0..p100 0..72, median 4.4, mean (capped) 7.22
  {0.0f, 0.3f, 0.6f, 1.0f, 1.3f, 1.7f, 2.1f, 2.5f, 3.0f, 3.6f, 4.4f, 5.5f, 7.4f, 8.9f, 10.4f, 12.1f, 13.5f, 14.9f, 17.1f, 21.7f, 24.0f},
  // workplace: raw p0..p100 0..72, median 4.9, mean (capped) 5.86
  {0.0f, 0.6f, 1.2f, 1.7f, 2.0f, 2.5f, 2.9f, 3.3f, 3.8f, 4.3f, 4.9f, 5.7f, 6.5f, 7.4f, 8.0f, 8.5f, 8.8f, 9.2f, 9.8f, 13.2f, 24.0f},
};

// distribution-of-energy-demand.csv, read the same way: energy per session (kWh), quantiles at
// p = 0, 5%, ..., 100%. Only p = 100 % is capped: raw 95.7-99.9 kWh, capped at 77 kWh, the
// largest battery in ev_specs_v2g_enabled2024.json (no car can need more than a full pack).
constexpr float kDemandKwhQ[kChargerCount][kQuantileCount] = {
  // private: raw p0..p100 0..99.9, median 19.4, mean (capped) 23.75
  {0.0f, 1.8f, 3.3f, 5.0f, 6.6f, 8.2f, 10.1f, 12.3f, 14.6f, 17.1f, 19.4f, 22.1f, 24.9f, 28.2f, 31.9f, 35.8f, 40.4f, 45.6f, 51.4f, 59.6f, 77.0f},
  // public: raw p0..p100 0..99.8, median 7.2, mean (capped) 11.83
  {0.0f, 0.6f, 1.6f, 2.5f, 3.4f, 4.2f, 4.9f, 5.6f, 6.2f, 6.7f, 7.2f, 7.9f, 8.6f, 9.5f, 11.3f, 13.8f, 17.2f, 22.2f, 29.0f, 41.6f, 77.0f},
  // workplace: raw p0..p100 0..95.7, median 8.8, mean (capped) 12.26
  {0.0f, 1.4f, 2.7f, 3.8f, 4.7f, 5.4f, 6.2f, 6.8f, 7.4f, 8.2f, 8.8f, 9.5f, 10.9f, 12.6f, 14.4f, 16.7f, 19.2f, 22.3f, 26.1f, 31.9f, 77.0f},
};

int charger_index(const std::string& charger) {
    for (int c = 0; c < kChargerCount; ++c)
        if (charger == kChargerNames[c]) return c;
    throw InputError("sessions.charger = '" + charger + "': unknown (expected private, public or workplace)");
}


// Hours from the window start to a clock hour, in [0, 24).
double window_offset_hours(const Config& cfg, double clock_hour) {
    double offset = std::fmod(clock_hour - static_cast<double>(cfg.day_start_hour), kHoursPerDay);
    if (offset < 0.0) offset += kHoursPerDay;
    return offset;
}

SessionModel ev2gym_model(const Config& cfg, int steps) {
    const int c = charger_index(cfg.charger);
    SessionModel m{};
    m.fixed = 0;
    // Arrival mass per window step: slot j starts at clock hour j/4; it falls into the step
    // that contains its start (slots never straddle steps for step_hours in {0.25, 0.5, 1}).
    double mass[kMaxStepsPerDay] = {};
    double total = 0.0;
    for (int j = 0; j < kSlotsPerDay; ++j) {
        const double offset = window_offset_hours(cfg, j * kSlotHours);
        int k = static_cast<int>(std::floor(offset / cfg.step_hours + 1e-9));
        if (k >= steps) k = steps - 1;
        mass[k] += kArrivalPercent[c][j];
        total += kArrivalPercent[c][j];
    }
    double acc = 0.0;
    for (int k = 0; k < kMaxStepsPerDay; ++k) {
        if (k < steps) acc += mass[k];
        m.arrival_cdf[k] = k >= steps - 1 ? 1.0f : static_cast<float>(acc / total);
    }
    for (int q = 0; q < kQuantileCount; ++q) {
        m.duration_hours_q[q] = kDurationHoursQ[c][q];
        m.demand_kwh_q[q] = kDemandKwhQ[c][q];
    }
    m.min_duration_steps = 1.0f;
    return m;
}

SessionModel fixed_model(const Config& cfg, int steps) {
    for (const auto& [key, hour] : {std::pair<const char*, double>{"sessions.fixed_arrival_hour", cfg.fixed_arrival_hour},
                                    std::pair<const char*, double>{"sessions.fixed_departure_hour",
                                                                   cfg.fixed_departure_hour}})
        if (!(hour >= 0.0 && hour < kHoursPerDay))
            throw InputError(std::string(key) + " = " + std::to_string(hour) + ": must be a clock hour in [0, 24)");
    if (!(cfg.fixed_demand_kwh >= 0.0) || !std::isfinite(cfg.fixed_demand_kwh))
        throw InputError("sessions.fixed_demand_kwh = " + std::to_string(cfg.fixed_demand_kwh) + ": must be >= 0");
    SessionModel m{};
    m.fixed = 1;
    m.fixed_arrival_step = window_step_of_clock_hour(cfg, cfg.fixed_arrival_hour);
    // Departure is exclusive: leaving exactly at the window start means at the window's end.
    int departure = window_step_of_clock_hour(cfg, cfg.fixed_departure_hour);
    if (departure == 0) departure = steps;
    if (m.fixed_arrival_step >= steps || departure <= m.fixed_arrival_step)
        throw InputError("sessions.fixed_departure_hour = " + std::to_string(cfg.fixed_departure_hour) +
                         ": departure must come after arrival (sessions.fixed_arrival_hour = " +
                         std::to_string(cfg.fixed_arrival_hour) + ") within the episode window starting at " +
                         std::to_string(cfg.day_start_hour) + ":00 (time.day_start_hour)");
    m.fixed_departure_step = departure;
    m.fixed_demand_kwh = static_cast<float>(cfg.fixed_demand_kwh);
    // Unused by a fixed model but kept valid, so the struct is well-formed whatever reads it.
    for (int k = 0; k < kMaxStepsPerDay; ++k) m.arrival_cdf[k] = k >= m.fixed_arrival_step ? 1.0f : 0.0f;
    const float hours = static_cast<float>((departure - m.fixed_arrival_step) * cfg.step_hours);
    for (int q = 0; q < kQuantileCount; ++q) {
        m.duration_hours_q[q] = hours;
        m.demand_kwh_q[q] = m.fixed_demand_kwh;
    }
    m.min_duration_steps = 1.0f;
    return m;
}

}  // namespace

int checked_steps_per_day(const Config& cfg) {
    const int steps = cfg.steps_per_day();
    if (!(cfg.step_hours > 0.0) || steps < 1 || steps > kMaxStepsPerDay ||
        std::fabs(steps * cfg.step_hours - kHoursPerDay) > 1e-6)
        throw InputError("time.step_hours = " + std::to_string(cfg.step_hours) + ": must divide 24 h into at most " +
                         std::to_string(kMaxStepsPerDay) + " steps");
    if (cfg.day_start_hour < 0 || cfg.day_start_hour >= 24)
        throw InputError("time.day_start_hour = " + std::to_string(cfg.day_start_hour) + ": must be in [0, 24)");
    return steps;
}

int window_step_of_clock_hour(const Config& cfg, double clock_hour) {
    return static_cast<int>(std::floor(window_offset_hours(cfg, clock_hour) / cfg.step_hours + 0.5));
}

SessionModel build_session_model(const Config& cfg) {
    const int steps = checked_steps_per_day(cfg);
    if (cfg.session_model == "ev2gym") return ev2gym_model(cfg, steps);
    if (cfg.session_model == "fixed") return fixed_model(cfg, steps);
    throw InputError("sessions.model = '" + cfg.session_model + "': unknown (expected ev2gym or fixed)");
}

}  // namespace v2g
