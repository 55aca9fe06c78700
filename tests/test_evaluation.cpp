// Evaluation (eval/evaluation.h): the yardstick policies, the fault scenarios and the
// orchestration of `v2g eval`, on the CPU backend.
#include <gtest/gtest.h>
#include <cmath>
#include "common/errors.h"
#include "eval/evaluation.h"
#include "tests/test_helpers.h"

namespace v2g {
namespace {

struct Days {
    std::vector<EpisodeMetrics> fleet;        // per day
    std::vector<std::vector<double>> record;  // per day: the step record
    std::vector<char> state;                  // the fleet after the last day
};

// Runs `days` episodes from episode `first` with a fixed policy, the step record on.
Days run_days(const Problem& problem, PolicyMode mode, int first, int days) {
    auto backend = make_cpu_backend(problem, 1);
    backend->set_recording(true);
    const int nc = problem.params.num_communities;
    std::vector<EpisodeMetrics> per_community(static_cast<size_t>(nc));
    const float epsilon = 0.0f;
    Days out;
    for (int d = 0; d < days; ++d) {
        backend->run_episodes(first + d, 1, mode, &epsilon, per_community.data());
        out.fleet.push_back(merge_communities(per_community.data(), nc));
        out.record.emplace_back();
        backend->read_record(&out.record.back());
    }
    backend->read_fleet(&out.state);
    return out;
}

double step_import(const EnvParams& p, const std::vector<double>& record, int c, int t) {
    const double* r = &record[(static_cast<size_t>(c) * p.steps_per_day + t) * kRecordFields];
    return r[kRecordImportCum] - (t > 0 ? r[kRecordImportCum - kRecordFields] : 0.0);
}

TEST(Evaluation, TimeOfUseMeetsTheRequirementForLessThanUncontrolledCharging) {
    const Config cfg = testing::deterministic_config();
    const Problem problem = build_problem(cfg);
    const Days tou = run_days(problem, kPolicyTimeOfUse, 0, 5);
    const Days uncontrolled = run_days(problem, kPolicyChargeOnArrival, 0, 5);
    // Both meet the requirement; time-of-use pays less per kWh (actions are whole steps at full
    // power, so it may store more than the day needs: compare prices, not totals).
    for (int d = 0; d < 5; ++d) {
        EXPECT_LT(tou.fleet[d].unmet_kwh, 1e-3) << "day " << d;
        EXPECT_LT(tou.fleet[d].energy_cost / tou.fleet[d].grid_import_kwh,
                  uncontrolled.fleet[d].energy_cost / uncontrolled.fleet[d].grid_import_kwh)
            << "day " << d;
    }
    // It charges exactly in the cheapest steps of the stay: no step it imports in is dearer
    // than a step of the stay it skips (prices are the same every day here).
    const EnvParams& p = problem.params;
    SignalsView sig{};
    std::vector<char> signals = problem.signals;
    layout_signals(p, signals.data(), &sig);
    const int arrival =
        static_cast<int>((cfg.sessions.fixed_arrival_hour - cfg.time.day_start_hour) / cfg.time.step_hours);
    const int departure =
        static_cast<int>((cfg.sessions.fixed_departure_hour + 24 - cfg.time.day_start_hour) / cfg.time.step_hours);
    double dearest_used = -1e9, cheapest_skipped = 1e9;
    for (int t = arrival; t < departure; ++t) {
        const double price = sig.retail_price_per_kwh[t];
        if (step_import(p, tou.record[2], 0, t) > 0) dearest_used = std::max(dearest_used, price);
        else cheapest_skipped = std::min(cheapest_skipped, price);
    }
    EXPECT_LE(dearest_used, cheapest_skipped);
}

// Item 6 of the model: the rule-based policies use the market as a simple operator would.
// Workplace sessions (arriving in the morning) in a community with plenty of PV: uncontrolled
// charging and time-of-use buy from the market whenever a buyer's price there is below retail,
// and pay less than the same policies charging from the grid; when the market is no cheaper
// (clearing at retail), they charge from the grid.
TEST(Evaluation, YardsticksBuyFromThePeerMarketWhenCheaper) {
    Config cfg = testing::small_config(41, 16, 16);
    cfg.sessions.charger = ChargerType::workplace;
    cfg.time.day_start_hour = 4;
    cfg.fleet.pv_kwp_per_vehicle = 10.0;
    cfg.grid.limit_kw_per_vehicle = 0.0;
    Config no_market = cfg;
    no_market.market.price_weight = 1.0;  // clearing at retail: buyers would pay retail / (1 - loss)
    for (PolicyMode mode : {kPolicyChargeOnArrival, kPolicyTimeOfUse}) {
        const Days with = run_days(build_problem(cfg), mode, 0, 3);
        const Days without = run_days(build_problem(no_market), mode, 0, 3);
        double bought = 0.0, bought_without = 0.0, cost = 0.0, cost_without = 0.0, energy = 0.0, energy_without = 0.0;
        for (int d = 0; d < 3; ++d) {
            bought += with.fleet[d].p2p_bought_kwh;
            bought_without += without.fleet[d].p2p_bought_kwh;
            cost += with.fleet[d].energy_cost;
            cost_without += without.fleet[d].energy_cost;
            energy += with.fleet[d].p2p_bought_kwh + with.fleet[d].grid_import_kwh;
            energy_without += without.fleet[d].p2p_bought_kwh + without.fleet[d].grid_import_kwh;
        }
        EXPECT_GT(bought, 0.1 * energy) << "policy " << mode << ": no P2P purchase from a PV-rich market";
        EXPECT_EQ(bought_without, 0.0) << "policy " << mode;
        EXPECT_LT(cost / energy, cost_without / energy_without) << "policy " << mode << ": the market was not cheaper";
    }
}

TEST(Evaluation, FaultsDoWhatTheySay) {
    Config cfg = testing::small_config(31, 40, 10);
    cfg.evaluation.fault_missing_share = 0.5;
    cfg.evaluation.fault_outage_start_hour = 19;
    cfg.evaluation.fault_outage_hours = 4;
    cfg.evaluation.fault_spike_factor = 3;
    const Problem base = build_problem(cfg);
    const EnvParams& p = base.params;
    const Days normal = run_days(base, kPolicyChargeOnArrival, 0, 3);

    // Grid outage: nothing imported from 19:00 to 23:00 (steps 7..10 of a noon-based day),
    // while the same hours import without the fault.
    Problem outage = base;
    apply_fault(cfg, "grid_outage", &outage);
    EXPECT_EQ(outage.params.fault_outage_begin_step, 7);
    EXPECT_EQ(outage.params.fault_outage_end_step, 11);
    const Days o = run_days(outage, kPolicyChargeOnArrival, 0, 3);
    double in_window = 0, in_window_normal = 0;
    for (int d = 0; d < 3; ++d)
        for (int c = 0; c < p.num_communities; ++c)
            for (int t = 7; t < 11; ++t) {
                in_window += step_import(p, o.record[d], c, t);
                in_window_normal += step_import(p, normal.record[d], c, t);
            }
    EXPECT_EQ(in_window, 0.0);
    EXPECT_GT(in_window_normal, 0.0);

    // Lost community: community 0 moves no energy; the others do.
    Problem lost = base;
    apply_fault(cfg, "lost_community", &lost);
    const Days l = run_days(lost, kPolicyChargeOnArrival, 0, 1);
    FleetView f{};
    std::vector<char> state = l.state;
    layout_fleet(p, state.data(), &f);
    for (int v = 0; v < p.num_vehicles; ++v) {
        if (v < cfg.fleet.community_size) {
            EXPECT_EQ(f.ep_grid_import_kwh[v], 0.0f) << "vehicle " << v;
        }
        EXPECT_EQ(f.arrival_step[v] >= p.steps_per_day, v < cfg.fleet.community_size) << "vehicle " << v;
    }
    EXPECT_GT(l.fleet[0].grid_import_kwh, 0.0);

    // Missing vehicles: about half never plug in (binomial, 40 vehicles: within 5 sd).
    Problem missing = base;
    apply_fault(cfg, "missing_vehicles", &missing);
    const Days m = run_days(missing, kPolicyChargeOnArrival, 0, 1);
    state = m.state;
    layout_fleet(p, state.data(), &f);
    int absent = 0;
    for (int v = 0; v < p.num_vehicles; ++v) absent += f.arrival_step[v] >= p.steps_per_day;
    EXPECT_NEAR(absent, 20, 5 * std::sqrt(40 * 0.25));
    EXPECT_GT(absent, 0);

    // Price spike: three times the retail price in the window, levels at the top.
    Problem spike = base;
    apply_fault(cfg, "price_spike", &spike);
    SignalsView a{}, b{};
    std::vector<char> sa = base.signals, sb = spike.signals;
    layout_signals(p, sa.data(), &a);
    layout_signals(p, sb.data(), &b);
    for (int day = 0; day < p.signal_days; ++day)
        for (int t = 0; t < p.steps_per_day; ++t) {
            const int i = day * p.steps_per_day + t;
            const bool in = t >= 7 && t < 11;
            EXPECT_FLOAT_EQ(b.retail_price_per_kwh[i], a.retail_price_per_kwh[i] * (in ? 3.0f : 1.0f));
            if (in) {
                EXPECT_EQ(b.price_level[i], p.price_levels - 1);
            }
        }
    EXPECT_THROW(apply_fault(cfg, "meteor", &spike), InputError);
}

bool same_metrics(const EvaluationResult& a, const EvaluationResult& b) {
    if (a.scenarios.size() != b.scenarios.size()) return false;
    for (size_t s = 0; s < a.scenarios.size(); ++s)
        for (size_t k = 0; k < a.scenarios[s].metrics.size(); ++k)
            for (size_t d = 0; d < a.scenarios[s].metrics[k].size(); ++d)
                for (int m = 0; m < kMetricCount; ++m) {
                    const double x = a.scenarios[s].metrics[k][d][m], y = b.scenarios[s].metrics[k][d][m];
                    if (!(x == y || (std::isnan(x) && std::isnan(y)))) return false;
                }
    for (size_t s = 0; s < a.scenarios.size(); ++s)
        if (a.scenarios[s].name != b.scenarios[s].name || a.scenarios[s].oracle_set_money != b.scenarios[s].oracle_set_money ||
            !(a.scenarios[s].score == b.scenarios[s].score || (std::isnan(a.scenarios[s].score) && std::isnan(b.scenarios[s].score))))
            return false;
    return a.flows == b.flows && a.optimum_value_per_vehicle == b.optimum_value_per_vehicle &&
           a.enhanced_soh == b.enhanced_soh && a.initial_money_per_day == b.initial_money_per_day;
}

TEST(Evaluation, RunsEveryPolicyAndFaultAndIsTheSameOnOneAndTwoThreads) {
    Config cfg = testing::small_config(32, 30, 10);
    cfg.run.episodes = 40;
    cfg.evaluation.days = 3;
    cfg.evaluation.dp_energy_points = 21;
    const testing::Trained trained = testing::train_cpu(cfg, 2);
    const DeviceChoice cpu{ComputeDevice::cpu, "test"};
    cfg.run.threads = 1;
    const EvaluationResult one = run_evaluation(cfg, trained.fleet, cfg.run.episodes, cpu);
    cfg.run.threads = 2;
    const EvaluationResult two = run_evaluation(cfg, trained.fleet, cfg.run.episodes, cpu);
    EXPECT_TRUE(same_metrics(one, two));
    // Two threads run the scenarios side by side (eval/evaluation.cpp scenario_lanes), one does not.
    EXPECT_NE(two.backend.find("2 scenarios at a time"), std::string::npos) << two.backend;
    EXPECT_EQ(one.backend.find("scenarios at a time"), std::string::npos) << one.backend;
    ASSERT_EQ(one.policies.size(), eval_policies().size());
    ASSERT_EQ(one.scenarios.size(), 5u);  // fault-free + the four faults
    EXPECT_EQ(one.flows.size(), one.policies.size() * 3 * 24 * kFlowFields);
    EXPECT_EQ(one.initial_soh.size(), 30u);
    // Charge-on-arrival is its own reference: no reduction.
    for (const DayMetrics& m : one.scenarios[0].metrics[3]) EXPECT_EQ(m[kPeakReduction], 0.0);
    // The flows add up to the metrics' import.
    for (int d = 0; d < 3; ++d) {
        double import = 0;
        for (int t = 0; t < 24; ++t) import += one.flows[((0 * 3 + d) * 24 + t) * kFlowFields + kFlowImport];
        EXPECT_NEAR(import / 30, one.scenarios[0].metrics[0][d][kGridImportKwhPerVehicle], 1e-4);
    }
    // A different trained fleet gives different results (the test can see a change).
    testing::Trained other = trained;
    FleetView f{};
    layout_fleet(build_problem(cfg).params, other.fleet.data(), &f);
    f.energy_kwh[0] *= 0.5f;
    const EvaluationResult changed = run_evaluation(cfg, other.fleet, cfg.run.episodes, cpu);
    EXPECT_FALSE(same_metrics(one, changed));
}

}  // namespace
}  // namespace v2g
