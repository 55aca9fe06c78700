// step.h: one environment step, split into the phases both backends run in this order:
//   reset_vehicle      (episode start)  ageing state, the trip driven (en-route charging when the
//                                       battery cannot cover it), today's session, the requirement
//   act_vehicle        (per vehicle)    tabular state, action, the safety layer, grid request, P2P offer/bid
//   clear_community    (per community)  P2P market and the grid connection limit, sums in vehicle order
//   apply_vehicle      (per vehicle)    energy, money, degradation, reward, next state
//   learn_vehicle      (per vehicle, or in vehicle order for shared tables) Q-update
//   summarize_community(episode end)    per-community episode metrics
// Each phase reads only what earlier phases wrote, so a backend may run a phase's items in any
// order or in parallel (learn_vehicle excepted for shared tables) and get identical results.
#pragma once
#include "battery.h"
#include "market.h"
#include "qlearning.h"
#include "session.h"
#include "ledger/contracts.h"
#include "ledger/transaction.h"

namespace v2g {

// Sums over one community (or, after merging, the fleet) for one episode.
struct EpisodeMetrics {
    double reward;            // sum over vehicles of the episode reward
    double reward_min;        // lowest vehicle episode reward
    double reward_max;        // highest vehicle episode reward
    double energy_cost;
    double revenue;
    double degradation_cost;
    double unmet_penalty;
    double unmet_kwh;
    double grid_import_kwh;
    double grid_export_kwh;
    double p2p_bought_kwh;
    double p2p_sold_kwh;
    double pv_sold_kwh;
    double market_loss_kwh;
    double conversion_loss_kwh;
    double en_route_cost;     // fast charging bought on trips the battery could not cover
    double en_route_kwh;
    double curtailed_kwh;     // grid import and export cut by the connection limit
    double soc_end;           // sum of end-of-episode SoC
    double soh;               // sum of SoH
    double soh_min;
    int64_t vehicles;
    int64_t safety_overrides;  // steps the safety layer overrode a policy's action
    int64_t limit_steps;       // community steps at which the connection limit cut a flow
    int64_t pack_replacements; // packs replaced at end of life (battery.aging = "lifetime")
    // ledger (zero when the ledger is off)
    int64_t tx_count;                        // transactions written
    int64_t tx_latency_steps;                // sum over them of steps from decision to commit
    int64_t ledger_energy_wh;                // signed sum of their energy (in - out)
    int64_t ledger_amount_micro;             // signed sum of their money (paid - received)
    int64_t rejected[kNumRejectReasons];     // transfers rejected, by RejectReason
};

V2G_HD void merge_metrics(EpisodeMetrics* into, const EpisodeMetrics& m) {
    if (into->vehicles == 0) { *into = m; return; }
    if (m.vehicles == 0) return;
    into->reward += m.reward;
    into->reward_min = m.reward_min < into->reward_min ? m.reward_min : into->reward_min;
    into->reward_max = m.reward_max > into->reward_max ? m.reward_max : into->reward_max;
    into->energy_cost += m.energy_cost;
    into->revenue += m.revenue;
    into->degradation_cost += m.degradation_cost;
    into->unmet_penalty += m.unmet_penalty;
    into->unmet_kwh += m.unmet_kwh;
    into->grid_import_kwh += m.grid_import_kwh;
    into->grid_export_kwh += m.grid_export_kwh;
    into->p2p_bought_kwh += m.p2p_bought_kwh;
    into->p2p_sold_kwh += m.p2p_sold_kwh;
    into->pv_sold_kwh += m.pv_sold_kwh;
    into->market_loss_kwh += m.market_loss_kwh;
    into->conversion_loss_kwh += m.conversion_loss_kwh;
    into->en_route_cost += m.en_route_cost;
    into->en_route_kwh += m.en_route_kwh;
    into->curtailed_kwh += m.curtailed_kwh;
    into->soc_end += m.soc_end;
    into->soh += m.soh;
    into->soh_min = m.soh_min < into->soh_min ? m.soh_min : into->soh_min;
    into->vehicles += m.vehicles;
    into->safety_overrides += m.safety_overrides;
    into->limit_steps += m.limit_steps;
    into->pack_replacements += m.pack_replacements;
    into->tx_count += m.tx_count;
    into->tx_latency_steps += m.tx_latency_steps;
    into->ledger_energy_wh += m.ledger_energy_wh;
    into->ledger_amount_micro += m.ledger_amount_micro;
    for (int r = 0; r < kNumRejectReasons; ++r) into->rejected[r] += m.rejected[r];
}

V2G_HD int signal_index(const EnvParams& p, int episode, int step) {
    return (episode % p.signal_days) * p.steps_per_day + step;
}

V2G_HD float soc_of(float energy_kwh, float usable_kwh) {
    return usable_kwh > 0.0f ? energy_kwh / usable_kwh : 0.0f;
}

// Evaluation faults: a vehicle that is away all day (missing, or its community offline).
V2G_HD bool vehicle_absent(const EnvParams& p, int v) {
    if (p.fault_community_offline && v / p.community_size == p.fault_community) return true;
    return p.fault_missing_share > 0.0f &&
           uniform01(random4(p.seed, static_cast<uint32_t>(v), 0u, 0u, RngPurpose::kFault).v[0]) < p.fault_missing_share;
}

// Evaluation fault: no grid import or export during the outage window.
V2G_HD bool grid_down(const EnvParams& p, int step) {
    return step >= p.fault_outage_begin_step && step < p.fault_outage_end_step;
}

// The money, energy and rejection sums a vehicle's steps add to during a day.
V2G_HD void clear_day_sums(const FleetView& f, int v) {
    f.ep_energy_cost[v] = 0.0f;
    f.ep_revenue[v] = 0.0f;
    f.ep_degradation_cost[v] = 0.0f;
    f.ep_unmet_penalty[v] = 0.0f;
    f.ep_unmet_kwh[v] = 0.0f;
    f.ep_grid_import_kwh[v] = 0.0f;
    f.ep_grid_export_kwh[v] = 0.0f;
    f.ep_p2p_bought_kwh[v] = 0.0f;
    f.ep_p2p_sold_kwh[v] = 0.0f;
    f.ep_conversion_loss_kwh[v] = 0.0f;
    f.ep_curtailed_kwh[v] = 0.0f;
    f.ep_safety_overrides[v] = 0;
    for (int r = 0; r < kNumRejectReasons; ++r) f.ep_rejected[v * kNumRejectReasons + r] = 0;
}

// The pack as the fleet's configured age left it (battery.initial_age_days and
// initial_full_cycles): every day's start in the default ageing mode, and a replacement pack's
// start in the lifetime mode.
V2G_HD void restore_fleet_age(const EnvParams& p, const FleetView& f, int v) {
    f.calendar_loss[v] = p.initial_calendar_loss;
    f.cycle_loss[v] = p.initial_cycle_loss;
    f.throughput_ah[v] = p.initial_throughput_ah;
    f.soh[v] = 1.0f - p.initial_calendar_loss - p.initial_cycle_loss;
}

// The pack's calendar age (days) at the start of an episode's day.
V2G_HD float pack_age_days(const EnvParams& p, const FleetView& f, int v, int episode) {
    return p.lifetime_aging ? f.pack_age_offset_days[v] + static_cast<float>(episode) : p.initial_age_days;
}

// A day begins: the pack's ageing state, the trip since the last departure, today's session and
// what the driver wants stored when leaving. The trip is driven down to the controller's floor
// (battery.soc_min); whatever the battery cannot cover above it is bought en route at the public
// fast-charging price, so no energy is driven for free. The requirement is tomorrow's trip plus the
// driver's reserve above that floor, capped by what the charger can store during the stay, so that
// it can always be met by charging from arrival.
V2G_HD void reset_vehicle(const EnvParams& p, const FleetView& f, int v, int episode) {
    Session s = draw_session(p, v, episode);
    const bool absent = vehicle_absent(p, v);
    if (absent) {  // never plugs in today (and does not drive in our window)
        s.arrival_step = p.steps_per_day;
        s.departure_step = p.steps_per_day;
        s.trip_kwh = 0.0f;
    }
    uint32_t replaced = 0;
    if (!p.lifetime_aging) {
        restore_fleet_age(p, f, v);
    } else if (f.soh[v] <= 1.0f - p.end_of_life_loss) {
        restore_fleet_age(p, f, v);
        f.pack_age_offset_days[v] = p.initial_age_days - static_cast<float>(episode);
        replaced = 1;
    }
    const float usable = f.capacity_kwh[v] * f.soh[v];
    const float floor_kwh = p.soc_min * usable;
    const float energy0 = f.energy_kwh[v];
    const float from_battery = min_f(s.trip_kwh, max_f(0.0f, energy0 - floor_kwh));
    const float en_route_kwh = s.trip_kwh - from_battery;
    const float energy = energy0 - from_battery;
    const float next_trip_kwh = absent ? 0.0f : draw_session(p, v, episode + 1).trip_kwh;
    f.usable_kwh[v] = usable;
    f.energy_kwh[v] = energy;
    f.arrival_step[v] = s.arrival_step;
    f.departure_step[v] = s.departure_step;
    f.trip_kwh[v] = s.trip_kwh;
    const float stay_hours = static_cast<float>(s.departure_step - s.arrival_step) * p.step_hours;
    const float deliverable_kwh = f.charge_kw[v] * stay_hours * f.eta_charge[v];
    const float wanted_kwh = min_f(p.soc_max * usable, floor_kwh + p.sessions.reserve_kwh + next_trip_kwh);
    f.required_kwh[v] = min_f(wanted_kwh, energy + deliverable_kwh);
    const float soc = soc_of(energy, usable);
    f.soc_low_today[v] = soc;
    f.soc_high_today[v] = soc;
    clear_day_sums(f, v);
    f.ep_en_route_kwh[v] = en_route_kwh;
    f.ep_en_route_cost[v] = en_route_kwh * p.en_route_price_per_kwh;
    f.ep_pack_replaced[v] = replaced;
    f.ep_start_kwh[v] = energy;
    f.ep_ledger_wh[v] = 0;
    f.ep_ledger_micro[v] = 0;
    f.ep_tx_count[v] = 0;
    f.ep_tx_latency_steps[v] = 0;
}

V2G_HD void reset_community(const FleetView& f, int c) {
    f.ep_pv_sold_kwh[c] = 0.0f;
    f.ep_pv_revenue[c] = 0.0f;
    f.ep_market_loss_kwh[c] = 0.0f;
    f.ep_limit_steps[c] = 0;
    f.ep_pv_ledger_wh[c] = 0;
    f.ep_pv_ledger_micro[c] = 0;
    f.ep_pv_tx_count[c] = 0;
    f.ep_pv_tx_latency_steps[c] = 0;
}

// --- ledger helpers -------------------------------------------------------------------

// The price a leg pays: its contract's (fixed or the indexed one) when the ledger is on.
V2G_HD int32_t leg_price_micro(const EnvParams& p, const SignalsView& sig, int v, ContractType type,
                               int32_t indexed_micro) {
    return p.ledger_enabled ? contract_price(sig.contracts[contract_for(p, v, type)], indexed_micro) : indexed_micro;
}

// Checks a transfer against its contract; counts and returns the reason when rejected.
V2G_HD int admit_transfer(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                          ContractType type, float energy_kwh, int32_t price_micro) {
    if (!p.ledger_enabled || energy_kwh <= 0.0f) return kAccepted;
    const Contract& k = sig.contracts[contract_for(p, v, type)];
    const int reason = check_contract(k, v, v / p.community_size, episode,
                                      round_to_int(static_cast<double>(energy_kwh) * kWhPerKwh), price_micro);
    if (reason != kAccepted) f.ep_rejected[v * kNumRejectReasons + reason] += 1;
    return reason;
}

V2G_HD Transaction* tx_slot(const EnvParams& p, const FleetView& f, int step, int64_t index_in_step) {
    return f.tx_slots + static_cast<int64_t>(step) * slots_per_step(p) + index_in_step;
}

// Running sums of one party's transactions in the episode.
struct LedgerSums {
    int64_t* wh;
    int64_t* micro;
    uint32_t* count;
    uint32_t* latency_steps;  // a block commits after the episode's last step
};

// Writes one leg into its slot (kind kTxNone when nothing moved) and adds it to the sums.
V2G_HD void write_leg(const EnvParams& p, Transaction* slot, int episode, int step, uint8_t kind, uint32_t party,
                      uint32_t counterparty, uint32_t contract, int64_t energy_wh, int32_t price_micro,
                      const LedgerSums& sums) {
    Transaction t = {};
    if (energy_wh != 0) {
        t.episode = static_cast<uint32_t>(episode);
        t.step = static_cast<uint16_t>(step);
        t.kind = kind;
        t.vehicle = party;
        t.counterparty = counterparty;
        t.contract = contract;
        t.energy_wh = energy_wh;
        t.price_micro_per_kwh = price_micro;
        t.amount_micro = tx_amount_micro(energy_wh, price_micro);
        *sums.wh += energy_wh;
        *sums.micro += t.amount_micro;
        *sums.count += 1;
        *sums.latency_steps += static_cast<uint32_t>(p.steps_per_day - step);
    }
    *slot = t;
}

V2G_HD bool plugged_in(const FleetView& f, int v, int step) {
    return step >= f.arrival_step[v] && step < f.departure_step[v];
}

// Stored-energy grid of the plan policy and of the dynamic-programming optimum
// (kernels/optimum.h): plan_points equally spaced levels from soc_min to soc_max of usable.
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

// Price outlook of the tabular state (learning.forecast_levels): cheaper_steps_left clamped to
// [0, levels - 1]; 0 when off.
V2G_HD int forecast_level(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode, int step) {
    if (p.forecast_levels <= 1) return 0;
    const int cheaper = cheaper_steps_left(p, sig, f, v, episode, step);
    return cheaper >= p.forecast_levels ? p.forecast_levels - 1 : cheaper;
}

// The learner's state of a plugged-in vehicle holding `energy_kwh` at `step`.
V2G_HD int tabular_state(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                         int step, float energy_kwh) {
    return state_index(p, soc_of(energy_kwh, f.usable_kwh[v]), step, sig.price_level[signal_index(p, episode, step)],
                       slack_level(p, f, v, energy_kwh, step), forecast_level(p, sig, f, v, episode, step));
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

V2G_HD void clear_requests(const FleetView& f, int v) {
    f.grid_kwh[v] = 0.0f;
    f.offer_kwh[v] = 0.0f;
    f.bid_kwh[v] = 0.0f;
}

// Turns an action into this step's grid request, P2P offer or bid: every transfer executes
// under its contract or not at all, and none touches the grid while it is down.
V2G_HD void request_transfer(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode,
                             int step, int a) {
    clear_requests(f, v);
    const int idx = signal_index(p, episode, step);
    const float energy = f.energy_kwh[v], usable = f.usable_kwh[v];
    const float can_charge = max_charge_kwh(p, energy, usable, f.charge_kw[v], f.eta_charge[v]);
    const float can_discharge = max_discharge_kwh(p, energy, usable, f.discharge_kw[v], f.eta_discharge[v]);
    const float retail = sig.retail_price_per_kwh[idx], feed_in = sig.feed_in_price_per_kwh[idx];
    const int32_t market_micro = to_micro_per_kwh(market_price(retail, feed_in, p.p2p_price_weight));
    const bool grid = !grid_down(p, step);
    switch (a) {
        case kCharge:
            if (grid && !admit_transfer(p, sig, f, v, episode, kContractChargingTariff, can_charge,
                                        leg_price_micro(p, sig, v, kContractChargingTariff, to_micro_per_kwh(retail))))
                f.grid_kwh[v] = can_charge;
            break;
        case kDischarge: {
            const float export_price = sig.dr_event[idx] ? p.dr_price_per_kwh : feed_in;
            if (grid && !admit_transfer(p, sig, f, v, episode, kContractV2GService, can_discharge,
                                        leg_price_micro(p, sig, v, kContractV2GService, to_micro_per_kwh(export_price))))
                f.grid_kwh[v] = -can_discharge;
            break;
        }
        case kSell:
            if (!admit_transfer(p, sig, f, v, episode, kContractP2PMarket, can_discharge, market_micro))
                f.offer_kwh[v] = can_discharge;
            break;
        case kBuy:
            // A buyer pays the clearing price plus the distribution losses (apply_vehicle):
            // that is the price its contract must allow.
            if (!admit_transfer(p, sig, f, v, episode, kContractP2PMarket, can_charge,
                                to_micro_per_kwh(market_price(retail, feed_in, p.p2p_price_weight) /
                                                 (1.0f - p.p2p_loss_fraction))))
                f.bid_kwh[v] = can_charge;
            break;
        default: break;
    }
}

V2G_HD void act_vehicle(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v,
                        int episode, int step, int mode, float epsilon) {
    f.forced[v] = 0;
    if (!plugged_in(f, v, step)) {
        clear_requests(f, v);
        f.state[v] = -1;
        f.action[v] = kIdle;
        return;
    }
    const float energy = f.energy_kwh[v], usable = f.usable_kwh[v];
    const int s = tabular_state(p, sig, f, v, episode, step, energy);
    int a;
    if (mode == kPolicyTimeOfUse) {
        a = time_of_use_action(p, sig, f, v, episode, step);
    } else if (mode == kPolicyChargeOnArrival) {
        a = charge_action(p, sig, v, episode, step);
    } else if (mode == kPolicyGiven) {
        a = f.action[v];
    } else if (mode == kPolicyPlan) {
        a = f.plan[(static_cast<size_t>(v) * static_cast<size_t>(p.steps_per_day) + static_cast<size_t>(step)) *
                       static_cast<size_t>(p.plan_points) +
                   static_cast<size_t>(plan_point(p, energy, usable))];
    } else {
        const Philox4 r = random4(p.seed, static_cast<uint32_t>(v), static_cast<uint32_t>(episode),
                                  static_cast<uint32_t>(step), RngPurpose::kExplore);
        a = choose_action(q_row_of(p, f, q_table_of(p, v), s), mode, epsilon, r);
    }
    // The learner keeps its own choice: the safety layer is part of the environment it learns
    // (the outcome of "idle" at a deadline is the override's charging), as in the optimum's model.
    bool forced = false;
    const int executed = safe_action(p, sig, f, v, episode, step, a, &forced);
    if (forced) {
        f.forced[v] = 1;
        f.ep_safety_overrides[v] += 1;
    }
    f.state[v] = s;
    f.action[v] = static_cast<uint8_t>(a);
    request_transfer(p, sig, f, v, episode, step, executed);
}

// The share of a flow of `requested` kWh that a cap of `cap_kwh` lets through (1 below the cap).
V2G_HD float share_within(float requested, float cap_kwh) {
    return requested > cap_kwh ? cap_kwh / requested : 1.0f;
}

// Sums run in vehicle order on one thread: the same float result on every backend.
// The market clears first; then the community's grid connection limit (grid.limit_kw_per_vehicle
// x members) caps what the grid delivers and takes this step: charging the safety layer forced
// is served first, the rest of the imports (charging and unmatched bids) and all exports
// (discharging and unmatched offers) are cut pro rata. P2P trades stay inside the community.
V2G_HD void clear_community(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c,
                            int episode, int step) {
    float supply = 0.0f, demand = 0.0f, forced_demand = 0.0f, forced_import = 0.0f, other_import = 0.0f,
          grid_export = 0.0f;
    for (int v = community_begin(p, c); v < community_end(p, c); ++v) {
        supply += f.offer_kwh[v];
        demand += f.bid_kwh[v];
        if (!p.grid_limit_enabled) continue;  // the requests below matter only under a limit
        const float g = f.grid_kwh[v];
        if (f.forced[v]) {
            forced_import += g;
            forced_demand += f.bid_kwh[v];
        } else if (g > 0.0f) {
            other_import += g;
        } else {
            grid_export -= g;
        }
    }
    const int idx = signal_index(p, episode, step);
    float pv_kwh = sig.community_pv_kwp[c] * sig.pv_kw_per_kwp[idx] * p.step_hours;
    // The community's PV is offered under its market contract (id c): within its validity and
    // at a price it allows (the clearing price, which does not depend on the quantities), or
    // not sold. The energy cap limits a member's transfer, not the community's own generation
    // (50 kWh per step by default; 100 kWp of PV on 50 members exceeds it at noon).
    if (p.ledger_enabled && pv_kwh > 0.0f) {
        const int32_t price_micro = to_micro_per_kwh(
            market_price(sig.retail_price_per_kwh[idx], sig.feed_in_price_per_kwh[idx], p.p2p_price_weight));
        constexpr int64_t kNoEnergyCheck = 0;
        if (check_contract(sig.contracts[c], 0, c, episode, kNoEnergyCheck, price_micro) != kAccepted) pv_kwh = 0.0f;
    }
    const MarketOutcome m = clear_market(supply + pv_kwh, demand, sig.retail_price_per_kwh[idx],
                                         sig.feed_in_price_per_kwh[idx], p.p2p_price_weight,
                                         p.p2p_loss_fraction);
    f.market_price_per_kwh[c] = m.price_per_kwh;
    f.market_sell_ratio[c] = m.sell_ratio;
    f.market_buy_ratio[c] = m.buy_ratio;
    float forced_share = 1.0f, import_share = 1.0f, export_share = 1.0f;
    if (p.grid_limit_enabled) {
        if (p.unmatched_to_grid && !grid_down(p, step)) {  // the grid fills unmatched bids and offers
            forced_import += forced_demand - forced_demand * m.buy_ratio;
            other_import += (demand - forced_demand) - (demand - forced_demand) * m.buy_ratio;
            grid_export += supply - supply * m.sell_ratio;
        }
        const float cap_kwh = sig.community_limit_kw[c] * p.step_hours;
        forced_share = share_within(forced_import, cap_kwh);
        const float room_kwh = max_f(0.0f, cap_kwh - forced_import * forced_share);
        import_share = forced_import >= cap_kwh ? 0.0f : share_within(other_import, room_kwh);
        export_share = share_within(grid_export, cap_kwh);
        if (forced_share < 1.0f || import_share < 1.0f || export_share < 1.0f) f.ep_limit_steps[c] += 1;
    }
    f.grid_forced_share[c] = forced_share;
    f.grid_import_share[c] = import_share;
    f.grid_export_share[c] = export_share;
    const float pv_sold = pv_kwh * m.sell_ratio;
    f.market_pv_kwh[c] = pv_sold;
    f.ep_pv_sold_kwh[c] += pv_sold;
    f.ep_pv_revenue[c] += pv_sold * m.price_per_kwh;
    f.ep_market_loss_kwh[c] += (supply * m.sell_ratio + pv_sold) * p.p2p_loss_fraction;
    if (p.ledger_enabled && f.tx_slots)
        write_leg(p, tx_slot(p, f, step, 2 * static_cast<int64_t>(p.num_vehicles) + c), episode, step, kTxPvSell,
                  kPartyCommunityPv, static_cast<uint32_t>(c), static_cast<uint32_t>(c),
                  -round_to_int(static_cast<double>(pv_sold) * kWhPerKwh), to_micro_per_kwh(m.price_per_kwh),
                  LedgerSums{&f.ep_pv_ledger_wh[c], &f.ep_pv_ledger_micro[c], &f.ep_pv_tx_count[c],
                             &f.ep_pv_tx_latency_steps[c]});
}

// The pack's ageing over one step in which its stored energy went from energy0 to energy1 with
// `throughput_kwh` through the battery (in + out): the day's SoC swing, the cell throughput and
// the calendar and cycle losses (battery.h degradation_step) advance; SoH never rises. Returns
// the step's degradation cost: the capacity lost, priced as a share of the pack's end of life.
V2G_HD float age_pack(const EnvParams& p, const FleetView& f, int v, int episode, int step, float energy0,
                      float energy1, float throughput_kwh) {
    const float usable = f.usable_kwh[v];
    const float soc0 = soc_of(energy0, usable), soc1 = soc_of(energy1, usable);
    f.soc_low_today[v] = min_f(f.soc_low_today[v], soc1);
    f.soc_high_today[v] = max_f(f.soc_high_today[v], soc1);
    const float day_fraction = p.step_hours / kHoursPerDay;
    const float day_age = pack_age_days(p, f, v, episode);
    const float age0 = day_age + static_cast<float>(step) * day_fraction;
    const float age1 = day_age + static_cast<float>(step + 1) * day_fraction;
    const float dq_ah = throughput_kwh / f.capacity_kwh[v] * p.cell_capacity_ah;
    const DegradationStep d =
        degradation_step(p, age0, age1, 0.5f * (soc0 + soc1),
                         f.soc_high_today[v] - f.soc_low_today[v], f.throughput_ah[v], dq_ah);
    f.throughput_ah[v] += dq_ah;
    f.calendar_loss[v] += d.calendar;
    f.cycle_loss[v] += d.cycle;
    const float soh_new = 1.0f - f.calendar_loss[v] - f.cycle_loss[v];
    f.soh[v] = min_f(f.soh[v], soh_new);  // never rises, whatever the rounding
    return (d.calendar + d.cycle) / p.end_of_life_loss * p.battery_cost_per_kwh * f.capacity_kwh[v];
}

V2G_HD void apply_vehicle(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v,
                          int episode, int step) {
    const int c = v / p.community_size;
    const int idx = signal_index(p, episode, step);
    const float retail = sig.retail_price_per_kwh[idx];
    const float feed_in = sig.feed_in_price_per_kwh[idx];
    const float keep = 1.0f - p.p2p_loss_fraction;
    // Prices in micro-units per kWh, as the contracts apply them (and as the ledger records);
    // looked up only for a vehicle that trades this step (most do not, e.g. when unplugged).
    const bool trades = f.grid_kwh[v] != 0.0f || f.bid_kwh[v] > 0.0f || f.offer_kwh[v] > 0.0f;
    const int32_t import_micro =
        trades ? leg_price_micro(p, sig, v, kContractChargingTariff, to_micro_per_kwh(retail)) : 0;
    const int32_t export_micro =
        trades ? leg_price_micro(p, sig, v, kContractV2GService,
                                 to_micro_per_kwh(sig.dr_event[idx] ? p.dr_price_per_kwh : feed_in))
               : 0;
    const int32_t feed_in_micro = trades ? leg_price_micro(p, sig, v, kContractV2GService, to_micro_per_kwh(feed_in)) : 0;
    const float market = f.market_price_per_kwh[c];
    const int32_t sell_micro = trades ? to_micro_per_kwh(market) : 0;        // sellers: the clearing price
    const int32_t buy_micro = trades ? to_micro_per_kwh(market / keep) : 0;  // buyers also pay the losses
    constexpr float kMicro = 1.0e-6f;

    // Energy at the meter, by route, within the community's connection limit (clear_community).
    const float import_share = f.forced[v] ? f.grid_forced_share[c] : f.grid_import_share[c];
    const float export_share = f.grid_export_share[c];
    const float import_wanted = f.grid_kwh[v] > 0.0f ? f.grid_kwh[v] : 0.0f;   // charge action
    const float export_wanted = f.grid_kwh[v] < 0.0f ? -f.grid_kwh[v] : 0.0f;  // discharge action
    const float grid_import = import_wanted * import_share;
    const float grid_export = export_wanted * export_share;
    float curtailed = (import_wanted - grid_import) + (export_wanted - grid_export);
    const float p2p_in = f.bid_kwh[v] * f.market_buy_ratio[c];
    const float p2p_out = f.offer_kwh[v] * f.market_sell_ratio[c];
    float unmatched_import = 0.0f, unmatched_export = 0.0f;  // the grid fills unmatched P2P legs
    if (p.unmatched_to_grid && !grid_down(p, step)) {
        const float bid_left = f.bid_kwh[v] - p2p_in, offer_left = f.offer_kwh[v] - p2p_out;
        unmatched_import = bid_left * import_share;
        unmatched_export = offer_left * export_share;
        curtailed += (bid_left - unmatched_import) + (offer_left - unmatched_export);
        if (admit_transfer(p, sig, f, v, episode, kContractChargingTariff, unmatched_import, import_micro))
            unmatched_import = 0.0f;
        if (admit_transfer(p, sig, f, v, episode, kContractV2GService, unmatched_export, feed_in_micro))
            unmatched_export = 0.0f;
    }
    const float meter_in = grid_import + unmatched_import + p2p_in;
    const float meter_out = grid_export + unmatched_export + p2p_out;
    const float eta_c = f.eta_charge[v], eta_d = f.eta_discharge[v];
    const float battery_in = meter_in * eta_c;
    const float battery_out = meter_out / eta_d;

    const float usable = f.usable_kwh[v];
    const float energy0 = f.energy_kwh[v];
    // The limits in act_vehicle keep this within bounds; the clamp only absorbs rounding (a pack
    // that starts the step outside them, e.g. one whose capacity faded, is not pushed inside).
    const float energy1 = clamp_f(energy0 + battery_in - battery_out, min_f(p.soc_min * usable, energy0),
                                  max_f(p.soc_max * usable, energy0));
    const bool moved = meter_in > 0.0f || meter_out > 0.0f;
    if (moved) f.energy_kwh[v] = energy1;
    const float e1 = moved ? energy1 : energy0;

    // Money.
    const float cost = (grid_import + unmatched_import) * (import_micro * kMicro) + p2p_in * (buy_micro * kMicro);
    const float revenue = grid_export * (export_micro * kMicro) + unmatched_export * (feed_in_micro * kMicro) +
                          p2p_out * (sell_micro * kMicro);

    // The ledger: the action's leg and the fallback leg, in the vehicle's two slots.
    if (p.ledger_enabled && f.tx_slots) {
        const auto wh = [](float kwh) { return round_to_int(static_cast<double>(kwh) * kWhPerKwh); };
        const uint32_t vehicle = static_cast<uint32_t>(v), market_id = static_cast<uint32_t>(c);
        const uint32_t charging = contract_for(p, v, kContractChargingTariff);
        const uint32_t v2g = contract_for(p, v, kContractV2GService);
        const uint32_t p2p = contract_for(p, v, kContractP2PMarket);
        Transaction* slot = tx_slot(p, f, step, 2 * static_cast<int64_t>(v));
        const LedgerSums n{&f.ep_ledger_wh[v], &f.ep_ledger_micro[v], &f.ep_tx_count[v], &f.ep_tx_latency_steps[v]};
        if (grid_import > 0.0f)
            write_leg(p, slot, episode, step, kTxGridImport, vehicle, kPartyGrid, charging, wh(grid_import), import_micro, n);
        else if (grid_export > 0.0f)
            write_leg(p, slot, episode, step, kTxGridExport, vehicle, kPartyGrid, v2g, -wh(grid_export), export_micro, n);
        else if (p2p_in > 0.0f)
            write_leg(p, slot, episode, step, kTxP2PBuy, vehicle, market_id, p2p, wh(p2p_in), buy_micro, n);
        else
            write_leg(p, slot, episode, step, kTxP2PSell, vehicle, market_id, p2p, -wh(p2p_out), sell_micro, n);
        if (unmatched_import > 0.0f)
            write_leg(p, slot + 1, episode, step, kTxUnmatchedImport, vehicle, kPartyGrid, charging, wh(unmatched_import), import_micro, n);
        else
            write_leg(p, slot + 1, episode, step, kTxUnmatchedExport, vehicle, kPartyGrid, v2g, -wh(unmatched_export), feed_in_micro, n);
    }

    // Degradation over the step.
    const float degradation_cost = age_pack(p, f, v, episode, step, energy0, e1, battery_in + battery_out);

    // Departure: penalty for leaving short of the requirement.
    float penalty = 0.0f, unmet = 0.0f;
    const bool plugged = f.state[v] >= 0;
    const bool departs = plugged && step + 1 == f.departure_step[v];
    if (departs) {
        unmet = max_f(0.0f, f.required_kwh[v] - e1);
        penalty = unmet * p.unmet_penalty_per_kwh;
    }

    f.ep_energy_cost[v] += cost;
    f.ep_revenue[v] += revenue;
    f.ep_degradation_cost[v] += degradation_cost;
    f.ep_unmet_penalty[v] += penalty;
    f.ep_unmet_kwh[v] += unmet;
    f.ep_grid_import_kwh[v] += grid_import + unmatched_import;
    f.ep_grid_export_kwh[v] += grid_export + unmatched_export;
    f.ep_p2p_bought_kwh[v] += p2p_in;
    f.ep_p2p_sold_kwh[v] += p2p_out;
    f.ep_conversion_loss_kwh[v] += meter_in * (1.0f - eta_c) + battery_out * (1.0f - eta_d);
    f.ep_curtailed_kwh[v] += curtailed;

    f.reward[v] = revenue - cost - degradation_cost - penalty;
    if (!plugged || departs) {
        f.next_state[v] = -1;
    } else {
        f.next_state[v] = tabular_state(p, sig, f, v, episode, step + 1, e1);
    }
}

V2G_HD void learn_vehicle(const EnvParams& p, const FleetView& f, int v) {
    const int s = f.state[v];
    if (s < 0) return;
    const int table = q_table_of(p, v);
    const int s_next = f.next_state[v];
    const QRow next = s_next >= 0 ? q_row_of(p, f, table, s_next) : QRow{};
    q_update(q_row_of(p, f, table, s), f.action[v], f.reward[v], s_next >= 0 ? &next : nullptr, p.alpha, p.gamma);
}

// A fleet-shared table's update of one step, in parallel and still bit-identical to
// learn_vehicle over all vehicles in vehicle order. Every vehicle writes a row of this step's
// states and reads a row of the next step's (the state includes the step of the day), so the
// only updates that depend on each other are those of the same row, and those stay in vehicle
// order: `owner` (of `owners`) updates the rows with state % owners == owner. Each owner reads
// the fleet's state array once (4 bytes per vehicle) and does its own share of the updates.
// That holds while every step of the day has its own time bin (learning.time_bins = steps per
// day); with coarser bins consecutive steps share rows, and one owner does every update.
V2G_HD void learn_fleet_rows(const EnvParams& p, const FleetView& f, int owner, int owners) {
    if (p.time_bins != p.steps_per_day) owners = 1;
    if (owner >= owners) return;
    for (int v = 0; v < p.num_vehicles; ++v) {
        const int s = f.state[v];
        if (s >= 0 && s % owners == owner) learn_vehicle(p, f, v);
    }
}

// Step record (evaluation): per community and step, the running totals of its vehicles'
// flows (kRecord*Cum, summed in vehicle order in double; a step's flow is the difference
// from the previous step) and the step's market outcome. record points at
// [community][step][kRecordFields].
enum RecordField : int {
    kRecordImportCum = 0,   // grid import so far today (kWh)
    kRecordExportCum = 1,   // grid export so far today (kWh)
    kRecordBoughtCum = 2,   // P2P energy received so far today (kWh)
    kRecordSoldCum = 3,     // P2P energy delivered so far today (kWh)
    kRecordPrice = 4,       // this step's clearing price (currency/kWh)
    kRecordSellRatio = 5,   // matched share of offers
    kRecordBuyRatio = 6,    // matched share of bids
    kRecordForcedShare = 7, // share of forced (safety-layer) grid charging the connection limit let through
    kRecordImportShare = 8, // ... of the other grid imports
    kRecordExportShare = 9, // ... of the grid exports
    kRecordFields = 10,
};

V2G_HD void record_community(const EnvParams& p, const FleetView& f, int c, int step, double* record) {
    double imp = 0.0, exp = 0.0, bought = 0.0, sold = 0.0;
    for (int v = community_begin(p, c); v < community_end(p, c); ++v) {
        imp += f.ep_grid_import_kwh[v];
        exp += f.ep_grid_export_kwh[v];
        bought += f.ep_p2p_bought_kwh[v];
        sold += f.ep_p2p_sold_kwh[v];
    }
    double* r = record + (static_cast<size_t>(c) * static_cast<size_t>(p.steps_per_day) + static_cast<size_t>(step)) *
                             kRecordFields;
    r[kRecordImportCum] = imp;
    r[kRecordExportCum] = exp;
    r[kRecordBoughtCum] = bought;
    r[kRecordSoldCum] = sold;
    r[kRecordPrice] = f.market_price_per_kwh[c];
    r[kRecordSellRatio] = f.market_sell_ratio[c];
    r[kRecordBuyRatio] = f.market_buy_ratio[c];
    r[kRecordForcedShare] = f.grid_forced_share[c];
    r[kRecordImportShare] = f.grid_import_share[c];
    r[kRecordExportShare] = f.grid_export_share[c];
}

// A vehicle's money of the day so far: what the reward summed to, less the en-route charging of
// the morning's trip (paid at the reset, before any decision of the day).
V2G_HD double day_money(const FleetView& f, int v) {
    return static_cast<double>(f.ep_revenue[v]) - f.ep_energy_cost[v] - f.ep_degradation_cost[v] -
           f.ep_unmet_penalty[v] - f.ep_en_route_cost[v];
}

V2G_HD EpisodeMetrics summarize_community(const EnvParams& p, const FleetView& f, int c) {
    EpisodeMetrics m = {};
    m.reward_min = 1e300;
    m.reward_max = -1e300;
    m.soh_min = 1e300;
    for (int v = community_begin(p, c); v < community_end(p, c); ++v) {
        const double r = day_money(f, v);
        m.reward += r;
        m.reward_min = r < m.reward_min ? r : m.reward_min;
        m.reward_max = r > m.reward_max ? r : m.reward_max;
        m.energy_cost += f.ep_energy_cost[v];
        m.revenue += f.ep_revenue[v];
        m.degradation_cost += f.ep_degradation_cost[v];
        m.unmet_penalty += f.ep_unmet_penalty[v];
        m.unmet_kwh += f.ep_unmet_kwh[v];
        m.grid_import_kwh += f.ep_grid_import_kwh[v];
        m.grid_export_kwh += f.ep_grid_export_kwh[v];
        m.p2p_bought_kwh += f.ep_p2p_bought_kwh[v];
        m.p2p_sold_kwh += f.ep_p2p_sold_kwh[v];
        m.conversion_loss_kwh += f.ep_conversion_loss_kwh[v];
        m.en_route_cost += f.ep_en_route_cost[v];
        m.en_route_kwh += f.ep_en_route_kwh[v];
        m.curtailed_kwh += f.ep_curtailed_kwh[v];
        m.safety_overrides += f.ep_safety_overrides[v];
        m.pack_replacements += f.ep_pack_replaced[v];
        m.soc_end += soc_of(f.energy_kwh[v], f.usable_kwh[v]);
        m.soh += f.soh[v];
        m.soh_min = f.soh[v] < m.soh_min ? f.soh[v] : m.soh_min;
        m.vehicles += 1;
        m.tx_count += f.ep_tx_count[v];
        m.tx_latency_steps += f.ep_tx_latency_steps[v];
        m.ledger_energy_wh += f.ep_ledger_wh[v];
        m.ledger_amount_micro += f.ep_ledger_micro[v];
        for (int r = 0; r < kNumRejectReasons; ++r) m.rejected[r] += f.ep_rejected[v * kNumRejectReasons + r];
    }
    m.pv_sold_kwh = f.ep_pv_sold_kwh[c];
    m.market_loss_kwh = f.ep_market_loss_kwh[c];
    m.limit_steps = f.ep_limit_steps[c];
    m.tx_count += f.ep_pv_tx_count[c];
    m.tx_latency_steps += f.ep_pv_tx_latency_steps[c];
    m.ledger_energy_wh += f.ep_pv_ledger_wh[c];
    m.ledger_amount_micro += f.ep_pv_ledger_micro[c];
    return m;
}

}  // namespace v2g
