// The LP oracle (eval/oracle.h): where it and the dynamic-programming optimum of a vehicle's day
// solve the same problem (one vehicle, no market partner, no grid limit, no ageing cost, flows
// that land on the DP's energy grid), they agree to 1e-6; on real community-days it respects the
// market balance and the connection limit, no policy of the environment beats it, and its days
// follow on from each other.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include "eval/evaluation.h"
#include "eval/oracle.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

// An hourly price file of `days` days whose prices are exact in binary (so float and double
// money agree exactly): a cheap night, a dear evening.
std::string exact_price_file(int days) {
    const std::string path = ::testing::TempDir() + "v2g_oracle_prices_" + std::to_string(::getpid()) + ".csv";
    std::ofstream out(path);
    out << "electricity_pricing\n";
    constexpr double kHourly[24] = {0.25,  0.125, 0.125, 0.125, 0.125, 0.25,  0.375, 0.375, 0.25,  0.25,  0.25,  0.25,
                                    0.25,  0.25,  0.25,  0.25,  0.375, 0.5,   0.5,   0.5,   0.375, 0.375, 0.25,  0.25};
    for (int d = 0; d <= days; ++d)
        for (int h = 0; h < 24; ++h) out << kHourly[(h + d) % 24] << "\n";
    return path;
}

// One vehicle of 100 kWh at 10 kW and efficiency 1, SoH 1 (no age, no cycles) and no ageing
// cost, SoC 0..1: full-power steps move 10 kWh, the DP's 11 grid points are 10 kWh apart, so
// its discretisation is exact. Plugged in 18:00-07:00, 40 kWh driven a day, no reserve: it
// arrives with 10 kWh and must leave with 40. Exports earn the feed-in tariff (half the retail
// price, so selling the evening's energy and buying it back at night pays); no demand-response
// events, whose tariff above retail would let the LP's time-shared steps (charging and
// discharging within one step) earn what whole-step actions cannot; the unmet penalty (2/kWh)
// exceeds every price, so no optimum leaves energy unmet.
Config coinciding_config(const std::string& prices) {
    // The learning test's instance (one model, fixed 18:00-07:00 sessions, no PV, no limit),
    // made one exact vehicle on the price file.
    Config cfg = testing::deterministic_config();
    cfg.run.seed = 4;
    cfg.fleet.vehicles = 1;
    cfg.fleet.community_size = 1;
    cfg.fleet.single_capacity_kwh = 100;
    cfg.fleet.single_charge_kw = 10;
    cfg.fleet.single_discharge_kw = 10;
    cfg.fleet.single_efficiency = 1.0;
    cfg.battery.soc_min = 0.0;
    cfg.battery.soc_max = 1.0;
    cfg.fleet.initial_soc = 0.5;
    cfg.battery.initial_age_days = 0;
    cfg.battery.initial_full_cycles = 0;
    cfg.battery.cost_per_kwh = 0;
    cfg.sessions.fixed_trip_kwh = 40;
    cfg.sessions.reserve_km = 0;
    cfg.signals.dr_load_quantile = 1.0;  // no step above the series' maximum: no DR events
    cfg.market.unmet_penalty_per_kwh = 2.0;
    cfg.signals.source = SignalSource::csv;
    cfg.signals.price_csv = prices;
    return cfg;
}

TEST(Oracle, AgreesWithTheDpWhereTheyCoincide) {
    const std::string prices = exact_price_file(6);
    double exported = 0.0;
    for (int day = 0; day < 5; ++day) {
        const Config cfg = coinciding_config(prices);
        const Problem problem = build_problem(cfg);
        EnvParams p = problem.params;
        p.plan_points = 11;
        // The DP of the day (no market partner: the recorded market is all zeros, the grid
        // unconstrained).
        std::vector<double> market(static_cast<size_t>(p.steps_per_day) * kPlanMarketFields, 0.0);
        for (int t = 0; t < p.steps_per_day; ++t)
            for (int k : {kPlanMarketForcedShare, kPlanMarketImportShare, kPlanMarketExportShare})
                market[static_cast<size_t>(t) * kPlanMarketFields + k] = 1.0;
        std::vector<char> dp_fleet = problem.fleet;
        const PlanContext c = plan_context(p, &dp_fleet, problem.signals, 0, day, market.data());
        reset_vehicle(c.p, c.sig, c.f, 0, day);
        ASSERT_FLOAT_EQ(c.f.energy_kwh[0], 10.0f);
        ASSERT_FLOAT_EQ(c.f.required_kwh[0], 40.0f);
        std::vector<uint8_t> plan;
        const double dp = solve_day(c, &plan);
        // The oracle of the same day.
        testing::HostFleet host(cfg);
        reset_vehicle(host.p, host.sig, host.f, 0, day);
        const OracleDay od = solve_community_day(host.p, host.sig, host.f, 0, day);
        EXPECT_NEAR(od.plugged_money, dp, 1e-6) << "day " << day;
        EXPECT_NEAR(od.lp_objective, dp, 1e-6) << "day " << day;
        EXPECT_NEAR(od.totals.unmet_kwh, 0.0, 1e-9);
        exported += od.totals.grid_export_kwh;
    }
    EXPECT_GT(exported, 0.0) << "the optimum never discharged: the discharge side went untested";
    std::remove(prices.c_str());
}

// The money of a day of totals.
double money(const DayTotals& d) {
    return d.revenue - d.energy_cost - d.degradation_cost - d.unmet_penalty - d.en_route_cost;
}

// A community of 12 fitted-session vehicles with PV and a tight connection limit: the oracle's
// days respect the market balance and the limit, no policy the environment can run beats it on
// the same day from the same state, and each day starts where its plan left the fleet.
TEST(Oracle, RespectsTheMarketAndTheLimitAndNoPolicyBeatsIt) {
    Config cfg = testing::small_config(17, 12, 12);
    cfg.fleet.pv_kwp_per_vehicle = 6.0;
    cfg.grid.limit_kw_per_vehicle = 2.0;
    const Problem problem = build_problem(cfg);
    const EnvParams& p = problem.params;
    testing::HostFleet host(cfg);
    const float keep = 1.0f - p.p2p_loss_fraction;
    int binding = 0;
    for (int day = 0; day < 4; ++day) {
        const std::vector<char> start = host.problem.fleet;  // this day's start (the plan so far)
        for (int v = 0; v < p.num_vehicles; ++v) reset_vehicle(p, host.sig, host.f, v, day);
        const OracleDay od = solve_community_day(p, host.sig, host.f, 0, day);
        const double cap = host.sig.community_limit_kw[0] * p.step_hours;
        for (int t = 0; t < p.steps_per_day; ++t) {
            EXPECT_LE(od.totals.step_import_kwh[t], cap * (1 + 1e-6)) << "day " << day << " step " << t;
            EXPECT_LE(od.totals.step_export_kwh[t], cap * (1 + 1e-6)) << "day " << day << " step " << t;
            const double pv = host.sig.community_pv_kwp[0] * host.sig.pv_kw_per_kwp[signal_index(p, day, t)] * p.step_hours;
            EXPECT_LE(od.step_bought_kwh[t], keep * (od.step_sold_kwh[t] + pv) * (1 + 1e-6) + 1e-9);
            EXPECT_LE(keep * od.step_sold_kwh[t], od.step_bought_kwh[t] * (1 + 1e-6) + 1e-9) << "sold to no buyer";
        }
        binding += static_cast<int>(od.totals.limit_steps);
        // Every policy of the environment from the same start on the same day.
        for (PolicyMode mode : {kPolicyRandom, kPolicyChargeOnArrival, kPolicyTimeOfUse}) {
            Problem same = problem;
            same.fleet = start;
            auto backend = make_cpu_backend(same, 1);
            std::vector<EpisodeMetrics> m(1);
            const float eps = 0.0f;
            backend->run_episodes(day, 1, mode, &eps, m.data());
            EXPECT_GE(money(od.totals), m[0].reward - 1e-3 * std::abs(m[0].reward))
                << "day " << day << ", policy " << mode;
        }
        // The next day starts from the plan's end state (the buffer the oracle wrote into).
        for (int v = 0; v < p.num_vehicles; ++v) EXPECT_GE(host.f.energy_kwh[v], p.soc_min * host.f.usable_kwh[v] * 0.999f);
    }
    EXPECT_GT(binding, 0) << "the connection limit never bound: the limit rows went untested";
}

// v2g eval's oracle row: the score it gives (learned - random) / (oracle - random) is the mean of
// the money on the oracle's communities, and with fewer oracle communities than communities the
// oracle's row covers only those.
TEST(Oracle, EvaluationScoresOnTheOraclesCommunities) {
    Config cfg = testing::small_config(23, 24, 8);
    cfg.evaluation.days = 2;
    cfg.evaluation.faults = "none";
    cfg.evaluation.oracle_communities = 2;
    const testing::Trained trained = testing::train_cpu(cfg, 1);
    const EvaluationResult r = run_evaluation(cfg, trained.fleet, cfg.run.episodes, DeviceChoice{ComputeDevice::cpu, "test"});
    ASSERT_EQ(r.policies.back(), "oracle_lp");
    EXPECT_EQ(r.oracle_communities, 2);
    EXPECT_EQ(r.oracle_vehicles, 16);
    const ScenarioResult& s = r.scenarios[0];
    const auto mean = [&](int k) { return 0.5 * (s.oracle_set_money[k][0] + s.oracle_set_money[k][1]); };
    EXPECT_NEAR(s.score, (mean(kEvalLearned) - mean(kEvalRandom)) / (mean(kEvalOracle) - mean(kEvalRandom)), 1e-12);
    EXPECT_GT(mean(kEvalOracle), mean(kEvalRandom));
    EXPECT_EQ(s.metrics[kEvalOracle][0][kMoneyPerVehicle], s.oracle_set_money[kEvalOracle][0]);
}

}  // namespace
}  // namespace v2g
