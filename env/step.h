// step.h: one environment step, split into the phases every backend runs, in the order the
// schedule (schedule.h) gives them:
//   reset_vehicle      (episode start)  ageing state, the trip driven (en-route charging when the
//                                       battery cannot cover it), today's session, the requirement
//   act_vehicle        (per vehicle)    tabular state, action, the safety layer, grid request, P2P offer/bid
//   sum_community +    (per community)  P2P market and the grid connection limit, sums in vehicle order
//   clear_community_summed
//   apply_vehicle      (per vehicle)    energy, money, degradation, reward, next state
//   record_community,  (per community, per vehicle or per owned row) the step record, the Q-update
//   learn_vehicle
//   summarize_community(episode end)    per-community episode metrics
// Each phase reads only what earlier phases wrote, so a backend may run a phase's items in any
// order or in parallel (a shared table's updates excepted: step.h learn_rows) and get identical
// results. What a policy decides is in policies.h, how a transfer meets its contract and the
// ledger in contract_legs.h, what an episode sums to in episode_metrics.h.
#pragma once
#include "env/battery.h"
#include "env/contract_legs.h"
#include "env/episode_metrics.h"
#include "env/market.h"
#include "env/policies.h"
#include "env/qlearning.h"
#include "env/session.h"

namespace v2g {

// Evaluation faults: a vehicle that is away all day (missing, or its community offline).
V2G_HD bool vehicle_absent(const EnvParams& p, int v) {
    if (p.fault_community_offline && v / p.community_size == p.fault_community) return true;
    return p.fault_missing_share > 0.0f &&
           uniform01(random4(p.seed, static_cast<uint32_t>(v), 0u, 0u, RngPurpose::kFault).v[0]) < p.fault_missing_share;
}

// Zeroes a vehicle's (or a community's) entries of the arrays of a list in env_types.h.
#define V2G_ZERO_ENTRIES(type, name, elements) \
    for (int k = 0; k < (elements); ++k) f.name[item * (elements) + k] = 0;

// The money, energy and rejection sums a vehicle's steps add to during a day.
V2G_HD void clear_day_sums(const FleetView& f, int item) { V2G_VEHICLE_STEP_SUMS(V2G_ZERO_ENTRIES) }

// The sums of a vehicle's transactions during a day.
V2G_HD void clear_ledger_sums(const FleetView& f, int item) { V2G_VEHICLE_LEDGER_SUMS(V2G_ZERO_ENTRIES) }

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
// driver's reserve above that floor (or a sessions table's required SoC), capped by what the
// charger can store during the stay, so that it can always be met by charging from arrival.
V2G_HD void reset_vehicle(const EnvParams& p, const SignalsView& sig, const FleetView& f, int v, int episode) {
    Session s = draw_session(p, sig, v, episode);
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
    const float next_trip_kwh = absent ? 0.0f : draw_session(p, sig, v, episode + 1).trip_kwh;
    f.usable_kwh[v] = usable;
    f.energy_kwh[v] = energy;
    f.arrival_step[v] = s.arrival_step;
    f.departure_step[v] = s.departure_step;
    f.trip_kwh[v] = s.trip_kwh;
    const float stay_hours = static_cast<float>(s.departure_step - s.arrival_step) * p.step_hours;
    const float deliverable_kwh = f.charge_kw[v] * stay_hours * f.eta_charge[v];
    // A sessions table may say what the driver wants at departure; otherwise the reserve and
    // the next trip above the floor.
    const float wanted_kwh = min_f(p.soc_max * usable, s.required_soc >= 0.0f ? s.required_soc * usable
                                                                          : floor_kwh + p.sessions.reserve_kwh + next_trip_kwh);
    f.required_kwh[v] = min_f(wanted_kwh, energy + deliverable_kwh);
    const float soc = soc_of(energy, usable);
    f.soc_low_today[v] = soc;
    f.soc_high_today[v] = soc;
    clear_day_sums(f, v);
    clear_ledger_sums(f, v);
    f.ep_en_route_kwh[v] = en_route_kwh;
    f.ep_en_route_cost[v] = en_route_kwh * p.en_route_price_per_kwh;
    f.ep_pack_replaced[v] = replaced;
    f.ep_start_kwh[v] = energy;
    // The shaping potential of the arrival state; each plugged-in step then carries it forward.
    f.potential[v] = p.shaping && s.arrival_step < s.departure_step
                         ? charging_potential(p, sig, f, v, episode, s.arrival_step, energy)
                         : 0.0f;
}

V2G_HD void reset_community(const FleetView& f, int item) { V2G_COMMUNITY_DAY_SUMS(V2G_ZERO_ENTRIES) }
#undef V2G_ZERO_ENTRIES

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

// The sums a community's market and connection limit clear from, each taken over its vehicles
// in vehicle order: the same float on every backend, whichever lane takes it
// (env/schedule.h deals them out, one sum per lane where lanes are many). The last four
// matter only under the connection limit (grid.limit_kw_per_vehicle); they stay zero without.
enum CommunitySum : int {
    kSumSupply = 0,        // P2P offers (kWh)
    kSumDemand = 1,        // P2P bids (kWh)
    kSumForcedImport = 2,  // grid charging the safety layer forced (kWh)
    kSumForcedDemand = 3,  // P2P bids of forced vehicles (kWh)
    kSumOtherImport = 4,   // the other grid charging (kWh)
    kSumGridExport = 5,    // grid discharging (kWh)
    kNumCommunitySums = 6,
};

V2G_HD int community_sums_used(const EnvParams& p) { return p.grid_limit_enabled ? kNumCommunitySums : kSumForcedImport; }

// Sums [k_begin, k_end) of community c into sums[k] (one pass over its vehicles).
V2G_HD void sum_community(const EnvParams& p, const FleetView& f, int c, int k_begin, int k_end, float* sums) {
    const auto wants = [k_begin, k_end](int k) { return k_begin <= k && k < k_end; };
    const bool supply = wants(kSumSupply), demand = wants(kSumDemand), forced_import = wants(kSumForcedImport),
               forced_demand = wants(kSumForcedDemand), other_import = wants(kSumOtherImport),
               grid_export = wants(kSumGridExport);
    float s[kNumCommunitySums] = {};
    for (int v = community_begin(p, c); v < community_end(p, c); ++v) {
        const float g = f.grid_kwh[v];
        const bool forced = f.forced[v] != 0;
        if (supply) s[kSumSupply] += f.offer_kwh[v];
        if (demand) s[kSumDemand] += f.bid_kwh[v];
        if (forced_import && forced) s[kSumForcedImport] += g;
        if (forced_demand && forced) s[kSumForcedDemand] += f.bid_kwh[v];
        if (other_import && !forced && g > 0.0f) s[kSumOtherImport] += g;
        if (grid_export && !forced && !(g > 0.0f)) s[kSumGridExport] -= g;
    }
    for (int k = k_begin; k < k_end; ++k) sums[k] = s[k];
}

// The market clears first; then the community's grid connection limit (grid.limit_kw_per_vehicle
// x members) caps what the grid delivers and takes this step: charging the safety layer forced
// is served first, the rest of the imports (charging and unmatched bids) and all exports
// (discharging and unmatched offers) are cut pro rata. P2P trades stay inside the community.
// `sums` are the community's sum_community of this step (kNumCommunitySums of them).
V2G_HD void clear_community_summed(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c,
                                   int episode, int step, const float* sums) {
    const float supply = sums[kSumSupply], demand = sums[kSumDemand];
    const bool limited = p.grid_limit_enabled;
    const float forced_demand = limited ? sums[kSumForcedDemand] : 0.0f;
    float forced_import = limited ? sums[kSumForcedImport] : 0.0f;
    float other_import = limited ? sums[kSumOtherImport] : 0.0f;
    float grid_export = limited ? sums[kSumGridExport] : 0.0f;
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
    f.ep_market_loss_kwh[c] += (supply * m.sell_ratio + pv_sold) * p.p2p_loss_fraction;
    if (p.ledger_enabled && f.tx_slots)
        write_leg(p, f, tx_slot_index(p, step, 2 * static_cast<int64_t>(p.num_vehicles) + c), episode, step, kTxPvSell,
                  kPartyCommunityPv, static_cast<uint32_t>(c), static_cast<uint32_t>(c),
                  -round_to_int(static_cast<double>(pv_sold) * kWhPerKwh), to_micro_per_kwh(m.price_per_kwh),
                  LedgerSums{&f.ep_pv_ledger_wh[c], &f.ep_pv_ledger_micro[c], &f.ep_pv_tx_count[c],
                             &f.ep_pv_tx_latency_steps[c]});
}

// One community's clearing on one thread: its sums, then the clearing.
V2G_HD void clear_community(const EnvParams& p, const SignalsView& sig, const FleetView& f, int c, int episode,
                            int step) {
    float sums[kNumCommunitySums] = {};
    sum_community(p, f, c, 0, community_sums_used(p), sums);
    clear_community_summed(p, sig, f, c, episode, step, sums);
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
        const int64_t slot = tx_slot_index(p, step, 2 * static_cast<int64_t>(v));
        const LedgerSums n{&f.ep_ledger_wh[v], &f.ep_ledger_micro[v], &f.ep_tx_count[v], &f.ep_tx_latency_steps[v]};
        if (grid_import > 0.0f)
            write_leg(p, f, slot, episode, step, kTxGridImport, vehicle, kPartyGrid, charging, wh(grid_import), import_micro, n);
        else if (grid_export > 0.0f)
            write_leg(p, f, slot, episode, step, kTxGridExport, vehicle, kPartyGrid, v2g, -wh(grid_export), export_micro, n);
        else if (p2p_in > 0.0f)
            write_leg(p, f, slot, episode, step, kTxP2PBuy, vehicle, market_id, p2p, wh(p2p_in), buy_micro, n);
        else
            write_leg(p, f, slot, episode, step, kTxP2PSell, vehicle, market_id, p2p, -wh(p2p_out), sell_micro, n);
        if (unmatched_import > 0.0f)
            write_leg(p, f, slot + 1, episode, step, kTxUnmatchedImport, vehicle, kPartyGrid, charging, wh(unmatched_import), import_micro, n);
        else
            write_leg(p, f, slot + 1, episode, step, kTxUnmatchedExport, vehicle, kPartyGrid, v2g, -wh(unmatched_export), feed_in_micro, n);
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
    if (f.reward_terms) {
        float* terms = f.reward_terms + static_cast<size_t>(v) * kNumRewardTerms;
        terms[kTermEnergyCost] = cost;
        terms[kTermRevenue] = revenue;
        terms[kTermDegradation] = degradation_cost;
        terms[kTermUnmetPenalty] = penalty;
        terms[kTermEnRoute] = step == 0 ? f.ep_en_route_cost[v] : 0.0f;
    }
    if (p.shaping) {  // potential-based (policies.h charging_potential): Phi(s') - Phi(s), Phi = 0 once unplugged
        f.learn_reward[v] = f.reward[v];
        if (plugged) {
            const float phi_next = departs ? 0.0f : charging_potential(p, sig, f, v, episode, step + 1, e1);
            f.learn_reward[v] += p.gamma * phi_next - f.potential[v];
            f.potential[v] = phi_next;
        }
    }
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
    const float reward = p.shaping ? f.learn_reward[v] : f.reward[v];
    q_update(q_row_of(p, f, table, s), f.action[v], reward, s_next >= 0 ? &next : nullptr, p.alpha, p.gamma);
}

// A fleet-shared table's update of one step, in parallel and still bit-identical to
// learn_vehicle over all vehicles in vehicle order. Every vehicle writes a row of this step's
// states and reads a row of the next step's (the state includes the step of the day), so the
// only updates that depend on each other are those of the same row, and those stay in vehicle
// order: `owner` (of `owners`) updates the rows with state % owners == owner. Each owner reads
// the fleet's state array once (4 bytes per vehicle) and does its own share of the updates.
// That holds while every step of the day has its own time bin (learning.time_bins = steps per
// day); with coarser bins consecutive steps share rows, and one owner does every update.
// learn_rows does it for the vehicles [v_begin, v_end) (a community's shared table), and
// learn_fleet_rows for the whole fleet.
V2G_HD void learn_rows(const EnvParams& p, const FleetView& f, int v_begin, int v_end, int owner, int owners) {
    if (p.time_bins != p.steps_per_day) owners = 1;
    if (owner >= owners) return;
    for (int v = v_begin; v < v_end; ++v) {
        const int s = f.state[v];
        if (s >= 0 && s % owners == owner) learn_vehicle(p, f, v);
    }
}

V2G_HD void learn_fleet_rows(const EnvParams& p, const FleetView& f, int owner, int owners) {
    learn_rows(p, f, 0, p.num_vehicles, owner, owners);
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

// Fields [k_begin, k_end) of community c's record of `step`. The four running totals are each
// summed in vehicle order (in double), so a lane may take any of them.
V2G_HD void record_community_fields(const EnvParams& p, const FleetView& f, int c, int step, int k_begin, int k_end,
                                    double* record) {
    double* r = record + (static_cast<size_t>(c) * static_cast<size_t>(p.steps_per_day) + static_cast<size_t>(step)) *
                             kRecordFields;
    for (int k = k_begin; k < k_end; ++k) {
        const float* cum = k == kRecordImportCum   ? f.ep_grid_import_kwh
                           : k == kRecordExportCum ? f.ep_grid_export_kwh
                           : k == kRecordBoughtCum ? f.ep_p2p_bought_kwh
                           : k == kRecordSoldCum   ? f.ep_p2p_sold_kwh
                                                   : nullptr;
        if (cum) {
            double total = 0.0;
            for (int v = community_begin(p, c); v < community_end(p, c); ++v) total += cum[v];
            r[k] = total;
            continue;
        }
        switch (k) {
            case kRecordPrice: r[k] = f.market_price_per_kwh[c]; break;
            case kRecordSellRatio: r[k] = f.market_sell_ratio[c]; break;
            case kRecordBuyRatio: r[k] = f.market_buy_ratio[c]; break;
            case kRecordForcedShare: r[k] = f.grid_forced_share[c]; break;
            case kRecordImportShare: r[k] = f.grid_import_share[c]; break;
            case kRecordExportShare: r[k] = f.grid_export_share[c]; break;
            default: break;
        }
    }
}

V2G_HD void record_community(const EnvParams& p, const FleetView& f, int c, int step, double* record) {
    record_community_fields(p, f, c, step, 0, kRecordFields, record);
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
