// day_trace.cpp: see day_trace.h.
#include "train/day_trace.h"

#include <cmath>
#include "env/layout.h"
#include "env/schedule.h"

namespace v2g {
namespace {

// The fleet's flows of each step, read after its apply phase.
struct Tracer {
    static constexpr bool kChoosesActions = false;
    const EnvParams& p;
    const SignalsView& sig;
    const FleetView& f;
    int day_start_hour;
    DayTrace& t;
    double imp0 = 0, exp0 = 0, in0 = 0, out0 = 0;  // the day's totals before this step
    void begin_episode(int) {}
    void before_act(int, int) {}
    void after_phase(int phase, int episode, int step) {
        if (phase != kPhaseApply) return;
        constexpr double kHoursPerDayD = 24.0;
        double imp = 0, exp = 0, in = 0, out = 0, soc = 0, plugged = 0, pv_sold = 0, pv_kw = 0;
        for (int v = 0; v < p.num_vehicles; ++v) {
            imp += f.ep_grid_import_kwh[v];
            exp += f.ep_grid_export_kwh[v];
            in += f.ep_p2p_bought_kwh[v];
            out += f.ep_p2p_sold_kwh[v];
            soc += soc_of(f.energy_kwh[v], f.usable_kwh[v]);
            plugged += f.state[v] >= 0 ? 1.0 : 0.0;
        }
        const int idx = signal_index(p, episode, step);
        for (int c = 0; c < p.num_communities; ++c) {
            pv_sold += f.market_pv_kwh[c];
            pv_kw += sig.community_pv_kwp[c] * sig.pv_kw_per_kwp[idx];
        }
        t.clock_hour.push_back(std::fmod(day_start_hour + step * static_cast<double>(p.step_hours), kHoursPerDayD));
        t.retail_price_per_kwh.push_back(sig.retail_price_per_kwh[idx]);
        t.feed_in_price_per_kwh.push_back(sig.feed_in_price_per_kwh[idx]);
        t.grid_load_kw.push_back(sig.grid_load_kw[idx]);
        t.dr_event.push_back(sig.dr_event[idx]);
        t.pv_kw.push_back(pv_kw);
        t.grid_import_kwh.push_back(imp - imp0);
        t.grid_export_kwh.push_back(exp - exp0);
        t.p2p_bought_kwh.push_back(in - in0);
        t.p2p_sold_kwh.push_back(out - out0);
        t.pv_sold_kwh.push_back(pv_sold);
        t.soc_mean.push_back(soc / p.num_vehicles);
        t.plugged_in.push_back(plugged);
        imp0 = imp;
        exp0 = exp;
        in0 = in;
        out0 = out;
    }
};

}  // namespace

DayTrace trace_day(const EnvParams& p, const std::vector<char>& fleet, const std::vector<char>& signals,
                   int episode, int day_start_hour) {
    // A private copy of the state part; the Q-tables are read in place (greedy: no updates).
    FleetView original{};
    size_t state_bytes = 0;
    layout_fleet(p, const_cast<char*>(fleet.data()), &original, &state_bytes);
    std::vector<char> state(fleet.begin(), fleet.begin() + static_cast<std::ptrdiff_t>(state_bytes));
    FleetView f{};
    layout_fleet(p, state.data(), &f);
    f.q = original.q;
    f.q_bf16 = original.q_bf16;
    // No transaction slots: the trace records flows, not the ledger, and the step writes a slot
    // only where there are slots (their sums, ep_ledger_*, are not traced). Contracts still
    // price and admit every transfer, so the day is the one the ledger would record; at 10^5
    // vehicles the slots were 230 MB of fresh pages.
    SignalsView sig{};
    layout_signals(p, const_cast<char*>(signals.data()), &sig);

    DayTrace t;
    t.episode = episode;
    Tracer tracer{p, sig, f, day_start_hour, t};
    std::vector<EpisodeMetrics> metrics(static_cast<size_t>(p.num_communities));
    run_episode_schedule(p, sig, f, 0, p.num_communities, episode, kPolicyGreedy, 0.0f, Lanes{}, NoSync{}, tracer,
                         nullptr, metrics.data());
    return t;
}

}  // namespace v2g
