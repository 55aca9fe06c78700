// The dynamic-programming optimum (kernels/optimum.h): equal to a brute-force search over
// every action sequence, never below any other policy in its model, reproduced by following
// its plan, its transition equal to the environment's own step, and its discounted Q*.
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include "kernels/optimum.h"
#include "test_helpers.h"

namespace v2g {
namespace {

// A small random instance: 3-hour steps (8 per day), a fixed session of at most 7 decisions,
// random prices, DR events and recorded market; ledger on or off (on: a tight energy cap so
// contracts reject some transfers).
struct Instance {
    explicit Instance(uint64_t seed, int points) : cfg(make_config(seed)), host(cfg) {
        host.p_mut().plan_points = points;
        host.f.tx_slots = nullptr;
        reset_vehicle(host.p, host.f, 0, kEpisode);
        Philox4 r = random4(seed, 0, 0, 0, RngPurpose::kTest);
        market.resize(static_cast<size_t>(host.p.steps_per_day) * kPlanMarketFields);
        for (int t = 0; t < host.p.steps_per_day; ++t) {
            r = random4(seed, 1, 0, static_cast<uint32_t>(t), RngPurpose::kTest);
            market[t * 3 + 0] = 0.05 + 0.3 * uniform01(r.v[0]);
            market[t * 3 + 1] = uniform01(r.v[1]);
            market[t * 3 + 2] = uniform01(r.v[2]);
        }
    }
    static Config make_config(uint64_t seed) {
        Config cfg = testing::small_config(seed, 2, 1);
        cfg.step_hours = 3;
        cfg.session_model = "fixed";
        const Philox4 r = random4(seed, 2, 0, 0, RngPurpose::kTest);
        cfg.fixed_arrival_hour = 12 + 3 * (r.v[0] % 3);      // 12, 15 or 18
        cfg.fixed_departure_hour = 3 * (r.v[1] % 4);          // 0, 3, 6 or 9 (next morning)
        cfg.fixed_demand_kwh = 30.0 * uniform01(r.v[2]);
        cfg.initial_soc = 0.1 + 0.8 * uniform01(r.v[3]);
        cfg.ledger_enabled = seed % 2 == 0;
        cfg.contracts = 10;
        cfg.contract_energy_cap_kwh = seed % 4 == 0 ? 20.0 : 50.0;
        cfg.price_noise = 0.3;
        return cfg;
    }
    PlanContext ctx() const { return PlanContext{host.p, host.sig, host.f, 0, kEpisode, market.data()}; }
    static constexpr int kEpisode = 3;
    Config cfg;
    struct Host : testing::HostFleet {
        using HostFleet::HostFleet;
        EnvParams& p_mut() { return problem.params; }
    } host;
    std::vector<double> market;
};

bool near(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

TEST(Optimum, EqualsBruteForceOverEveryActionSequence) {
    int checked = 0;
    for (uint64_t seed = 1; seed <= 40; ++seed) {
        const int points = seed % 3 == 0 ? 5 : seed % 3 == 1 ? 11 : 31;
        Instance in(seed, points);
        const PlanContext c = in.ctx();
        std::vector<uint8_t> plan;
        const double dp = solve_day(c, &plan);
        const double bf = brute_force_day(c);
        EXPECT_TRUE(near(dp, bf)) << "seed " << seed << ": DP " << dp << " vs brute force " << bf;
        checked += plan_departure(c) - plan_arrival(c) >= 3;
    }
    EXPECT_GT(checked, 20);  // most instances have several decisions
}

TEST(Optimum, NeverBelowAnyOtherPolicyInItsModel) {
    for (uint64_t seed = 41; seed <= 80; ++seed) {
        Instance in(seed, 21);
        const PlanContext c = in.ctx();
        std::vector<uint8_t> plan;
        const double dp = solve_day(c, &plan);
        std::vector<std::pair<const char*, double>> others;
        for (int a = 0; a < kNumActions; ++a)
            others.emplace_back("always the same action", evaluate_in_model(c, [a](int, float) { return a; }));
        // Charge when the retail price is below the day's median, else sell.
        std::vector<float> prices;
        for (int t = 0; t < c.p.steps_per_day; ++t) prices.push_back(c.sig.retail_price_per_kwh[signal_index(c.p, in.kEpisode, t)]);
        std::vector<float> sorted = prices;
        std::sort(sorted.begin(), sorted.end());
        const float median = sorted[sorted.size() / 2];
        others.emplace_back("price rule", evaluate_in_model(c, [&](int t, float) { return prices[t] < median ? kCharge : kSell; }));
        for (uint32_t k = 0; k < 200; ++k)
            others.emplace_back("random sequence", evaluate_in_model(c, [&](int t, float) {
                return static_cast<int>(random4(seed, k, 7, static_cast<uint32_t>(t), RngPurpose::kTest).v[0] % kNumActions);
            }));
        for (const auto& [name, value] : others)
            EXPECT_GE(dp, value - 1e-9 * std::max(1.0, std::abs(value))) << "seed " << seed << ": " << name;
        // ... and some policy comes close to it only by following it.
        EXPECT_TRUE(near(follow_plan_in_model(c, plan), dp)) << "seed " << seed;
    }
}

// At the arrival step the environment's depth of cycle is the step's own swing, as in the
// model, so from the exact arrival energy the model's step is the environment's step.
TEST(Optimum, TransitionIsTheEnvironmentsStep) {
    for (uint64_t seed = 81; seed <= 100; ++seed) {
        for (int a = 0; a < kNumActions; ++a) {
            Instance in(seed, 41);
            testing::HostFleet& h = in.host;
            const int v = 0, t = h.f.arrival_step[v];
            if (t >= h.f.departure_step[v]) continue;
            // The environment: vehicle 0 alone in its community (community_size 1), the action forced.
            std::vector<uint8_t> plan(static_cast<size_t>(h.p.steps_per_day) * h.p.plan_points, static_cast<uint8_t>(a));
            h.f.plan = plan.data();
            const float e0 = h.f.energy_kwh[v];
            FleetView env = h.f;
            std::vector<char> copy = h.problem.fleet;  // the model runs on its own copy
            FleetView model{};
            layout_fleet(h.p, copy.data(), &model);
            model.tx_slots = nullptr;
            act_vehicle(h.p, h.sig, env, v, in.kEpisode, t, kPolicyPlan, 0.0f);
            clear_community(h.p, h.sig, env, 0, in.kEpisode, t);
            std::vector<double> market(static_cast<size_t>(h.p.steps_per_day) * kPlanMarketFields, 0.0);
            market[t * 3 + 0] = env.market_price_per_kwh[0];
            market[t * 3 + 1] = env.market_sell_ratio[0];
            market[t * 3 + 2] = env.market_buy_ratio[0];
            apply_vehicle(h.p, h.sig, env, v, in.kEpisode, t);
            const PlanTransition tr = plan_transition(PlanContext{h.p, h.sig, model, v, in.kEpisode, market.data()}, e0, t, a);
            EXPECT_EQ(tr.reward, static_cast<double>(env.reward[v])) << "seed " << seed << " action " << a;
            EXPECT_EQ(tr.next_point, plan_point(h.p, env.energy_kwh[v], env.usable_kwh[v])) << "seed " << seed;
            // The model leaves the state as it found it.
            EXPECT_EQ(model.energy_kwh[v], e0);
        }
    }
}

TEST(Optimum, OptimalQMatchesTheValuesAndDiscounts) {
    Instance in(7, 11);
    const PlanContext c = in.ctx();
    const int G = c.p.plan_points, arrival = plan_arrival(c), departure = plan_departure(c);
    ASSERT_GE(departure - arrival, 2);
    std::vector<uint8_t> plan;
    std::vector<double> values, q1, qg;
    solve_day(c, &plan, &values);
    optimal_q(c, 1.0f, &q1);
    for (int t = arrival; t < departure; ++t)
        for (int g = 0; g < G; ++g) {
            const double* row = &q1[(static_cast<size_t>(t) * G + g) * kNumActions];
            EXPECT_TRUE(near(*std::max_element(row, row + kNumActions), values[static_cast<size_t>(t) * G + g]));
            // The plan's action is the first argmax.
            EXPECT_EQ(plan[static_cast<size_t>(t) * G + g] == std::max_element(row, row + kNumActions) - row,
                      t != arrival || g != plan_point(c.p, c.f.energy_kwh[0], c.f.usable_kwh[0]) ||
                          plan[static_cast<size_t>(t) * G + g] == std::max_element(row, row + kNumActions) - row);
        }
    // gamma = 0.5 by hand at the step before the last decision.
    optimal_q(c, 0.5f, &qg);
    const int t = departure - 2;
    for (int g = 0; g < G; g += 3)
        for (int a = 0; a < kNumActions; ++a) {
            const PlanTransition tr = plan_transition(c, plan_energy_kwh(c.p, c.f.usable_kwh[0], g), t, a);
            double next = -1e300;
            for (int b = 0; b < kNumActions; ++b) {
                const PlanTransition last = plan_transition(c, tr.next_energy_kwh, t + 1, b);
                next = std::max(next, last.reward);
            }
            EXPECT_TRUE(near(qg[(static_cast<size_t>(t) * G + g) * kNumActions + a], tr.reward + 0.5 * next));
        }
}

TEST(Optimum, AVehicleThatNeverPlugsInHasNothingToDecide) {
    Config cfg = Instance::make_config(5);
    cfg.vehicles = 1;
    cfg.community_size = 1;
    testing::HostFleet h(cfg);
    EnvParams p = h.p;
    p.plan_points = 9;
    p.fault_missing_share = 1.0f;  // every vehicle away all day
    h.f.tx_slots = nullptr;
    reset_vehicle(p, h.f, 0, 0);
    std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields, 0.0);
    std::vector<uint8_t> plan;
    EXPECT_EQ(solve_day(PlanContext{p, h.sig, h.f, 0, 0, market.data()}, &plan), 0.0);
    EXPECT_TRUE(std::all_of(plan.begin(), plan.end(), [](uint8_t a) { return a == kIdle; }));
}

}  // namespace
}  // namespace v2g
