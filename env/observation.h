// observation.h: the continuous observation of one vehicle for deep policies (the DQN of
// dqn/dqn.cpp): kObservationSize floats, each scaled to roughly [-1, 1] so that one network
// serves every vehicle (parameter sharing). Written once, __host__ __device__, like the step
// phases it reads from. docs/DQN.md lists the features and their scaling.
#pragma once
#include <cmath>
#include "env/step.h"

namespace v2g {

enum ObservationFeature : int {
    kObsSoc = 0,             // stored energy / usable capacity
    kObsHourSin,             // sin(2 pi clock hour / 24)
    kObsHourCos,             // cos(2 pi clock hour / 24)
    kObsPriceNow,            // retail price / the series' largest retail price
    kObsPriceNext,           // the next step's retail price, scaled the same way
    kObsPriceAhead,          // mean retail price of the next kPriceAheadSteps steps, scaled
    kObsPlugged,             // 1 while plugged in
    kObsTimeToDeparture,     // steps until departure / steps per day (0 when unplugged)
    kObsEnergyNeeded,        // max(0, requirement - stored) / usable capacity
    kObsSoh,                 // state of health
    kObsMarketImbalance,     // the community's last clearing: sell ratio - buy ratio, in [-1, 1]
    kObsDemandResponse,      // 1 during a demand-response event
    kObservationSize,
};

// The features' names, in ObservationFeature order (Python's v2g.VectorEnv, docs/VECTOR_ENV.md).
constexpr const char* kObservationFeatureNames[] = {
    "soc",         "hour_sin",     "hour_cos",          "price_now",     "price_next", "price_ahead",
    "plugged_in",  "time_to_departure", "energy_needed", "soh",          "market_imbalance", "demand_response",
};
static_assert(sizeof kObservationFeatureNames / sizeof kObservationFeatureNames[0] == kObservationSize,
              "a name for every observation feature");

constexpr int kPriceAheadSteps = 4;
constexpr float kTwoPi = 6.283185307f;

// The layout version: a checkpoint or model made for another observation layout is refused.
constexpr int kObservationLayoutVersion = 1;

// The observations' price scale: the series' largest retail price (1 when none is positive).
inline float observation_price_scale(const EnvParams& p, const SignalsView& sig) {
    float scale = 0.0f;
    for (int i = 0; i < p.signal_days * p.steps_per_day; ++i) scale = max_f(scale, sig.retail_price_per_kwh[i]);
    return scale > 0.0f ? scale : 1.0f;
}

// obs gets kObservationSize floats. price_scale: the largest retail price of the series (> 0);
// day_start_hour: the clock hour at step 0.
V2G_HD void observe_vehicle(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                            int step, float price_scale, float day_start_hour, float* obs) {
    const float usable = f.usable_kwh[v];
    const float energy = f.energy_kwh[v];
    const float hour = day_start_hour + static_cast<float>(step) * p.step_hours;
    const int last = p.steps_per_day - 1;
    const float price_now = sig.retail_price_per_kwh[signal_index(p, episode, step)];
    const float price_next = sig.retail_price_per_kwh[signal_index(p, episode, step < last ? step + 1 : last)];
    float ahead = 0.0f;
    for (int k = 1; k <= kPriceAheadSteps; ++k)
        ahead += sig.retail_price_per_kwh[signal_index(p, episode, step + k <= last ? step + k : last)];
    const bool plugged = plugged_in(f, v, step);
    const int c = v / p.community_size;
    obs[kObsSoc] = soc_of(energy, usable);
    obs[kObsHourSin] = sinf(kTwoPi * hour / kHoursPerDay);
    obs[kObsHourCos] = cosf(kTwoPi * hour / kHoursPerDay);
    obs[kObsPriceNow] = price_now / price_scale;
    obs[kObsPriceNext] = price_next / price_scale;
    obs[kObsPriceAhead] = ahead / static_cast<float>(kPriceAheadSteps) / price_scale;
    obs[kObsPlugged] = plugged ? 1.0f : 0.0f;
    obs[kObsTimeToDeparture] =
        plugged ? static_cast<float>(f.departure_step[v] - step) / static_cast<float>(p.steps_per_day) : 0.0f;
    obs[kObsEnergyNeeded] = usable > 0.0f ? max_f(0.0f, f.required_kwh[v] - energy) / usable : 0.0f;
    obs[kObsSoh] = f.soh[v];
    obs[kObsMarketImbalance] = step > 0 ? f.market_sell_ratio[c] - f.market_buy_ratio[c] : 0.0f;
    obs[kObsDemandResponse] = sig.dr_event[signal_index(p, episode, step)] ? 1.0f : 0.0f;
}

// Every vehicle's observation at `step`, [num_vehicles * kObservationSize] into obs (the DQN,
// an outside policy, the vector environment).
inline void observe_fleet(const EnvParams& p, const SignalsView& sig, const FleetView& f, int episode, int step,
                          float price_scale, float day_start_hour, float* obs) {
    for (int v = 0; v < p.num_vehicles; ++v)
        observe_vehicle(p, sig, f, v, episode, step, price_scale, day_start_hour,
                        obs + static_cast<size_t>(v) * kObservationSize);
}

}  // namespace v2g
