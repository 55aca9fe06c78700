// The traced day (/day in the results file) is what the backend itself computes for the same
// day under the greedy policy, and tracing leaves the trained state untouched.
#include <gtest/gtest.h>
#include <numeric>
#include "tests/test_helpers.h"

namespace v2g {
namespace {

double total(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

TEST(DayTrace, MatchesTheBackendsGreedyEpisode) {
    Config cfg = testing::small_config(31, 40, 8);
    cfg.run.episodes = 20;
    Problem problem = build_problem(cfg);
    const std::vector<char> signals = problem.signals;
    const EnvParams p = problem.params;
    Trainer trainer(cfg, p, make_cpu_backend(std::move(problem), 1));
    trainer.train();
    std::vector<char> fleet;
    trainer.backend().read_fleet(&fleet);
    const std::vector<char> before = fleet;

    const DayTrace day = trace_day(p, fleet, signals, cfg.run.episodes, cfg.time.day_start_hour);
    EXPECT_TRUE(testing::same_bytes(before.data(), fleet.data(), fleet.size())) << "tracing changed the state";
    ASSERT_EQ(day.grid_import_kwh.size(), static_cast<size_t>(p.steps_per_day));
    EXPECT_EQ(day.clock_hour.front(), cfg.time.day_start_hour);

    const EpisodeMetrics m = testing::run_fixed_policy(trainer, kPolicyGreedy, cfg.run.episodes, 1).front();
    EXPECT_NEAR(total(day.grid_import_kwh), m.grid_import_kwh, 1e-3 * (1 + m.grid_import_kwh));
    EXPECT_NEAR(total(day.grid_export_kwh), m.grid_export_kwh, 1e-3 * (1 + m.grid_export_kwh));
    EXPECT_NEAR(total(day.p2p_bought_kwh), m.p2p_bought_kwh, 1e-3 * (1 + m.p2p_bought_kwh));
    EXPECT_NEAR(total(day.pv_sold_kwh), m.pv_sold_kwh, 1e-3 * (1 + m.pv_sold_kwh));
    EXPECT_NEAR(day.soc_mean.back(), m.soc_end / m.vehicles, 1e-5);
    EXPECT_GT(total(day.plugged_in), 0.0);
}

}  // namespace
}  // namespace v2g
