// session.h: today's plug-in session of one vehicle, drawn from the fitted distributions in
// SessionModel (arrival step, connection time, energy demand) with Philox, or fixed.
#pragma once
#include "env_types.h"
#include "philox.h"

namespace v2g {

struct Session {
    int arrival_step;
    int departure_step;  // exclusive
    float demand_kwh;
};

// Linear interpolation in an inverse-CDF table sampled at p = 0, 1/(n-1), ..., 1.
V2G_HD float quantile_lookup(const float* table, float u) {
    const float x = u * static_cast<float>(kQuantileCount - 1);
    int i = static_cast<int>(x);
    if (i >= kQuantileCount - 1) i = kQuantileCount - 2;
    const float frac = x - static_cast<float>(i);
    return table[i] + frac * (table[i + 1] - table[i]);
}

V2G_HD Session draw_session(const EnvParams& p, int vehicle, int episode) {
    const SessionModel& m = p.sessions;
    Session s;
    if (m.fixed) {
        s.arrival_step = m.fixed_arrival_step;
        s.departure_step = m.fixed_departure_step;
        s.demand_kwh = m.fixed_demand_kwh;
        return s;
    }
    const Philox4 r = random4(p.seed, static_cast<uint32_t>(vehicle), static_cast<uint32_t>(episode),
                              0u, RngPurpose::kSession);
    const float u_arrival = uniform01(r.v[0]);
    int arrival = p.steps_per_day - 1;
    for (int k = 0; k < p.steps_per_day; ++k) {
        if (u_arrival < m.arrival_cdf[k]) { arrival = k; break; }
    }
    if (arrival > p.steps_per_day - 1) arrival = p.steps_per_day - 1;
    const float hours = quantile_lookup(m.duration_hours_q, uniform01(r.v[1]));
    // Round to the nearest step: + 0.5 then truncate (positive values only).
    int steps = static_cast<int>(hours / p.step_hours + 0.5f);
    steps = max_i(steps, static_cast<int>(m.min_duration_steps));
    s.arrival_step = arrival;
    s.departure_step = min_i(arrival + max_i(steps, 1), p.steps_per_day);
    s.demand_kwh = max_f(0.0f, quantile_lookup(m.demand_kwh_q, uniform01(r.v[2])));
    return s;
}

}  // namespace v2g
