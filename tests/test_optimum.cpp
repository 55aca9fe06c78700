// The dynamic-programming optimum (eval/optimum.h): equal to an exhaustive search over every
// action sequence, never below any other policy in its model, its step equal to the
// environment's own step, its plan reproducing its value, its Q* consistent with its values and
// discounting as written, nothing to decide for a vehicle that stays away, the host copy left as
// it was found, communities solvable in parallel; and the solve time of a whole hourly day.
#include <gtest/gtest.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>
#include "problem/problem.h"
#include "eval/optimum.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

constexpr int kVehicles = 3;             // one community of 3, or three communities of 1
constexpr int kMaxDecisions = 8;         // 5^8 sequences: the brute force stays well under a second
constexpr double kRelTolerance = 1e-9;   // DP vs brute force (both in double)

bool near(double a, double b) { return std::abs(a - b) <= kRelTolerance * std::max(1.0, std::abs(b)); }

// Uniform draws for one instance: word k of the test stream k / 4.
struct Draw {
    uint64_t seed;
    uint32_t n = 0;
    uint32_t bits() {
        const uint32_t k = n++;
        return random4(seed, k / 4, 0, 0, RngPurpose::kTest).v[k % 4];
    }
    double u() { return uniform01(bits()); }
    int below(int k) { return static_cast<int>(bits() % static_cast<uint32_t>(k)); }
};

// A small random instance of one vehicle's day: 3- or 4-hour steps, a fixed session of at most
// kMaxDecisions steps at a random place in the day, the synthetic signals of a random seed and
// day (prices, DR events at a random load quantile), a random recorded market (ratios in [0, 1],
// sometimes exactly 0 or 1), random tariffs and penalty, the grid sometimes down, the ledger on
// or off (on: contracts whose energy or price caps reject some transfers). Not movable: the
// context points into its own buffers.
struct Instance {
    Instance(uint64_t seed, int points) : draw{seed}, cfg(make_config(&draw)), problem(build_problem(cfg)) {
        p = problem.params;
        p.plan_points = points;
        const int T = p.steps_per_day;
        if (draw.below(4) == 0) {  // a grid outage of one or two steps
            p.fault_outage_begin_step = draw.below(T);
            p.fault_outage_end_step = std::min(T, p.fault_outage_begin_step + 1 + draw.below(2));
        }
        vehicle = draw.below(kVehicles);
        episode = draw.below(cfg.signals.days);
        market.resize(static_cast<size_t>(T) * kPlanMarketFields);
        for (int t = 0; t < T; ++t) {
            double* m = &market[static_cast<size_t>(t) * kPlanMarketFields];
            m[kPlanMarketPrice] = 0.05 + 0.3 * draw.u();
            for (int k : {kPlanMarketSellRatio, kPlanMarketBuyRatio}) {
                const int kind = draw.below(8);
                m[k] = kind == 0 ? 0.0 : kind == 1 ? 1.0 : draw.u();
            }
            // The connection limit's shares: mostly unconstrained, sometimes cut.
            for (int k : {kPlanMarketForcedShare, kPlanMarketImportShare, kPlanMarketExportShare}) {
                const int kind = draw.below(4);
                m[k] = kind == 0 ? draw.u() : 1.0;
            }
        }
        fleet = problem.fleet;
        ctx = plan_context(p, &fleet, problem.signals, vehicle, episode, market.data());
        reset_vehicle(ctx.p, ctx.sig, ctx.f, vehicle, episode);
    }
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    static Config make_config(Draw* d) {
        Config cfg = testing::small_config(d->seed, kVehicles, d->below(2) ? 1 : kVehicles);
        cfg.time.step_hours = d->below(2) ? 3.0 : 4.0;
        const int T = cfg.steps_per_day();
        const int stay = 1 + d->below(std::min(kMaxDecisions, T));
        const int arrival = d->below(T - stay + 1);
        const int departure = arrival + stay;
        cfg.sessions.model = SessionSource::fixed;
        cfg.sessions.fixed_arrival_hour = std::fmod(cfg.time.day_start_hour + arrival * cfg.time.step_hours, 24.0);
        cfg.sessions.fixed_departure_hour = std::fmod(cfg.time.day_start_hour + departure * cfg.time.step_hours, 24.0);
        cfg.sessions.fixed_trip_kwh = 40.0 * d->u();
        cfg.fleet.initial_soc = 0.1 + 0.8 * d->u();
        cfg.signals.price_noise = 0.3;
        cfg.signals.dr_load_quantile = 0.5 + 0.45 * d->u();
        cfg.market.dr_price_per_kwh = 0.1 + 0.4 * d->u();
        cfg.market.unmet_penalty_per_kwh = d->u();
        cfg.market.unmatched_to_grid = d->below(2) == 1;
        cfg.market.loss_fraction = 0.1 * d->u();
        cfg.ledger.enabled = d->below(2) == 1;
        constexpr double kEnergyCapsKwh[] = {5.0, 15.0, 30.0, 50.0};
        cfg.ledger.energy_cap_kwh_per_step = kEnergyCapsKwh[d->below(4)];
        cfg.ledger.price_cap_per_kwh = d->below(3) == 0 ? 0.25 : 1.0;  // 0.25: rejects DR exports and dear imports
        return cfg;
    }

    int arrival() const { return plan_arrival(ctx); }
    int departure() const { return plan_departure(ctx); }
    float usable() const { return ctx.f.usable_kwh[vehicle]; }
    float e0() const { return ctx.f.energy_kwh[vehicle]; }

    Draw draw;
    Config cfg;
    Problem problem;
    EnvParams p;
    int vehicle = 0, episode = 0;
    std::vector<double> market;
    std::vector<char> fleet;
    PlanContext ctx{};
};

// Whether the instance's contracts change some transition of its day (a rejected transfer).
bool contracts_bind(const Instance& in) {
    if (!in.p.ledger_enabled) return false;
    PlanContext off = in.ctx;
    off.p.ledger_enabled = 0;
    for (int t = in.arrival(); t < in.departure(); ++t)
        for (int g = 0; g < in.p.plan_points; ++g)
            for (int a = 0; a < kNumActions; ++a) {
                const float e = plan_energy_kwh(in.p, in.usable(), g);
                const PlanTransition on_tr = plan_transition(in.ctx, e, t, a), off_tr = plan_transition(off, e, t, a);
                if (on_tr.energy_after_kwh != off_tr.energy_after_kwh || on_tr.reward != off_tr.reward) return true;
            }
    return false;
}

// The first and the last argmax of a row of kNumActions values.
int first_argmax(const double* row) { return static_cast<int>(std::max_element(row, row + kNumActions) - row); }
int last_argmax(const double* row) {
    int best = 0;
    for (int a = 1; a < kNumActions; ++a)
        if (row[a] >= row[best]) best = a;
    return best;
}

// The best action from the exact arrival energy, from Q* (gamma = 1) of the next step: what
// solve_day stores at the arrival entry of that energy's grid point.
int exact_start_argmax(const Instance& in, const std::vector<double>& q1) {
    double q[kNumActions];
    for (int a = 0; a < kNumActions; ++a) {
        const PlanTransition tr = plan_transition(in.ctx, in.e0(), in.arrival(), a);
        const double* next = &q1[plan_q_index(in.p, in.arrival() + 1, tr.next_point, 0)];
        q[a] = tr.reward + (tr.terminal ? 0.0 : *std::max_element(next, next + kNumActions));
    }
    return first_argmax(q);
}

TEST(Optimum, EqualsBruteForceOnSmallRandomInstances) {
    constexpr int kPoints[] = {2, 3, 5, 11, 31};
    int binding = 0, ledger_off = 0, long_days = 0, one_step = 0;
    for (uint64_t seed = 1; seed <= 80; ++seed) {
        Instance in(seed, kPoints[seed % 5]);
        std::vector<uint8_t> plan;
        const double dp = solve_day(in.ctx, &plan);
        const double bf = brute_force_day(in.ctx);
        EXPECT_TRUE(near(dp, bf)) << "seed " << seed << " (" << in.departure() - in.arrival() << " decisions, "
                                  << in.p.plan_points << " points): DP " << dp << ", brute force " << bf;
        const int k = in.departure() - in.arrival();
        long_days += k >= 6;
        one_step += k == 1;
        binding += contracts_bind(in);
        ledger_off += !in.p.ledger_enabled;
    }
    // The instances cover what they should: long days, one-decision days, both ledger settings,
    // contracts that reject transfers.
    EXPECT_GE(long_days, 10);
    EXPECT_GE(one_step, 3);
    EXPECT_GE(ledger_off, 20);
    EXPECT_GE(binding, 15);
}

TEST(Optimum, NeverBelowAnyOtherPolicyInItsModel) {
    constexpr int kPoints[] = {3, 11, 21};
    constexpr uint32_t kRandomSequences = 100, kRandomFeedbacks = 50;
    int strictly_better = 0;
    for (uint64_t seed = 101; seed <= 150; ++seed) {
        Instance in(seed, kPoints[seed % 3]);
        const PlanContext& c = in.ctx;
        std::vector<uint8_t> plan;
        const double dp = solve_day(c, &plan);
        std::vector<std::pair<std::string, double>> others;
        for (int a = 0; a < kNumActions; ++a)
            others.emplace_back("always action " + std::to_string(a), evaluate_in_model(c, [a](int, float) { return a; }));
        // Time of use (step.h time_of_use_action, on the model's energy): charge in the cheapest
        // remaining steps of the stay that the departure requirement needs.
        others.emplace_back("time of use", evaluate_in_model(c, [&](int t, float e) {
            const int needed = charge_steps_needed(c.p, c.f, c.vehicle, e);
            if (needed == 0) return static_cast<int>(kIdle);
            const float* price = &c.sig.retail_price_per_kwh[signal_index(c.p, c.episode, 0)];
            int cheaper_later = 0;
            for (int u = t + 1; u < in.departure(); ++u) cheaper_later += price[u] < price[t];
            return cheaper_later < needed ? static_cast<int>(kCharge) : static_cast<int>(kIdle);
        }));
        for (uint32_t k = 0; k < kRandomSequences; ++k)
            others.emplace_back("random sequence", evaluate_in_model(c, [&](int t, float) {
                return static_cast<int>(random4(seed, k, 1, static_cast<uint32_t>(t), RngPurpose::kTest).v[0] % kNumActions);
            }));
        // Random feedback policies: a random action per (step, grid point).
        for (uint32_t k = 0; k < kRandomFeedbacks; ++k)
            others.emplace_back("random feedback", evaluate_in_model(c, [&](int t, float e) {
                const uint32_t g = static_cast<uint32_t>(plan_point(c.p, e, in.usable()));
                return static_cast<int>(random4(seed, k, 2 + g, static_cast<uint32_t>(t), RngPurpose::kTest).v[0] % kNumActions);
            }));
        double best_rule = -1e300;  // the best of the constant actions and time of use
        for (const auto& [name, value] : others) {
            EXPECT_GE(dp, value - kRelTolerance * std::max(1.0, std::abs(value))) << "seed " << seed << ": " << name;
            if (name != "random sequence" && name != "random feedback") best_rule = std::max(best_rule, value);
        }
        strictly_better += dp > best_rule + kRelTolerance * std::max(1.0, std::abs(best_rule));
    }
    EXPECT_GE(strictly_better, 10);  // the comparison has teeth: often no simple rule is optimal
}

// The environment on its own copy of an instance's buffers, the instance's day started for
// every vehicle; each vehicle's action is forced through the plan policy (a constant table).
struct Environment {
    explicit Environment(const Instance& in) : in(in), fleet(in.problem.fleet) {
        p = in.p;
        layout_fleet(p, fleet.data(), &f);
        layout_signals(p, const_cast<char*>(in.problem.signals.data()), &sig);
        slots.attach(p, &f);  // the real path, ledger writes included
        plan.assign(static_cast<size_t>(p.num_vehicles) * p.steps_per_day * p.plan_points, kIdle);
        f.plan = plan.data();
        for (int c = 0; c < p.num_communities; ++c) reset_community(f, c);
        for (int v = 0; v < p.num_vehicles; ++v) reset_vehicle(p, sig, f, v, in.episode);
    }
    // One step of the vehicle's community with these actions (vehicle order); records the market.
    void step(int t, const std::vector<int>& actions) {
        const int c = in.vehicle / p.community_size;
        for (int v = community_begin(p, c); v < community_end(p, c); ++v)
            std::fill_n(plan.begin() + static_cast<std::ptrdiff_t>((static_cast<size_t>(v) * p.steps_per_day + t) * p.plan_points),
                        p.plan_points, static_cast<uint8_t>(actions[v]));
        for (int v = community_begin(p, c); v < community_end(p, c); ++v) act_vehicle(p, sig, f, v, in.episode, t, kPolicyPlan, 0.0f);
        clear_community(p, sig, f, c, in.episode, t);
        for (int v = community_begin(p, c); v < community_end(p, c); ++v) apply_vehicle(p, sig, f, v, in.episode, t);
        market.assign(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields, 0.0);
        double* m = &market[static_cast<size_t>(t) * kPlanMarketFields];
        m[kPlanMarketPrice] = f.market_price_per_kwh[c];
        m[kPlanMarketSellRatio] = f.market_sell_ratio[c];
        m[kPlanMarketBuyRatio] = f.market_buy_ratio[c];
        m[kPlanMarketForcedShare] = f.grid_forced_share[c];
        m[kPlanMarketImportShare] = f.grid_import_share[c];
        m[kPlanMarketExportShare] = f.grid_export_share[c];
    }
    const Instance& in;
    EnvParams p;
    std::vector<char> fleet;
    FleetView f{};
    SignalsView sig{};
    TransactionSlots slots;
    std::vector<uint8_t> plan;
    std::vector<double> market;
};

// The model's step against the environment's, the market recorded from that very step.
void expect_same_step(const Instance& in, const Environment& env, float energy, int t, int a, const char* what) {
    PlanContext c = in.ctx;
    c.market = env.market.data();
    const PlanTransition tr = plan_transition(c, energy, t, a);
    const int v = in.vehicle;
    SCOPED_TRACE(::testing::Message() << what << ", step " << t << ", action " << a);
    EXPECT_EQ(tr.reward, static_cast<double>(env.f.reward[v]));
    EXPECT_EQ(tr.energy_after_kwh, env.f.energy_kwh[v]);
    EXPECT_EQ(tr.next_point, plan_point(in.p, env.f.energy_kwh[v], env.f.usable_kwh[v]));
    EXPECT_EQ(tr.next_energy_kwh, plan_energy_kwh(in.p, in.usable(), tr.next_point));
    EXPECT_EQ(tr.terminal, t + 1 == in.departure());
    EXPECT_EQ(env.f.next_state[v] < 0, tr.terminal);
}

TEST(Optimum, TransitionIsTheEnvironmentsStep) {
    int with_peers = 0, alone = 0, penalised = 0;
    for (uint64_t seed = 201; seed <= 230; ++seed) {
        for (int a = 0; a < kNumActions; ++a) {
            Instance in(seed, 11);
            const int v = in.vehicle, arrival = in.arrival();
            // The other members of the community take random actions.
            std::vector<int> actions(kVehicles);
            for (int u = 0; u < kVehicles; ++u)
                actions[u] = u == v ? a : static_cast<int>(random4(seed, static_cast<uint32_t>(u), 3, a, RngPurpose::kTest).v[0] % kNumActions);
            (in.p.community_size > 1 ? with_peers : alone) += 1;

            // The real day from its start: the unplugged steps, then the arrival step from the
            // exact arrival energy. At arrival the environment's SoC swing is the step's own and
            // its throughput the day-start value, as in the model.
            {
                Environment env(in);
                for (int t = 0; t < arrival; ++t) env.step(t, std::vector<int>(kVehicles, kIdle));
                env.step(arrival, actions);
                expect_same_step(in, env, in.e0(), arrival, a, "the real day's arrival step");
            }
            // From grid energies at every step of the stay: the environment's vehicle put at E_g
            // with the day's swing so far at E_g (the model's depth of cycle).
            for (int t = arrival; t < in.departure(); ++t)
                for (int g = 0; g < in.p.plan_points; g += 2) {
                    Environment env(in);
                    const float e = plan_energy_kwh(in.p, in.usable(), g);
                    env.f.energy_kwh[v] = e;
                    env.f.soc_low_today[v] = env.f.soc_high_today[v] = soc_of(e, in.usable());
                    env.step(t, actions);
                    expect_same_step(in, env, e, t, a, "from a grid energy");
                    penalised += env.f.ep_unmet_penalty[v] > 0.0f;
                }
        }
    }
    EXPECT_GT(with_peers, 0);
    EXPECT_GT(alone, 0);
    EXPECT_GT(penalised, 0);  // departure steps with a shortfall were compared
}

TEST(Optimum, FollowingThePlanReproducesTheValue) {
    constexpr int kPoints[] = {2, 3, 5, 11};
    int override_differs = 0, override_matters = 0;
    for (uint64_t seed = 301; seed <= 380; ++seed) {
        Instance in(seed, kPoints[seed % 4]);
        std::vector<uint8_t> plan;
        std::vector<double> q1;
        const double dp = solve_day(in.ctx, &plan);
        // Rewards are added in the DP's order, so the value is reproduced exactly.
        EXPECT_EQ(follow_plan_in_model(in.ctx, plan), dp) << "seed " << seed;
        // The arrival entry of E0's point holds E0's own best action ...
        optimal_q(in.ctx, 1.0f, &q1);
        const int g0 = plan_point(in.p, in.e0(), in.usable());
        const int exact = exact_start_argmax(in, q1);
        EXPECT_EQ(plan[plan_index(in.p, in.arrival(), g0)], exact) << "seed " << seed;
        // ... which can differ from the grid point's own, and then can be worth more.
        const int grid = first_argmax(&q1[plan_q_index(in.p, in.arrival(), g0, 0)]);
        if (grid != exact) {
            ++override_differs;
            std::vector<uint8_t> grid_plan = plan;
            grid_plan[plan_index(in.p, in.arrival(), g0)] = static_cast<uint8_t>(grid);
            const double with_grid_start = follow_plan_in_model(in.ctx, grid_plan);
            EXPECT_LE(with_grid_start, dp) << "seed " << seed;
            override_matters += with_grid_start < dp;
        }
    }
    EXPECT_GE(override_differs, 5);
    EXPECT_GE(override_matters, 5);
}

TEST(Optimum, OptimalQWithoutDiscountGivesTheValuesAndThePlan) {
    constexpr int kPoints[] = {3, 7, 21};
    int ties = 0;
    for (uint64_t seed = 401; seed <= 430; ++seed) {
        Instance in(seed, kPoints[seed % 3]);
        const EnvParams& p = in.p;
        std::vector<uint8_t> plan;
        std::vector<double> values, q1;
        solve_day(in.ctx, &plan, &values);
        optimal_q(in.ctx, 1.0f, &q1);
        const int g0 = plan_point(p, in.e0(), in.usable());
        for (int t = 0; t < p.steps_per_day; ++t)
            for (int g = 0; g < p.plan_points; ++g) {
                const double* row = &q1[plan_q_index(p, t, g, 0)];
                const bool stay = t >= in.arrival() && t < in.departure();
                SCOPED_TRACE(::testing::Message() << "seed " << seed << ", step " << t << ", point " << g);
                // r + 1.0 * V is r + V exactly: the same numbers, not just close ones.
                EXPECT_EQ(*std::max_element(row, row + kNumActions), values[plan_index(p, t, g)]);
                if (!stay) {
                    EXPECT_EQ(plan[plan_index(p, t, g)], kIdle);
                    EXPECT_TRUE(std::all_of(row, row + kNumActions, [](double x) { return x == 0.0; }));
                } else if (t != in.arrival() || g != g0) {
                    EXPECT_EQ(plan[plan_index(p, t, g)], first_argmax(row));  // ties: the lowest action
                }
                ties += stay && first_argmax(row) != last_argmax(row);
            }
    }
    EXPECT_GT(ties, 100);  // e.g. charge = idle = buy at soc_max: the tie rule decides often
}

TEST(Optimum, OptimalQDiscountsAsWrittenOnATinyDay) {
    // Two decisions (3-hour steps, 18:00 to 24:00: steps 2 and 3 of a day starting at noon), three
    // grid points.
    Config cfg = testing::small_config(11, 1, 1);
    cfg.time.step_hours = 3.0;
    cfg.sessions.model = SessionSource::fixed;
    cfg.sessions.fixed_arrival_hour = 18;
    cfg.sessions.fixed_departure_hour = 0;
    cfg.sessions.fixed_trip_kwh = 25;
    const Problem problem = build_problem(cfg);
    EnvParams p = problem.params;
    p.plan_points = 3;
    std::vector<char> fleet = problem.fleet;
    const std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields, 0.5);
    const PlanContext c = plan_context(p, &fleet, problem.signals, 0, 2, market.data());
    reset_vehicle(c.p, c.sig, c.f, 0, 2);
    ASSERT_EQ(plan_arrival(c), 2);
    ASSERT_EQ(plan_departure(c), 4);
    const float usable = c.f.usable_kwh[0];
    const auto r = [&](int t, int g, int a) { return plan_transition(c, plan_energy_kwh(p, usable, g), t, a); };
    for (const float gamma : {0.0f, 0.5f, 1.0f}) {
        std::vector<double> q;
        optimal_q(c, gamma, &q);
        ASSERT_EQ(q.size(), static_cast<size_t>(p.steps_per_day) * 3 * kNumActions);
        for (int g = 0; g < 3; ++g)
            for (int a = 0; a < kNumActions; ++a) {
                // The last decision: its reward alone, whatever gamma (departure is terminal).
                EXPECT_EQ(q[plan_q_index(p, 3, g, a)], r(3, g, a).reward);
                // The first: its reward and gamma x the best reward of the last from where it leads.
                const PlanTransition first = r(2, g, a);
                double best_last = r(3, first.next_point, 0).reward;
                for (int b = 1; b < kNumActions; ++b) best_last = std::max(best_last, r(3, first.next_point, b).reward);
                EXPECT_FALSE(first.terminal);
                EXPECT_TRUE(near(q[plan_q_index(p, 2, g, a)], first.reward + gamma * best_last))
                    << "gamma " << gamma << ", point " << g << ", action " << a;
            }
        for (int t : {0, 1, 4, 5, 6, 7})
            for (int g = 0; g < 3; ++g)
                for (int a = 0; a < kNumActions; ++a) EXPECT_EQ(q[plan_q_index(p, t, g, a)], 0.0);
    }
}

TEST(Optimum, AVehicleThatNeverPlugsInHasNothingToDecide) {
    Config cfg = testing::small_config(5, 2, 1);
    cfg.sessions.model = SessionSource::fixed;
    const Problem problem = build_problem(cfg);
    EnvParams p = problem.params;
    p.plan_points = 9;
    p.fault_missing_share = 1.0f;  // every vehicle away all day
    std::vector<char> fleet = problem.fleet;
    const std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields, 0.0);
    const PlanContext c = plan_context(p, &fleet, problem.signals, 1, 4, market.data());
    reset_vehicle(c.p, c.sig, c.f, 1, 4);
    ASSERT_GE(plan_arrival(c), plan_departure(c));
    std::vector<uint8_t> plan(3, kCharge);
    std::vector<double> values(2, 1.0), q;
    EXPECT_EQ(solve_day(c, &plan, &values), 0.0);
    EXPECT_EQ(plan.size(), static_cast<size_t>(p.steps_per_day) * p.plan_points);
    EXPECT_TRUE(std::all_of(plan.begin(), plan.end(), [](uint8_t a) { return a == kIdle; }));
    EXPECT_TRUE(std::all_of(values.begin(), values.end(), [](double x) { return x == 0.0; }));
    EXPECT_EQ(brute_force_day(c), 0.0);
    int asked = 0;
    EXPECT_EQ(evaluate_in_model(c, [&](int, float) { ++asked; return static_cast<int>(kCharge); }), 0.0);
    EXPECT_EQ(asked, 0);
    optimal_q(c, 0.9f, &q);
    EXPECT_TRUE(std::all_of(q.begin(), q.end(), [](double x) { return x == 0.0; }));
}

TEST(Optimum, LeavesTheHostCopyAsItFoundIt) {
    for (uint64_t seed = 501; seed <= 510; ++seed) {
        Instance in(seed, 5);
        const std::vector<char> before = in.fleet;
        std::vector<uint8_t> plan;
        std::vector<double> q;
        solve_day(in.ctx, &plan);
        brute_force_day(in.ctx);
        optimal_q(in.ctx, 0.9f, &q);
        evaluate_in_model(in.ctx, [](int t, float) { return t % kNumActions; });
        EXPECT_TRUE(testing::same_bytes(before.data(), in.fleet.data(), before.size())) << "seed " << seed;
    }
}

// Fitted sessions, hourly steps, several communities: solving communities in parallel on one
// host copy gives what solving every vehicle in turn gives.
TEST(Optimum, CommunitiesSolveInParallel) {
    constexpr int kCommunities = 4, kThreads = 4;
    Config cfg = testing::small_config(21, 2 * kCommunities, 2);
    const Problem problem = build_problem(cfg);
    EnvParams p = problem.params;
    p.plan_points = 21;
    constexpr int kEpisode = 6;
    std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields);
    for (size_t i = 0; i < market.size(); ++i) market[i] = uniform01(random4(21, 0, 0, static_cast<uint32_t>(i), RngPurpose::kTest).v[0]);
    const int n = p.num_vehicles;
    const auto solve_all = [&](bool parallel, std::vector<double>* values, std::vector<std::vector<uint8_t>>* plans) {
        std::vector<char> fleet = problem.fleet;
        values->assign(n, 0.0);
        plans->assign(n, {});
        for (int v = 0; v < n; ++v) {
            const PlanContext c = plan_context(p, &fleet, problem.signals, v, kEpisode, market.data());
            reset_vehicle(c.p, c.sig, c.f, v, kEpisode);
        }
#pragma omp parallel for num_threads(kThreads) schedule(dynamic) if (parallel)
        for (int c = 0; c < p.num_communities; ++c)
            for (int v = community_begin(p, c); v < community_end(p, c); ++v)
                (*values)[v] = solve_day(plan_context(p, &fleet, problem.signals, v, kEpisode, market.data()), &(*plans)[v]);
    };
    std::vector<double> serial_values, parallel_values;
    std::vector<std::vector<uint8_t>> serial_plans, parallel_plans;
    solve_all(false, &serial_values, &serial_plans);
    solve_all(true, &parallel_values, &parallel_plans);
    EXPECT_EQ(serial_values, parallel_values);
    EXPECT_EQ(serial_plans, parallel_plans);
    EXPECT_EQ(p.num_communities, kCommunities);
}

TEST(Optimum, RefusesWhatItCannotDo) {
    Config cfg = testing::small_config(3, 1, 1);
    cfg.sessions.model = SessionSource::fixed;
    cfg.sessions.fixed_arrival_hour = 18;
    cfg.sessions.fixed_departure_hour = 7;  // 13 hourly decisions: 1.2e9 sequences
    const Problem problem = build_problem(cfg);
    EnvParams p = problem.params;
    p.plan_points = 5;
    std::vector<char> fleet = problem.fleet;
    const std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields, 0.0);
    PlanContext c = plan_context(p, &fleet, problem.signals, 0, 0, market.data());
    reset_vehicle(c.p, c.sig, c.f, 0, 0);
    EXPECT_THROW(brute_force_day(c), std::invalid_argument);
    std::vector<uint8_t> plan;
    c.p.plan_points = 1;
    EXPECT_THROW(solve_day(c, &plan), std::invalid_argument);
    c.p.plan_points = 5;
    c.market = nullptr;
    EXPECT_THROW(solve_day(c, &plan), std::invalid_argument);
    c.market = market.data();
    EXPECT_THROW(evaluate_in_model(c, [](int, float) { return kNumActions; }), std::invalid_argument);
    // plan_context: the state part of a fleet buffer is enough (no Q-tables then), less is not.
    FleetView measure{};
    size_t state_bytes = 0;
    layout_fleet(p, nullptr, &measure, &state_bytes);
    std::vector<char> state(fleet.begin(), fleet.begin() + static_cast<std::ptrdiff_t>(state_bytes));
    EXPECT_EQ(plan_context(p, &state, problem.signals, 0, 0, market.data()).f.q, nullptr);
    EXPECT_NE(plan_context(p, &fleet, problem.signals, 0, 0, market.data()).f.q, nullptr);
    Problem with_points = problem;
    with_points.params.plan_points = 5;
    const PlanContext from_problem = plan_context(with_points, &fleet, 0, 0, market.data());
    EXPECT_EQ(from_problem.f.energy_kwh, c.f.energy_kwh);
    EXPECT_EQ(from_problem.sig.retail_price_per_kwh[0], c.sig.retail_price_per_kwh[0]);
    state.pop_back();
    EXPECT_THROW(plan_context(p, &state, problem.signals, 0, 0, market.data()), std::invalid_argument);
}

}  // namespace
}  // namespace v2g
