// Physics invariants over random configs and random actions, checked after every phase of
// every step by a serial driver over the same step functions the backends run:
// SoC within bounds; energy in = energy stored + losses + driven (a trip the battery cannot
// cover is bought en route); P2P energy and money balance per community step; the grid
// connection limit is never exceeded; nothing moves while unplugged; SoH never rises within a
// day and starts each day at the fleet's age (battery.aging = day); the safety layer meets
// every departure requirement a policy could have met.
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include "tests/test_helpers.h"

namespace v2g {
namespace {

constexpr double kEnergyTolKwh = 2e-4;
constexpr double kMoneyTol = 2e-4;

Config random_config(uint32_t trial) {
    const Philox4 r = random4(2024, trial, 0, 0, RngPurpose::kTest);
    const Philox4 s = random4(2024, trial, 1, 0, RngPurpose::kTest);
    Config cfg = testing::small_config(1000 + trial, 1 + static_cast<int>(r.v[0] % 40), 1);
    cfg.fleet.community_size = 1 + static_cast<int>(r.v[1] % cfg.fleet.vehicles);
    cfg.battery.soc_min = 0.05 + 0.3 * uniform01(r.v[2]);
    cfg.battery.soc_max = cfg.battery.soc_min + 0.1 + (0.95 - cfg.battery.soc_min - 0.1) * uniform01(r.v[3]);
    cfg.fleet.initial_soc = 0.5 * (cfg.battery.soc_min + cfg.battery.soc_max);
    cfg.market.loss_fraction = 0.1 * uniform01(s.v[0]);
    cfg.market.price_weight = uniform01(s.v[1]);
    cfg.market.unmatched_to_grid = (s.v[2] & 1) != 0;
    cfg.fleet.mix = (s.v[2] & 2) ? FleetMix::single : FleetMix::ev2gym;
    cfg.fleet.single_efficiency = 0.8 + 0.2 * uniform01(s.v[3]);
    cfg.time.step_hours = (s.v[2] & 4) ? 0.25 : 1.0;
    cfg.fleet.pv_kwp_per_vehicle = (s.v[2] & 8) ? 0.0 : 4.0;
    cfg.battery.initial_age_days = (s.v[2] & 16) ? 0.0 : 400.0;
    // Tight connection limits half the time (an 11 kW charger each would need 11 kW).
    cfg.grid.limit_kw_per_vehicle = (s.v[2] & 32) ? 0.0 : 1.0 + 5.0 * uniform01(s.v[3] >> 1);
    cfg.battery.aging = (s.v[2] & 64) ? AgingHorizon::lifetime : AgingHorizon::day;
    cfg.sessions.reserve_km = 100.0 * uniform01(r.v[0] >> 3);
    return cfg;
}

struct Snapshot {  // per-vehicle accumulators before a step
    std::vector<float> energy, soh, imp, exp, in, out, loss, cost, revenue;
};

Snapshot snap(const EnvParams& p, const FleetView& f) {
    Snapshot s;
    for (int v = 0; v < p.num_vehicles; ++v) {
        s.energy.push_back(f.energy_kwh[v]);
        s.soh.push_back(f.soh[v]);
        s.imp.push_back(f.ep_grid_import_kwh[v]);
        s.exp.push_back(f.ep_grid_export_kwh[v]);
        s.in.push_back(f.ep_p2p_bought_kwh[v]);
        s.out.push_back(f.ep_p2p_sold_kwh[v]);
        s.loss.push_back(f.ep_conversion_loss_kwh[v]);
        s.cost.push_back(f.ep_energy_cost[v]);
        s.revenue.push_back(f.ep_revenue[v]);
    }
    return s;
}

void check_bounds(const EnvParams& p, const FleetView& f, int v) {
    // Driving never takes a pack below the floor (the rest is bought en route); charging never
    // above soc_max of the day's usable capacity (lifetime ageing may shrink it under a full pack).
    EXPECT_GE(f.energy_kwh[v], p.soc_min * f.usable_kwh[v] * (1.0f - 1e-6f)) << "vehicle " << v;
    if (!p.lifetime_aging) {
        EXPECT_LE(f.energy_kwh[v], p.soc_max * f.usable_kwh[v] * (1.0f + 1e-6f)) << "vehicle " << v;
    }
}

// What a trial exercised, so that a test can tell its checks were not vacuous.
struct Coverage {
    double en_route_kwh = 0;
    int64_t limit_steps = 0;
    int64_t overrides = 0;
};

Coverage run_trial(uint32_t trial, int mode) {
    Coverage cov;
    testing::HostFleet host(random_config(trial));
    const EnvParams& p = host.p;
    FleetView& f = host.f;
    const SignalsView& sig = host.sig;
    SCOPED_TRACE("trial " + std::to_string(trial) + " vehicles " + std::to_string(p.num_vehicles) +
                 " community " + std::to_string(p.community_size) + " mode " + std::to_string(mode) +
                 " limit " + std::to_string(p.grid_limit_enabled) + " lifetime " + std::to_string(p.lifetime_aging));
    const float keep = 1.0f - p.p2p_loss_fraction;
    const float fleet_soh = 1.0f - p.initial_calendar_loss - p.initial_cycle_loss;
    for (int episode = 0; episode < 4; ++episode) {
        for (int c = 0; c < p.num_communities; ++c) reset_community(f, c);
        std::vector<double> day_start(p.num_vehicles);
        for (int v = 0; v < p.num_vehicles; ++v) {
            day_start[v] = f.energy_kwh[v];
            reset_vehicle(p, sig, f, v, episode);
            check_bounds(p, f, v);
            EXPECT_LT(f.arrival_step[v], f.departure_step[v]);
            EXPECT_LE(f.departure_step[v], p.steps_per_day);
            // Driving: the trip left the pack, en-route charging refilled what it could not cover.
            EXPECT_GE(f.trip_kwh[v], 0.0f);
            EXPECT_GE(f.ep_en_route_kwh[v], 0.0f);
            EXPECT_NEAR(day_start[v] - f.trip_kwh[v] + f.ep_en_route_kwh[v], f.energy_kwh[v], kEnergyTolKwh)
                << "driving energy, vehicle " << v;
            if (f.ep_en_route_kwh[v] > 0.0f) {
                EXPECT_NEAR(f.energy_kwh[v], p.soc_min * f.usable_kwh[v], kEnergyTolKwh) << "bought en route above the floor";
            }
            EXPECT_FLOAT_EQ(f.ep_en_route_cost[v], f.ep_en_route_kwh[v] * p.en_route_price_per_kwh);
            if (!p.lifetime_aging) {
                EXPECT_EQ(f.soh[v], fleet_soh) << "a day starts from the fleet's age";
            }
        }
        for (int step = 0; step < p.steps_per_day; ++step) {
            const Snapshot before = snap(p, f);
            for (int v = 0; v < p.num_vehicles; ++v) act_vehicle(p, sig, f, v, episode, step, mode, 0.5f);
            for (int c = 0; c < p.num_communities; ++c) clear_community(p, sig, f, c, episode, step);
            for (int v = 0; v < p.num_vehicles; ++v) apply_vehicle(p, sig, f, v, episode, step);
            for (int v = 0; v < p.num_vehicles; ++v) learn_vehicle(p, f, v);
            const int idx = signal_index(p, episode, step);
            for (int c = 0; c < p.num_communities; ++c) {
                double sold = 0, bought = 0, paid = 0, received = 0, imported = 0, exported = 0;
                for (int v = community_begin(p, c); v < community_end(p, c); ++v) {
                    check_bounds(p, f, v);
                    EXPECT_LE(f.soh[v], before.soh[v]) << "SoH rose, vehicle " << v;
                    const double d_imp = f.ep_grid_import_kwh[v] - before.imp[v];
                    const double d_exp = f.ep_grid_export_kwh[v] - before.exp[v];
                    const double d_in = f.ep_p2p_bought_kwh[v] - before.in[v];
                    const double d_out = f.ep_p2p_sold_kwh[v] - before.out[v];
                    const double d_loss = f.ep_conversion_loss_kwh[v] - before.loss[v];
                    const double d_stored = f.energy_kwh[v] - before.energy[v];
                    EXPECT_NEAR(d_imp + d_in - d_exp - d_out, d_stored + d_loss, kEnergyTolKwh)
                        << "energy balance, vehicle " << v << " step " << step;
                    EXPECT_GE(d_loss, 0.0);
                    imported += d_imp;
                    exported += d_exp;
                    // The ledger records the same flows, rounded to whole Wh per leg.
                    int64_t leg_wh = 0;
                    for (int leg = 0; leg < 2; ++leg) {
                        const int64_t slot = tx_slot_index(p, step, 2 * v + leg);
                        if (f.tx_used[slot]) leg_wh += f.tx_slots[slot].energy_wh;
                    }
                    EXPECT_NEAR(static_cast<double>(leg_wh), (d_imp + d_in - d_exp - d_out) * 1000.0, 1.0 + 1e-3)
                        << "ledger energy, vehicle " << v << " step " << step;
                    if (!plugged_in(f, v, step)) {
                        EXPECT_EQ(leg_wh, 0) << "transaction while unplugged";
                        EXPECT_EQ(d_imp + d_exp + d_in + d_out, 0.0) << "energy moved while unplugged";
                        EXPECT_EQ(d_stored, 0.0) << "energy moved while unplugged";
                    }
                    sold += d_out;
                    bought += d_in;
                    // Money of the P2P legs: the cost/revenue change minus the grid legs.
                    const double d_cost = f.ep_energy_cost[v] - before.cost[v];
                    const double d_rev = f.ep_revenue[v] - before.revenue[v];
                    const double grid_price = f.action[v] == kDischarge && sig.dr_event[idx]
                                                  ? p.dr_price_per_kwh : sig.feed_in_price_per_kwh[idx];
                    paid += d_cost - d_imp * sig.retail_price_per_kwh[idx];
                    received += d_rev - d_exp * grid_price;
                }
                const double pv = f.market_pv_kwh[c];
                EXPECT_NEAR(bought, (sold + pv) * keep, kEnergyTolKwh) << "community " << c << " step " << step;
                EXPECT_NEAR(paid, received + pv * f.market_price_per_kwh[c], kMoneyTol)
                    << "community " << c << " step " << step;
                if (p.grid_limit_enabled) {
                    const double cap = sig.community_limit_kw[c] * p.step_hours;
                    EXPECT_LE(imported, cap * (1.0 + 1e-5)) << "grid limit, community " << c << " step " << step;
                    EXPECT_LE(exported, cap * (1.0 + 1e-5)) << "grid limit, community " << c << " step " << step;
                }
            }
        }
        for (int c = 0; c < p.num_communities; ++c) cov.limit_steps += f.ep_limit_steps[c];
        // The day's energy: what came in (meters, en route) is what is stored, lost or driven.
        for (int v = 0; v < p.num_vehicles; ++v) {
            cov.en_route_kwh += f.ep_en_route_kwh[v];
            cov.overrides += f.ep_safety_overrides[v];
            const double in = f.ep_grid_import_kwh[v] + f.ep_p2p_bought_kwh[v] + f.ep_en_route_kwh[v];
            const double out = f.ep_grid_export_kwh[v] + f.ep_p2p_sold_kwh[v];
            EXPECT_NEAR(in - out, (f.energy_kwh[v] - day_start[v]) + f.ep_conversion_loss_kwh[v] + f.trip_kwh[v],
                        2 * kEnergyTolKwh * p.steps_per_day)
                << "day energy, vehicle " << v << " episode " << episode;
        }
    }
    return cov;
}

void expect_covered(const Coverage& c) {
    EXPECT_GT(c.en_route_kwh, 0.0) << "no trip needed en-route charging";
    EXPECT_GT(c.limit_steps, 0) << "no connection limit was ever reached";
    EXPECT_GT(c.overrides, 0) << "the safety layer never acted";
}

Coverage operator+(Coverage a, const Coverage& b) {
    a.en_route_kwh += b.en_route_kwh;
    a.limit_steps += b.limit_steps;
    a.overrides += b.overrides;
    return a;
}

TEST(Physics, InvariantsHoldUnderRandomActions) {
    Coverage all;
    for (uint32_t trial = 0; trial < 12; ++trial) all = all + run_trial(trial, kPolicyRandom);
    expect_covered(all);
}

TEST(Physics, InvariantsHoldWhileLearning) {
    Coverage all;
    for (uint32_t trial = 12; trial < 20; ++trial) all = all + run_trial(trial, kPolicyLearn);
    expect_covered(all);
}

// The safety layer meets every departure requirement (the requirement is capped by what the
// charger can store during the stay, so charging from arrival always reaches it) whatever the
// policy does, with the grid unconstrained; without it, random actions leave energy unmet.
TEST(Physics, SafetyLayerMeetsEveryDepartureRequirement) {
    for (bool safety : {true, false}) {
        double unmet = 0.0, needed = 0.0;
        int64_t overrides = 0;
        for (uint32_t trial = 0; trial < 6; ++trial) {
            Config cfg = random_config(100 + trial);
            cfg.grid.limit_kw_per_vehicle = 0.0;
            cfg.fleet.safety_layer = safety;
            testing::HostFleet host(cfg);
            const EnvParams& p = host.p;
            for (int episode = 0; episode < 6; ++episode) {
                for (int c = 0; c < p.num_communities; ++c) reset_community(host.f, c);
                for (int v = 0; v < p.num_vehicles; ++v) reset_vehicle(p, host.sig, host.f, v, episode);
                for (int v = 0; v < p.num_vehicles; ++v)
                    needed += std::max(0.0f, host.f.required_kwh[v] - host.f.energy_kwh[v]);
                for (int step = 0; step < p.steps_per_day; ++step) {
                    for (int v = 0; v < p.num_vehicles; ++v)
                        act_vehicle(p, host.sig, host.f, v, episode, step, kPolicyRandom, 0.0f);
                    for (int c = 0; c < p.num_communities; ++c) clear_community(p, host.sig, host.f, c, episode, step);
                    for (int v = 0; v < p.num_vehicles; ++v) apply_vehicle(p, host.sig, host.f, v, episode, step);
                }
                for (int v = 0; v < p.num_vehicles; ++v) {
                    unmet += host.f.ep_unmet_kwh[v];
                    overrides += host.f.ep_safety_overrides[v];
                    if (safety) {
                        EXPECT_LT(host.f.ep_unmet_kwh[v], 1e-3f) << "trial " << trial << " vehicle " << v;
                    }
                }
            }
        }
        ASSERT_GT(needed, 100.0);
        if (safety) {
            EXPECT_GT(overrides, 0);
        } else {
            EXPECT_EQ(overrides, 0);
            EXPECT_GT(unmet, 0.1 * needed) << "random actions without the safety layer";
        }
    }
}

// Item 5 of the model: by default every day starts from the fleet's configured age (a long run
// does not age the packs); in the lifetime mode ageing carries over and a pack at end of life is
// replaced by one of the configured age, and counted.
TEST(Physics, AgeingStartsEachDayFromTheFleetsAgeOrCarriesOverWithReplacements) {
    Config day = testing::small_config(3, 8, 8);
    day.run.episodes = 40;
    const testing::Trained trained = testing::train_cpu(day, 1);
    const Problem fresh = build_problem(day);
    const float fleet_soh = 1.0f - fresh.params.initial_calendar_loss - fresh.params.initial_cycle_loss;
    double soh_sum = 0.0;
    for (const EpisodeMetrics& m : trained.summary.episodes_metrics) {
        EXPECT_LT(m.soh / m.vehicles, fleet_soh) << "a day ages the pack";
        EXPECT_GT(m.soh / m.vehicles, fleet_soh - 0.01) << "but only by a day's ageing";
        soh_sum += m.soh / m.vehicles;
        EXPECT_EQ(m.pack_replacements, 0);
    }
    const double first = trained.summary.episodes_metrics.front().soh, last = trained.summary.episodes_metrics.back().soh;
    EXPECT_NEAR(last, first, 0.01 * first) << "the fleet did not grow older over the run";
    // Lifetime: a pack at SoH ~0.94 with end of life at 6.5 % loss wears out within days.
    Config lifetime = day;
    lifetime.battery.aging = AgingHorizon::lifetime;
    lifetime.battery.end_of_life_loss = 0.065;
    const testing::Trained aged = testing::train_cpu(lifetime, 1);
    int64_t replacements = 0;
    for (const EpisodeMetrics& m : aged.summary.episodes_metrics) replacements += m.pack_replacements;
    EXPECT_GT(replacements, 0);
    EXPECT_GE(aged.summary.soh_min, 1.0 - lifetime.battery.end_of_life_loss - 0.01) << "worn packs were replaced";
    EXPECT_LT(aged.summary.episodes_metrics.back().soh / 8, fleet_soh) << "ageing carried over";
}

TEST(Physics, MarketClearsShortSideFully) {
    // 10 kWh offered, 4 kWh bid, 10% loss: buyers get all 4, sellers deliver 4/0.9.
    const MarketOutcome m = clear_market(10.0f, 4.0f, 0.30f, 0.10f, 0.5f, 0.1f);
    EXPECT_FLOAT_EQ(m.price_per_kwh, 0.20f);
    EXPECT_FLOAT_EQ(m.buy_ratio, 1.0f);
    EXPECT_NEAR(m.sell_ratio, 4.0f / 0.9f / 10.0f, 1e-6);
    // Demand exceeds what supply can deliver: sellers sell all, buyers get pro rata.
    const MarketOutcome n = clear_market(2.0f, 9.0f, 0.30f, 0.10f, 0.5f, 0.1f);
    EXPECT_FLOAT_EQ(n.sell_ratio, 1.0f);
    EXPECT_NEAR(n.buy_ratio, 1.8f / 9.0f, 1e-6);
    // One side empty: nothing clears.
    EXPECT_EQ(clear_market(0.0f, 3.0f, 0.3f, 0.1f, 0.5f, 0.0f).buy_ratio, 0.0f);
}

TEST(Physics, DegradationFollowsSchmalstiegAtConstantStress) {
    // Integrating the incremental model over a year of constant stress must give the closed
    // form alpha * t^0.75 (calendar) and beta * sqrt(Q) (cycle).
    EnvParams p{};
    p.calendar_arrhenius = std::exp(-kCalActivationK / 298.15f);
    double cal = 0, cyc = 0, q = 0;
    const float dq = 0.05f;
    for (int h = 0; h < 365 * 24; ++h) {
        const DegradationStep d = degradation_step(p, h / 24.0f, (h + 1) / 24.0f, 0.5f, 0.4f, static_cast<float>(q), dq);
        cal += d.calendar;
        cyc += d.cycle;
        q += dq;
    }
    const double v = cell_voltage(0.5f);
    const double alpha = (7.543 * v - 23.75) * 1e6 * std::exp(-6976.0 / 298.15);
    const double beta = 7.348e-3 * (v - 3.667) * (v - 3.667) + 7.60e-4 + 4.081e-3 * 0.4;
    EXPECT_NEAR(cal, alpha * std::pow(365.0, 0.75), 1e-3 * cal);
    EXPECT_NEAR(cyc, beta * std::sqrt(q), 1e-3 * cyc);
}

}  // namespace
}  // namespace v2g
