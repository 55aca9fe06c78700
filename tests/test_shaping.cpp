// test_shaping.cpp: the tabular learner's shaping (learning.shaping) and its charge-margin
// outlook (learning.forecast_basis): the potential by hand, the shaped rewards of a real day
// telescoping to the potential at arrival (so no policy's ranking changes), the update
// learning from them, the margin agreeing with the time-of-use rule, and the day's price order
// following a price fault.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>
#include "common/errors.h"
#include "eval/evaluation.h"
#include "run/vector_env.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

template <class T>
T* writable(const T* p) { return const_cast<T*>(p); }

// One vehicle, day 0 with prices set by hand: steps [4, 10) of the stay cost
// 0.30 0.10 0.20 0.10 0.25 0.40; every other step 0.05 (outside the stay: never counted).
struct HandDay {
    HandDay() {
        layout_fleet(p, problem.fleet.data(), &f);
        layout_signals(p, problem.signals.data(), &sig);
        const SignalsHostView s = mutable_signals(sig);
        const float stay[] = {0.30f, 0.10f, 0.20f, 0.10f, 0.25f, 0.40f};
        for (int t = 0; t < p.steps_per_day; ++t) s.retail_price_per_kwh[t] = t >= 4 && t < 10 ? stay[t - 4] : 0.05f;
        order_day_prices(p, s);
        writable(f.charge_kw)[0] = 7.0f;  // 7 kWh at the meter per hourly step
        writable(f.eta_charge)[0] = 0.9f;
        f.arrival_step[0] = 4;
        f.departure_step[0] = 10;
        f.required_kwh[0] = 30.0f;
    }
    Config cfg = testing::small_config(3, 1, 1);
    Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    FleetView f{};
    SignalsView sig{};
};

TEST(Shaping, PotentialIsMinusTheCheapestChargingLeftInTheStay) {
    HandDay d;
    ASSERT_EQ(d.p.steps_per_day, 24);
    // 16.2 kWh to store = 18 kWh at the meter: 7 at step 5 and 7 at step 7 (0.10, the earlier
    // first), 4 at step 6 (0.20): 0.7 + 0.7 + 0.8.
    EXPECT_NEAR(charging_potential(d.p, d.sig, d.f, 0, 0, 4, 30.0f - 16.2f), -2.2f, 1e-5f);
    // From step 6: 7 at step 7, 7 at step 6, 4 at step 8 (0.25): 0.7 + 1.4 + 1.0.
    EXPECT_NEAR(charging_potential(d.p, d.sig, d.f, 0, 0, 6, 30.0f - 16.2f), -3.1f, 1e-5f);
    // At the last step only 7 of 18 kWh fit (0.40); the other 11 kWh at the meter are 9.9 kWh
    // short at departure, priced at the unmet penalty.
    const float penalty = d.p.unmet_penalty_per_kwh;
    EXPECT_NEAR(charging_potential(d.p, d.sig, d.f, 0, 0, 9, 30.0f - 16.2f), -(2.8f + 9.9f * penalty), 1e-5f);
    // Nothing left to store: zero.
    EXPECT_EQ(charging_potential(d.p, d.sig, d.f, 0, 0, 4, 30.0f), 0.0f);
    EXPECT_EQ(charging_potential(d.p, d.sig, d.f, 0, 0, 4, 31.0f), 0.0f);
}

// The shaped rewards of a day, driven step by step, add up for each vehicle to its rewards
// minus the potential it arrived with: the shaping term telescopes (gamma = 1), so it moves
// every policy's return from an arrival state by the same amount.
TEST(Shaping, ShapedRewardsOfADayTelescopeToThePotentialAtArrival) {
    Config cfg = testing::small_config(5, 16, 8);
    cfg.learning.shaping = true;
    ASSERT_EQ(cfg.learning.gamma, 1.0);
    VectorEnv env(cfg);
    const FleetView& f = env.fleet();
    const int n = env.num_envs();
    std::vector<uint8_t> actions(n);
    int stays_needing_energy = 0;
    for (int episode = 0; episode < 4; ++episode) {
        env.reset(episode);
        std::vector<double> shaping(n, 0.0), potential_at_arrival(n, 0.0);
        for (bool done = false; !done;) {
            const int step = env.step_index();
            for (int v = 0; v < n; ++v) {
                actions[v] = static_cast<uint8_t>(testing::random_action(env.params(), v, episode, step));
                if (step == f.arrival_step[v] && plugged_in(f, v, step))
                    potential_at_arrival[v] =
                        charging_potential(env.params(), env.signals(), f, v, episode, step, f.energy_kwh[v]);
            }
            done = env.step(actions.data());
            for (int v = 0; v < n; ++v) shaping[v] += f.learn_reward[v] - f.reward[v];
        }
        for (int v = 0; v < n; ++v) {
            stays_needing_energy += potential_at_arrival[v] < 0.0 ? 1 : 0;
            EXPECT_NEAR(shaping[v], -potential_at_arrival[v], 1e-4 * (1.0 + std::abs(potential_at_arrival[v])))
                << "day " << episode << " vehicle " << v;
        }
    }
    EXPECT_GT(stays_needing_energy, n);  // the check has something to check
}

TEST(Shaping, TheUpdateLearnsFromTheShapedRewardOnlyWhenShaping) {
    for (const bool shaping : {false, true}) {
        Config cfg = testing::small_config(5, 6, 3);
        cfg.learning.shaping = shaping;
        Problem problem = build_problem(cfg);
        FleetView f{};
        layout_fleet(problem.params, problem.fleet.data(), &f);
        f.state[0] = 7;
        f.next_state[0] = -1;  // terminal: the target is the reward alone
        f.action[0] = kIdle;
        f.reward[0] = -2.0f;
        f.learn_reward[0] = 1.0f;
        learn_vehicle(problem.params, f, 0);
        const float q0 = static_cast<float>(cfg.learning.q_init);
        const float target = shaping ? 1.0f : -2.0f;
        EXPECT_NEAR(f.q[7 * kNumActions + kIdle], q0 + 0.2f * (target - q0), 1e-6f) << "shaping " << shaping;
    }
}

// learning.forecast_basis = "charge_margin": the outlook is above 0 exactly where the
// time-of-use rule charges, at every plugged-in step of a day it drives.
TEST(Shaping, ChargeMarginIsAboveZeroExactlyWhereTimeOfUseCharges) {
    Config cfg = testing::small_config(9, 16, 8);
    cfg.learning.forecast_levels = 4;
    cfg.learning.forecast_basis = ForecastBasis::charge_margin;
    VectorEnv env(cfg);
    const FleetView& f = env.fleet();
    std::vector<uint8_t> actions(env.num_envs());
    int charging = 0, waiting = 0;
    for (int episode = 0; episode < 3; ++episode) {
        env.reset(episode);
        for (bool done = false; !done;) {
            const int step = env.step_index();
            for (int v = 0; v < env.num_envs(); ++v) {
                actions[v] = kIdle;
                if (!plugged_in(f, v, step)) continue;
                actions[v] = static_cast<uint8_t>(time_of_use_action(env.params(), env.signals(), f, v, episode, step));
                const int level = forecast_level(env.params(), env.signals(), f, v, episode, step, f.energy_kwh[v]);
                EXPECT_EQ(level > 0, actions[v] != kIdle) << "vehicle " << v << " step " << step;
                (level > 0 ? charging : waiting) += 1;
            }
            done = env.step(actions.data());
        }
    }
    EXPECT_GT(charging, 0);
    EXPECT_GT(waiting, 0);
}

TEST(Shaping, DayPriceOrderFollowsAPriceSpike) {
    Config cfg = testing::small_config(4, 8, 8);
    Problem problem = build_problem(cfg);
    apply_fault(cfg, "price_spike", &problem);
    const EnvParams& p = problem.params;
    SignalsView sig{};
    layout_signals(p, problem.signals.data(), &sig);
    for (int d = 0; d < p.signal_days; ++d) {
        const uint16_t* order = sig.price_order + d * p.steps_per_day;
        const float* price = sig.retail_price_per_kwh + d * p.steps_per_day;
        std::vector<int> seen(p.steps_per_day, 0);
        for (int k = 0; k < p.steps_per_day; ++k) {
            seen[order[k]] += 1;
            if (k > 0) {
                EXPECT_LE(price[order[k - 1]], price[order[k]]) << "day " << d << " rank " << k;
                if (price[order[k - 1]] == price[order[k]]) {
                    EXPECT_LT(order[k - 1], order[k]);  // ties: earlier first
                }
            }
        }
        for (int t = 0; t < p.steps_per_day; ++t) EXPECT_EQ(seen[t], 1) << "day " << d << " step " << t;
    }
}

TEST(Shaping, ShapingADeepQNetworkIsRefused) {
    Config cfg;
    cfg.learning.shaping = true;
    cfg.learning.policy = LearnerPolicy::dqn;
    EXPECT_THROW(validate(cfg), InputError);
    cfg.learning.policy = LearnerPolicy::tabular;
    EXPECT_NO_THROW(validate(cfg));
}

}  // namespace
}  // namespace v2g
