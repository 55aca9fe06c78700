// Physics invariants over random configs and random actions, checked after every phase of
// every step by a serial driver over the same step functions the backends run:
// SoC within bounds; energy in = energy stored + losses; P2P energy and money balance per
// community step; nothing moves while unplugged; SoH never rises.
#include <gtest/gtest.h>
#include <cmath>
#include "test_helpers.h"

namespace v2g {
namespace {

constexpr double kEnergyTolKwh = 2e-4;
constexpr double kMoneyTol = 2e-4;

Config random_config(uint32_t trial) {
    const Philox4 r = random4(2024, trial, 0, 0, RngPurpose::kTest);
    const Philox4 s = random4(2024, trial, 1, 0, RngPurpose::kTest);
    Config cfg = testing::small_config(1000 + trial, 1 + static_cast<int>(r.v[0] % 40), 1);
    cfg.community_size = 1 + static_cast<int>(r.v[1] % cfg.vehicles);
    cfg.soc_min = 0.05 + 0.3 * uniform01(r.v[2]);
    cfg.soc_max = cfg.soc_min + 0.1 + (0.95 - cfg.soc_min - 0.1) * uniform01(r.v[3]);
    cfg.initial_soc = 0.5 * (cfg.soc_min + cfg.soc_max);
    cfg.p2p_loss_fraction = 0.1 * uniform01(s.v[0]);
    cfg.p2p_price_weight = uniform01(s.v[1]);
    cfg.unmatched_to_grid = (s.v[2] & 1) != 0;
    cfg.mix = (s.v[2] & 2) ? "single" : "ev2gym";
    cfg.single_efficiency = 0.8 + 0.2 * uniform01(s.v[3]);
    cfg.step_hours = (s.v[2] & 4) ? 0.25 : 1.0;
    cfg.pv_kwp_per_vehicle = (s.v[2] & 8) ? 0.0 : 4.0;
    cfg.initial_age_days = (s.v[2] & 16) ? 0.0 : 400.0;
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
    EXPECT_GE(f.energy_kwh[v], p.soc_min * f.usable_kwh[v]) << "vehicle " << v;
    EXPECT_LE(f.energy_kwh[v], p.soc_max * f.usable_kwh[v]) << "vehicle " << v;
}

void run_trial(uint32_t trial, int mode) {
    testing::HostFleet host(random_config(trial));
    const EnvParams& p = host.p;
    FleetView& f = host.f;
    const SignalsView& sig = host.sig;
    SCOPED_TRACE("trial " + std::to_string(trial) + " vehicles " + std::to_string(p.num_vehicles) +
                 " community " + std::to_string(p.community_size) + " mode " + std::to_string(mode));
    const float keep = 1.0f - p.p2p_loss_fraction;
    for (int episode = 0; episode < 4; ++episode) {
        for (int c = 0; c < p.num_communities; ++c) reset_community(f, c);
        for (int v = 0; v < p.num_vehicles; ++v) {
            reset_vehicle(p, f, v, episode);
            check_bounds(p, f, v);
            ASSERT_LT(f.arrival_step[v], f.departure_step[v]);
            ASSERT_LE(f.departure_step[v], p.steps_per_day);
        }
        for (int step = 0; step < p.steps_per_day; ++step) {
            const Snapshot before = snap(p, f);
            for (int v = 0; v < p.num_vehicles; ++v) act_vehicle(p, sig, f, v, episode, step, mode, 0.5f);
            for (int c = 0; c < p.num_communities; ++c) clear_community(p, sig, f, c, episode, step);
            for (int v = 0; v < p.num_vehicles; ++v) apply_vehicle(p, sig, f, v, episode, step);
            for (int v = 0; v < p.num_vehicles; ++v) learn_vehicle(p, f, v);
            const int idx = signal_index(p, episode, step);
            for (int c = 0; c < p.num_communities; ++c) {
                double sold = 0, bought = 0, paid = 0, received = 0;
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
                    // The ledger records the same flows, rounded to whole Wh per leg.
                    int64_t leg_wh = 0;
                    for (int leg = 0; leg < 2; ++leg) leg_wh += tx_slot(p, f, step, 2 * v + leg)->energy_wh;
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
            }
        }
    }
}

TEST(Physics, InvariantsHoldUnderRandomActions) {
    for (uint32_t trial = 0; trial < 12; ++trial) run_trial(trial, kPolicyRandom);
}

TEST(Physics, InvariantsHoldWhileLearning) {
    for (uint32_t trial = 12; trial < 20; ++trial) run_trial(trial, kPolicyLearn);
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
