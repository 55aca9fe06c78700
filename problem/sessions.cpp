// sessions.cpp: builds the SessionModel (sessions and daily driving) from constants fitted
// offline by scripts/fit_defaults.py to ../shared/data/ev2gym/ (docs/DATA.md) and the driving
// settings; nothing is read at run time.
#include "problem/sessions.h"

#include <cmath>
#include <algorithm>
#include <string>
#include <vector>
#include "common/errors.h"

namespace v2g {
namespace {

// Tables are indexed by ChargerType, in its order: private, public, workplace.
constexpr int kChargerCount = choice_count<ChargerType>();
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

// distribution-of-arrival-weekend.csv: the same for Saturdays and Sundays. The file has no
// workplace column: workplace chargers use the weekday distribution every day.
constexpr int kWeekendChargers = 2;            // private, public
constexpr float kWeekendArrivalPercent[kWeekendChargers][kSlotsPerDay] = {
  // private: sum 100.0000 %
  {
    1.09096f, 1.17876f, 1.02044f, 0.788716f, 0.662061f, 0.525331f, 0.451929f, 0.385723f,
    0.263385f, 0.236039f, 0.162637f, 0.109384f, 0.087795f, 0.0849165f, 0.0647668f, 0.0834773f,
    0.0748417f, 0.0474957f, 0.0402994f, 0.0460564f, 0.027346f, 0.0417386f, 0.0331031f, 0.027346f,
    0.0302245f, 0.0201497f, 0.0287853f, 0.0518135f, 0.0561313f, 0.0906736f, 0.0921128f, 0.135291f,
    0.149683f, 0.21445f, 0.257628f, 0.29217f, 0.322395f, 0.375648f, 0.457686f, 0.538284f,
    0.627519f, 0.689407f, 0.80167f, 0.91825f, 1.00317f, 1.1327f, 1.23345f, 1.43207f,
    1.43782f, 1.48388f, 1.54577f, 1.56016f, 1.5544f, 1.5688f, 1.55872f, 1.48388f,
    1.53282f, 1.53713f, 1.47524f, 1.61054f, 1.61054f, 1.7487f, 1.71992f, 1.81923f,
    1.96459f, 1.9977f, 2.28267f, 2.51583f, 2.73316f, 2.56477f, 2.54318f, 2.37334f,
    2.17473f, 2.14738f, 1.83218f, 1.71848f, 1.63069f, 1.59758f, 1.62781f, 1.6494f,
    1.6422f, 1.74007f, 1.70841f, 1.67386f, 1.58319f, 1.5688f, 1.52562f, 1.54577f,
    1.5285f, 1.50259f, 1.50115f, 1.24928f, 1.18451f, 1.09672f, 0.97582f, 0.886586f,
  },
  // public: sum 100.0000 %
  {
    0.525549f, 0.565243f, 0.4903f, 0.455052f, 0.399163f, 0.347719f, 0.253724f, 0.239117f,
    0.197517f, 0.179417f, 0.145439f, 0.1194f, 0.111143f, 0.0984411f, 0.0847864f, 0.0758949f,
    0.0841513f, 0.0749423f, 0.0619227f, 0.0600173f, 0.0571594f, 0.0584296f, 0.0625578f, 0.0762125f,
    0.0577945f, 0.0584296f, 0.0844688f, 0.0933603f, 0.0997113f, 0.129879f, 0.162269f, 0.255312f,
    0.292783f, 0.366455f, 0.476011f, 0.597951f, 0.759267f, 0.868822f, 0.948846f, 1.15525f,
    1.32927f, 1.30927f, 1.45375f, 1.56712f, 1.68906f, 1.697f, 1.76654f, 1.8472f,
    1.88086f, 1.96628f, 1.99581f, 2.03837f, 2.07647f, 2.01423f, 2.03329f, 2.07838f,
    2.16634f, 2.13586f, 2.11807f, 2.04249f, 2.13268f, 2.09172f, 2.05329f, 2.01074f,
    2.01646f, 2.02789f, 1.94247f, 1.99804f, 2.02027f, 2.00852f, 1.98089f, 2.00661f,
    2.03297f, 1.878f, 1.77861f, 1.64047f, 1.58649f, 1.41342f, 1.41184f, 1.35309f,
    1.30355f, 1.2321f, 1.19082f, 1.1416f, 1.08317f, 1.00251f, 0.949481f, 0.892321f,
    0.864694f, 0.812298f, 0.746565f, 0.712269f, 0.630976f, 0.59668f, 0.543332f, 0.477598f,
  },
};

// Mean stay (h) and mean energy per session (kWh) by half-hour of arrival (slot 0 = 00:00),
// columns home, public, work of mean-session-length-per.csv and mean-demand-per-arrival.csv
// (= private, public, workplace); -1 where the file has no value (no sessions start then).
constexpr int kHalfHoursPerDay = 48;
constexpr float kNoData = -1.0f;
constexpr float kMeanStayHours[kChargerCount][kHalfHoursPerDay] = {
  {
    9.3f, 8.9f, 9.2f, 8.6f, 7.9f, 6.5f, 5.7f, 5.65f,
    4.8f, 4.5f, 4.3f, 4.35f, 5.65f, 3.6f, 4.5f, 4.55f,
    3.55f, 2.8f, 3.65f, 3.3f, 3.4f, 3.4f, 3.7f, 3.8f,
    4.1f, 4.3f, 4.6f, 4.85f, 6.8f, 7.3f, 14.3f, 15.4f,
    15.5f, 15.2f, 14.9f, 14.5f, 13.9f, 13.7f, 13.2f, 12.8f,
    12.3f, 12.0f, 11.4f, 10.9f, 10.4f, 9.9f, 9.7f, 9.5f,
  },
  {
    10.0f, 10.0f, 10.0f, 9.8f, 9.7f, 9.3f, 8.9f, 8.0f,
    7.3f, 6.4f, 5.8f, 5.4f, 5.3f, 5.2f, 5.1f, 5.2f,
    5.1f, 4.8f, 4.3f, 3.7f, 3.0f, 2.9f, 2.8f, 2.9f,
    2.9f, 3.0f, 3.0f, 3.0f, 3.0f, 3.1f, 3.3f, 3.8f,
    4.2f, 5.1f, 9.5f, 12.4f, 12.5f, 12.4f, 11.9f, 11.5f,
    11.3f, 11.3f, 11.2f, 10.9f, 10.6f, 10.4f, 10.2f, 10.1f,
  },
  {
    -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f,
    -1.0f, -1.0f, 8.4f, 8.1f, 8.5f, 8.5f, 8.4f, 8.4f,
    8.1f, 7.6f, 6.6f, 5.8f, 4.7f, 4.8f, 4.0f, 4.05f,
    3.6f, 3.7f, 3.4f, 3.1f, 2.8f, 2.5f, 2.4f, 2.1f,
    1.9f, 2.25f, 2.3f, 2.9f, 2.5f, 2.6f, -1.0f, -1.0f,
    -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f,
  },
};
constexpr float kMeanSessionKwh[kChargerCount][kHalfHoursPerDay] = {
  {
    30.83f, 32.027f, 32.432f, 32.505f, 29.508f, 26.467f, 25.511f, 24.067f,
    20.742f, 21.884f, 22.044f, 21.054f, 20.645f, 21.46f, 17.534f, 18.567f,
    14.617f, 11.951f, 14.652f, 14.256f, 15.254f, 13.994f, 14.549f, 14.96f,
    15.466f, 15.5f, 15.926f, 16.5f, 17.576f, 18.284f, 19.11f, 19.989f,
    21.733f, 22.088f, 22.228f, 22.476f, 24.418f, 24.891f, 26.985f, 27.861f,
    28.658f, 29.5f, 28.697f, 29.456f, 29.947f, 30.378f, 30.489f, 31.069f,
  },
  {
    20.871f, 20.894f, 21.036f, 21.434f, 21.63f, 21.261f, 21.587f, 20.968f,
    19.544f, 20.574f, 20.26f, 19.75f, 19.1f, 18.688f, 16.652f, 15.237f,
    13.524f, 12.519f, 12.283f, 12.719f, 12.518f, 12.829f, 12.707f, 12.963f,
    12.85f, 13.015f, 12.971f, 13.421f, 13.82f, 14.582f, 15.14f, 15.936f,
    16.354f, 16.668f, 16.689f, 16.39f, 16.182f, 16.828f, 17.337f, 18.073f,
    18.658f, 19.596f, 20.265f, 20.59f, 20.45f, 20.334f, 20.414f, 20.57f,
  },
  {
    -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f,
    -1.0f, -1.0f, 10.856f, 13.539f, 12.277f, 13.547f, 11.93f, 14.962f,
    15.521f, 15.502f, 14.866f, 14.655f, 14.4f, 14.752f, 14.528f, 13.988f,
    14.338f, 15.278f, 13.961f, 13.695f, 12.838f, 12.295f, 12.521f, 12.201f,
    11.498f, 11.49f, 12.588f, 15.199f, 12.74f, 12.028f, -1.0f, -1.0f,
    -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f, -1.0f,
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


// Hours from the window start to a clock hour, in [0, 24).
double window_offset_hours(const Config& cfg, double clock_hour) {
    double offset = std::fmod(clock_hour - static_cast<double>(cfg.time.day_start_hour), kHoursPerDay);
    if (offset < 0.0) offset += kHoursPerDay;
    return offset;
}

// The window step that contains quarter-hour slot j (slot j starts at clock hour j/4; slots
// never straddle steps for step_hours in {0.25, 0.5, 1}).
int step_of_slot(const Config& cfg, int j, int steps) {
    const int k = static_cast<int>(std::floor(window_offset_hours(cfg, j * kSlotHours) / cfg.time.step_hours + 1e-9));
    return k >= steps ? steps - 1 : k;
}

// P(arrival step <= k) from per-slot arrival percentages.
void arrival_cdf(const Config& cfg, int steps, const float* percent, float* cdf) {
    double mass[kMaxStepsPerDay] = {};
    double total = 0.0;
    for (int j = 0; j < kSlotsPerDay; ++j) {
        mass[step_of_slot(cfg, j, steps)] += percent[j];
        total += percent[j];
    }
    double acc = 0.0;
    for (int k = 0; k < kMaxStepsPerDay; ++k) {
        if (k < steps) acc += mass[k];
        cdf[k] = k >= steps - 1 ? 1.0f : static_cast<float>(acc / total);
    }
}

// A by-arrival table (kMeanStayHours / kMeanSessionKwh) per window step: the mean of its
// half-hour rows weighted by the weekday arrivals of each quarter-hour slot; kNoData where none
// of the step's slots has a value.
std::vector<double> per_step(const Config& cfg, int steps, const float* by_half_hour, const float* weights) {
    std::vector<double> sum(static_cast<size_t>(steps), 0.0), weight(static_cast<size_t>(steps), 0.0);
    for (int j = 0; j < kSlotsPerDay; ++j) {
        const float value = by_half_hour[j / 2];
        if (value < 0.0f) continue;
        const int k = step_of_slot(cfg, j, steps);
        // A tiny floor keeps a slot with a value but no recorded weekday arrival in the mean.
        const double w = std::max(static_cast<double>(weights[j]), 1e-9);
        sum[k] += w * value;
        weight[k] += w;
    }
    std::vector<double> out(static_cast<size_t>(steps), kNoData);
    for (int k = 0; k < steps; ++k)
        if (weight[k] > 0.0) out[k] = sum[k] / weight[k];
    return out;
}

// Mean of the distribution an inverse-CDF table of kQuantileCount points describes (linear
// interpolation between them, as quantile_lookup draws).
double table_mean(const float* q) {
    double sum = 0.0;
    for (int i = 0; i + 1 < kQuantileCount; ++i) sum += 0.5 * (static_cast<double>(q[i]) + q[i + 1]);
    return sum / (kQuantileCount - 1);
}

// Driving (docs/MODEL.md, "Driving"): ElaadNL session energies are what a charger delivers per
// session, and drivers plug in every few days, so at one session a day their level would mean
// ~46,000 km a year. The daily trip keeps their shape (the distribution of session energies and
// how it varies with the arrival time) and takes its level from the national mean daily
// distance (sessions.daily_km) and the consumption per km.
SessionModel ev2gym_model(const Config& cfg, int steps) {
    const int c = static_cast<int>(cfg.sessions.charger);
    SessionModel m{};
    m.fixed = 0;
    arrival_cdf(cfg, steps, kArrivalPercent[c], m.arrival_cdf);
    arrival_cdf(cfg, steps, c < kWeekendChargers ? kWeekendArrivalPercent[c] : kArrivalPercent[c],
                m.weekend_arrival_cdf);
    for (int q = 0; q < kQuantileCount; ++q) m.duration_hours_q[q] = kDurationHoursQ[c][q];
    const double duration_mean = table_mean(m.duration_hours_q);
    const double demand_mean = table_mean(kDemandKwhQ[c]);
    // The weekday arrivals' mean of the session energy by arrival time: the trip scale is 1 on it.
    double weighted = 0.0, weights = 0.0;
    for (int j = 0; j < kSlotsPerDay; ++j)
        if (kMeanSessionKwh[c][j / 2] >= 0.0f) {
            weighted += kArrivalPercent[c][j] * kMeanSessionKwh[c][j / 2];
            weights += kArrivalPercent[c][j];
        }
    const double session_kwh_mean = weighted / weights;
    const std::vector<double> stay = per_step(cfg, steps, kMeanStayHours[c], kArrivalPercent[c]);
    const std::vector<double> energy = per_step(cfg, steps, kMeanSessionKwh[c], kArrivalPercent[c]);
    for (int k = 0; k < kMaxStepsPerDay; ++k) {
        const bool in_day = k < steps;
        m.stay_scale[k] = in_day && stay[k] > 0.0 ? static_cast<float>(stay[k] / duration_mean) : 1.0f;
        m.trip_scale[k] = in_day && energy[k] > 0.0 ? static_cast<float>(energy[k] / session_kwh_mean) : 1.0f;
    }
    const double level = cfg.sessions.daily_km * cfg.fleet.consumption_kwh_per_km / demand_mean;
    for (int q = 0; q < kQuantileCount; ++q) m.trip_kwh_q[q] = static_cast<float>(kDemandKwhQ[c][q] * level);
    m.min_duration_steps = 1.0f;
    return m;
}

SessionModel fixed_model(const Config& cfg, int steps) {
    for (const auto& [key, hour] :
         {std::pair<const char*, double>{"sessions.fixed_arrival_hour", cfg.sessions.fixed_arrival_hour},
          std::pair<const char*, double>{"sessions.fixed_departure_hour", cfg.sessions.fixed_departure_hour}})
        if (!(hour >= 0.0 && hour < kHoursPerDay))
            throw InputError(std::string(key) + " = " + std::to_string(hour) + ": must be a clock hour in [0, 24)");
    if (!(cfg.sessions.fixed_trip_kwh >= 0.0) || !std::isfinite(cfg.sessions.fixed_trip_kwh))
        throw InputError("sessions.fixed_trip_kwh = " + std::to_string(cfg.sessions.fixed_trip_kwh) + ": must be >= 0");
    SessionModel m{};
    m.fixed = 1;
    m.fixed_arrival_step = window_step_of_clock_hour(cfg, cfg.sessions.fixed_arrival_hour);
    // Departure is exclusive: leaving exactly at the window start means at the window's end.
    int departure = window_step_of_clock_hour(cfg, cfg.sessions.fixed_departure_hour);
    if (departure == 0) departure = steps;
    if (m.fixed_arrival_step >= steps || departure <= m.fixed_arrival_step)
        throw InputError("sessions.fixed_departure_hour = " + std::to_string(cfg.sessions.fixed_departure_hour) +
                         ": departure must come after arrival (sessions.fixed_arrival_hour = " +
                         std::to_string(cfg.sessions.fixed_arrival_hour) + ") within the episode window starting at " +
                         std::to_string(cfg.time.day_start_hour) + ":00 (time.day_start_hour)");
    m.fixed_departure_step = departure;
    m.fixed_trip_kwh = static_cast<float>(cfg.sessions.fixed_trip_kwh);
    // Unused by a fixed model but kept valid, so the struct is well-formed whatever reads it.
    for (int k = 0; k < kMaxStepsPerDay; ++k) {
        m.arrival_cdf[k] = k >= m.fixed_arrival_step ? 1.0f : 0.0f;
        m.weekend_arrival_cdf[k] = m.arrival_cdf[k];
        m.stay_scale[k] = 1.0f;
        m.trip_scale[k] = 1.0f;
    }
    const float hours = static_cast<float>((departure - m.fixed_arrival_step) * cfg.time.step_hours);
    for (int q = 0; q < kQuantileCount; ++q) {
        m.duration_hours_q[q] = hours;
        m.trip_kwh_q[q] = m.fixed_trip_kwh;
    }
    m.min_duration_steps = 1.0f;
    return m;
}

}  // namespace

int checked_steps_per_day(const Config& cfg) {
    const int steps = cfg.steps_per_day();
    if (!(cfg.time.step_hours > 0.0) || steps < 1 || steps > kMaxStepsPerDay ||
        std::fabs(steps * cfg.time.step_hours - kHoursPerDay) > 1e-6)
        throw InputError("time.step_hours = " + std::to_string(cfg.time.step_hours) +
                         ": must divide 24 h into at most " + std::to_string(kMaxStepsPerDay) + " steps");
    if (cfg.time.day_start_hour < 0 || cfg.time.day_start_hour >= 24)
        throw InputError("time.day_start_hour = " + std::to_string(cfg.time.day_start_hour) + ": must be in [0, 24)");
    return steps;
}

int window_step_of_clock_hour(const Config& cfg, double clock_hour) {
    return static_cast<int>(std::floor(window_offset_hours(cfg, clock_hour) / cfg.time.step_hours + 0.5));
}

// sessions.model = "csv": the days come from the table (problem/session_table.h); the rest of
// the model is kept well-formed (every vehicle arrives at step 0), as a fixed model's is.
SessionModel table_model(int steps) {
    SessionModel m{};
    m.table = 1;
    for (int k = 0; k < kMaxStepsPerDay; ++k) {
        m.arrival_cdf[k] = 1.0f;
        m.weekend_arrival_cdf[k] = 1.0f;
        m.stay_scale[k] = 1.0f;
        m.trip_scale[k] = 1.0f;
    }
    m.fixed_departure_step = steps;
    m.min_duration_steps = 1.0f;
    return m;
}

SessionModel build_session_model(const Config& cfg) {
    const int steps = checked_steps_per_day(cfg);
    SessionModel m;
    switch (cfg.sessions.model) {
        case SessionSource::ev2gym: m = ev2gym_model(cfg, steps); break;
        case SessionSource::fixed: m = fixed_model(cfg, steps); break;
        case SessionSource::csv: m = table_model(steps); break;
    }
    m.first_weekday = cfg.signals.first_weekday;
    m.reserve_kwh = static_cast<float>(cfg.sessions.reserve_km * cfg.fleet.consumption_kwh_per_km);
    return m;
}

}  // namespace v2g
