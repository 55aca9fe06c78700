// policies.h: the decision side of a step: the learner's tabular state (SoC, time, price level,
// charging slack, price outlook), the plan policy's grid, the yardsticks' rules (charge on
// arrival, time of use) and the charger's safety layer.
#pragma once
#include "env/contract_legs.h"
#include "env/env_types.h"
#include "env/market.h"
#include "env/qlearning.h"

namespace v2g {

// Stored-energy grid of the plan policy and of the dynamic-programming optimum
// (eval/optimum.h): plan_points equally spaced levels from soc_min to soc_max of usable.
V2G_HD float plan_energy_kwh(const EnvParams& p, float usable_kwh, int point) {
    const float lo = p.soc_min * usable_kwh, hi = p.soc_max * usable_kwh;
    return p.plan_points > 1 ? lo + (hi - lo) * static_cast<float>(point) / static_cast<float>(p.plan_points - 1) : lo;
}

// The nearest grid point to a stored energy.
V2G_HD int plan_point(const EnvParams& p, float energy_kwh, float usable_kwh) {
    const float lo = p.soc_min * usable_kwh, hi = p.soc_max * usable_kwh;
    if (p.plan_points <= 1 || hi <= lo) return 0;
    const float x = (energy_kwh - lo) / (hi - lo) * static_cast<float>(p.plan_points - 1);
    const int g = static_cast<int>(x + 0.5f);
    return g < 0 ? 0 : (g >= p.plan_points ? p.plan_points - 1 : g);
}

// Steps of full-power charging still needed to reach the departure requirement from `energy`.
V2G_HD int charge_steps_needed(const EnvParams& p, const FleetView& f, int v, float energy_kwh) {
    const float needed_kwh = f.required_kwh[v] - energy_kwh;  // battery side
    const float per_step_kwh = f.charge_kw[v] * p.step_hours * f.eta_charge[v];
    if (needed_kwh <= 0.0f || per_step_kwh <= 0.0f) return 0;
    int steps = static_cast<int>(needed_kwh / per_step_kwh);
    if (static_cast<float>(steps) * per_step_kwh < needed_kwh) ++steps;
    return steps;
}

// Charging slack of the tabular state (learning.deadline_levels): the steps to spare before
// departure if the vehicle charged at full power from now, clamped to [0, levels - 1]; 0 also
// when the requirement can no longer be met.
V2G_HD int slack_level(const EnvParams& p, const FleetView& f, int v, float energy_kwh, int step) {
    if (p.deadline_levels <= 1) return 0;
    const int spare = (f.departure_step[v] - step) - charge_steps_needed(p, f, v, energy_kwh);
    return spare < 0 ? 0 : (spare >= p.deadline_levels ? p.deadline_levels - 1 : spare);
}

// The steps left in the stay whose retail price is below this step's (the day's prices are
// known a day ahead): how many cheaper chances to charge remain.
V2G_HD int cheaper_steps_left(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                              int step) {
    const float now = sig.retail_price_per_kwh[signal_index(p, episode, step)];
    int cheaper = 0;
    for (int u = step + 1; u < f.departure_step[v]; ++u)
        cheaper += sig.retail_price_per_kwh[signal_index(p, episode, u)] < now ? 1 : 0;
    return cheaper;
}

// Price outlook of the tabular state (learning.forecast_levels), clamped to [0, levels - 1]; 0
// when off. learning.forecast_basis = "cheaper_steps": cheaper_steps_left; "charge_margin": the
// full-power steps the requirement needs beyond those cheaper steps, so 0 where time-of-use
// would wait and 1 or more where it would charge (time_of_use_action).
V2G_HD int forecast_level(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode, int step,
                          float energy_kwh) {
    if (p.forecast_levels <= 1) return 0;
    const int cheaper = cheaper_steps_left(p, sig, f, v, episode, step);
    const int level = p.forecast_margin ? charge_steps_needed(p, f, v, energy_kwh) - cheaper : cheaper;
    return level <= 0 ? 0 : (level >= p.forecast_levels ? p.forecast_levels - 1 : level);
}

// The shaping potential (learning.shaping; Ng, Harada and Russell 1999) of a plugged-in vehicle
// holding `energy_kwh` at `step`: minus the least the rest of its requirement can cost, bought
// at full power in the cheapest steps of [step, departure) at the day-ahead retail prices (as
// time-of-use would buy it), what no step can still deliver priced at the unmet penalty. Adding
// gamma Phi(s') - Phi(s) to each reward shifts every policy's return from a state by the same
// -Phi(state), so the best policy stays the best; but an action's effect on what the remaining
// charging will cost shows in its own step's reward instead of hours later, averaged over the
// vehicles a table row pools. Walks the day's steps cheapest first (SignalsView::price_order).
V2G_HD float charging_potential(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                                int step, float energy_kwh) {
    const float eta = f.eta_charge[v];
    float meter_kwh = eta > 0.0f ? (f.required_kwh[v] - energy_kwh) / eta : 0.0f;
    const float per_step_kwh = f.charge_kw[v] * p.step_hours;
    const int day = signal_index(p, episode, 0);
    const uint16_t* order = sig.price_order + day;
    float cost = 0.0f;
    for (int k = 0; k < p.steps_per_day && meter_kwh > 0.0f; ++k) {
        const int u = order[k];
        if (u < step || u >= f.departure_step[v]) continue;
        const float take = min_f(meter_kwh, per_step_kwh);
        cost += take * sig.retail_price_per_kwh[day + u];
        meter_kwh -= take;
    }
    if (meter_kwh > 0.0f) cost += meter_kwh * eta * p.unmet_penalty_per_kwh;
    return -cost;
}

// The learner's state of a plugged-in vehicle holding `energy_kwh` at `step`.
V2G_HD int tabular_state(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                         int step, float energy_kwh) {
    return state_index(p, soc_of(energy_kwh, f.usable_kwh[v]), step, sig.price_level[signal_index(p, episode, step)],
                       slack_level(p, f, v, energy_kwh, step), forecast_level(p, sig, f, v, episode, step, energy_kwh));
}

// How a simple operator charges: from the community's P2P market when a buyer's price there
// (the clearing price plus the distribution losses buyers bear) is below the grid's, since an
// unmatched bid still falls back to the grid; from the grid otherwise. With the grid down, only
// the market can deliver.
V2G_HD int charge_action(const EnvParams& p, const SignalsView& sig, int v, int episode, int step) {
    if (grid_down(p, step)) return kBuy;
    if (!p.unmatched_to_grid) return kCharge;
    const int idx = signal_index(p, episode, step);
    const float retail = sig.retail_price_per_kwh[idx];
    const float market = market_price(retail, sig.feed_in_price_per_kwh[idx], p.p2p_price_weight);
    const int32_t buy_micro = to_micro_per_kwh(market / (1.0f - p.p2p_loss_fraction));
    return buy_micro < leg_price_micro(p, sig, v, kContractChargingTariff, to_micro_per_kwh(retail)) ? kBuy : kCharge;
}

// Time-of-use yardstick: knows the day's retail prices and charges in as many of the cheapest
// remaining steps of the stay as the departure requirement needs (ties: earlier first).
V2G_HD int time_of_use_action(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                              int step) {
    const int steps_needed = charge_steps_needed(p, f, v, f.energy_kwh[v]);
    if (steps_needed == 0) return kIdle;
    return cheaper_steps_left(p, sig, f, v, episode, step) < steps_needed ? charge_action(p, sig, v, episode, step)
                                                                          : kIdle;
}

// The charger's safety layer (learning.safety_layer, on by default, as deployed smart chargers
// do): the action a policy chose is replaced by charging when, after it, even charging at full
// power in every remaining step of the stay could no longer reach the departure requirement.
// Discharging and selling take energy out; buying may stay unmatched when unmatched bids are
// not filled from the grid. Returns the action to execute (charging as a simple operator does,
// charge_action: from the P2P market when cheaper, the grid filling the rest) and sets *forced
// when it overrode; forced charging is served first under the grid connection limit.
V2G_HD int safe_action(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode, int step,
                       int a, bool* forced) {
    *forced = false;
    if (!p.safety_layer || a == kCharge) return a;
    float energy_after = f.energy_kwh[v];
    if (a == kDischarge || a == kSell)
        energy_after -= max_discharge_kwh(p, energy_after, f.usable_kwh[v], f.discharge_kw[v], f.eta_discharge[v]) /
                        f.eta_discharge[v];
    else if (a == kBuy && p.unmatched_to_grid && !grid_down(p, step))
        return a;  // a bid the grid fills when the market does not: as good as charging
    const int steps_left_after = f.departure_step[v] - (step + 1);
    if (charge_steps_needed(p, f, v, energy_after) <= steps_left_after) return a;
    *forced = true;
    return charge_action(p, sig, v, episode, step);
}

}  // namespace v2g
