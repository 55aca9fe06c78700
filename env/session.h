// session.h: one vehicle's day: its plug-in session (arrival step, departure step) and the trip
// it drove before arriving, drawn from the tables of SessionModel with Philox, fixed, or read
// from a sessions table (a CSV: SignalsView::session_table). A day is a pure function of (seed,
// vehicle, episode), so a reset can also look at tomorrow's trip: what the driver wants stored
// at departure (step.h reset_vehicle). Only exact float arithmetic (no transcendental
// functions): the same draws on every device.
#pragma once
#include "env/env_types.h"
#include "common/philox.h"

namespace v2g {

struct Session {
    int arrival_step;
    int departure_step;  // exclusive
    float trip_kwh;      // energy driven before the arrival (at the battery)
    float required_soc;  // SoC wanted at departure; < 0: the model's (reserve + the next trip)
};

// Linear interpolation in an inverse-CDF table sampled at p = 0, 1/(n-1), ..., 1.
V2G_HD float quantile_lookup(const float* table, float u) {
    const float x = u * static_cast<float>(kQuantileCount - 1);
    int i = static_cast<int>(x);
    if (i >= kQuantileCount - 1) i = kQuantileCount - 2;
    const float frac = x - static_cast<float>(i);
    return table[i] + frac * (table[i + 1] - table[i]);
}

// The weekday of an episode's day: the signal series' calendar (signal day e % days, its day 0
// a SessionModel::first_weekday), so sessions and prices share their weekends.
V2G_HD int weekday_of(const EnvParams& p, int episode) {
    return (episode % p.signal_days + p.sessions.first_weekday) % kDaysPerWeek;
}

V2G_HD bool is_weekend(const EnvParams& p, int episode) { return weekday_of(p, episode) >= kFirstWeekendDay; }

V2G_HD Session draw_session(const EnvParams& p, const SignalsView& sig, int vehicle, int episode) {
    const SessionModel& m = p.sessions;
    Session s;
    s.required_soc = -1.0f;
    if (m.table) {  // a day without a row: the vehicle neither drives nor plugs in
        const SessionRecord r = sig.session_table[static_cast<size_t>(episode % p.session_days) *
                                                      static_cast<size_t>(p.num_vehicles) + static_cast<size_t>(vehicle)];
        const bool none = r.arrival_step == kNoSession;
        s.arrival_step = none ? p.steps_per_day : r.arrival_step;
        s.departure_step = none ? p.steps_per_day : r.departure_step;
        s.trip_kwh = none ? 0.0f : r.trip_kwh;
        s.required_soc = none ? -1.0f : r.required_soc;
        return s;
    }
    if (m.fixed) {
        s.arrival_step = m.fixed_arrival_step;
        s.departure_step = m.fixed_departure_step;
        s.trip_kwh = m.fixed_trip_kwh;
        return s;
    }
    const Philox4 r = random4(p.seed, static_cast<uint32_t>(vehicle), static_cast<uint32_t>(episode),
                              0u, RngPurpose::kSession);
    const float u_arrival = uniform01(r.v[0]);
    const float* cdf = is_weekend(p, episode) ? m.weekend_arrival_cdf : m.arrival_cdf;
    int arrival = p.steps_per_day - 1;
    for (int k = 0; k < p.steps_per_day; ++k) {
        if (u_arrival < cdf[k]) { arrival = k; break; }
    }
    // Stay and trip conditional on the arrival time: the overall shape scaled to its mean there.
    const float hours = quantile_lookup(m.duration_hours_q, uniform01(r.v[1])) * m.stay_scale[arrival];
    // Round to the nearest step: + 0.5 then truncate (positive values only).
    int steps = static_cast<int>(hours / p.step_hours + 0.5f);
    steps = max_i(steps, static_cast<int>(m.min_duration_steps));
    s.arrival_step = arrival;
    s.departure_step = min_i(arrival + max_i(steps, 1), p.steps_per_day);
    s.trip_kwh = max_f(0.0f, quantile_lookup(m.trip_kwh_q, uniform01(r.v[2])) * m.trip_scale[arrival]);
    return s;
}

}  // namespace v2g
