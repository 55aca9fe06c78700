// day_trace.h: one more day with the trained greedy policy, stepped on the host from a copy of
// the final state, recording fleet totals step by step: what a day of energy flows and prices
// looks like under the learned policy (the results file's /day group; plotted by the Python
// package). The training state itself is not touched.
#pragma once
#include <string>
#include <vector>
#include "env/env_types.h"

namespace v2g {

struct DayTrace {
    int episode = -1;  // the day traced (the episode after the last trained one)
    // One entry per step of the day.
    std::vector<double> clock_hour, retail_price_per_kwh, feed_in_price_per_kwh, grid_load_kw, dr_event,
        pv_kw, grid_import_kwh, grid_export_kwh, p2p_bought_kwh, p2p_sold_kwh, pv_sold_kwh, soc_mean,
        plugged_in;
};

// fleet: the whole fleet buffer after training (read only; its Q-tables drive the policy);
// signals: the problem's signal buffer (layout.h).
DayTrace trace_day(const EnvParams& p, const std::vector<char>& fleet, const std::vector<char>& signals,
                   int episode, int day_start_hour);

}  // namespace v2g
